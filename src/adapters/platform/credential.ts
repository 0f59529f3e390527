// One credential for every Azure call. LOCAL_DEV_TOKEN (loopback-only, enforced by the config)
// replaces Entra ID so the real SDK clients can talk to local simulators.
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';

export class StaticTokenCredential implements TokenCredential {
  constructor(private readonly token: string) {}
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: this.token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 });
  }
}

export function createCredential(opts: {
  localDevToken?: string | undefined;
  azureClientId?: string | undefined;
}): TokenCredential {
  if (opts.localDevToken) return new StaticTokenCredential(opts.localDevToken);
  return new DefaultAzureCredential(
    opts.azureClientId ? { managedIdentityClientId: opts.azureClientId } : {},
  );
}
