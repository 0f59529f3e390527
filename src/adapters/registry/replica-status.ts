// Is a digest in region R's replica? A manifest HEAD on R's regional endpoint: 200 with the
// same Docker-Content-Digest means present, 404 means not yet, anything else means unknown, with
// the cause (401/403, a refused token, 5xx after retries) so a broken check is not mistaken for
// slow replication.
import type { ReplicaPresence, ReplicaCheck, ReplicaStatusPort } from '../../core/model';
import { isDigest, isRegion, isRepository } from '../../core/model';
import { errorMessage } from '../../core/platform';
import { repositoryPath, type AcrClient } from './client';
import { AcrAuthError } from './token-provider';

/** ACR answers 404 for an index unless every one of these is accepted. */
export const MANIFEST_ACCEPT_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

/** Why a status other than 200/404 means the check failed, in words an operator can act on. */
function statusCause(status: number, attempts: number, host: string, repository: string): string {
  const where = `for ${repository} on ${host}`;
  if (status === 401)
    return `ACR answered 401 ${where}: the registry refused the access token (is the identity allowed on this registry?)`;
  if (status === 403)
    return `ACR answered 403 ${where}: the identity lacks AcrPull (or a repository permission) on this registry`;
  return `ACR answered ${status} ${where} after ${attempts} attempt(s)`;
}

function errorCause(err: unknown): string {
  if (err instanceof AcrAuthError) return `could not get an ACR token: ${err.message}`;
  return errorMessage(err);
}

export class AcrReplicaStatus implements ReplicaStatusPort {
  constructor(
    private readonly client: AcrClient,
    /** `https://<registry>.{region}.geo.azurecr.io`; undefined: regional webhooks are the only signal. */
    private readonly regionalEndpoint: string | undefined,
  ) {}

  async check(
    region: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<ReplicaPresence> {
    return (await this.checkWithCause(region, repository, digest, signal)).presence;
  }

  /** The answer and, when the check failed, why. Never throws. */
  async checkWithCause(
    region: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<ReplicaCheck> {
    // Not a failure: without regional endpoints, readiness rests on the regional webhooks.
    if (!this.regionalEndpoint) return { presence: 'unknown' };
    if (!isRegion(region) || !isRepository(repository) || !isDigest(digest))
      return { presence: 'unknown', cause: 'invalid region, repository or digest' };
    const base = this.regionalEndpoint.replaceAll('{region}', region).replace(/\/+$/, '');
    try {
      const res = await this.client.call(
        {
          method: 'HEAD',
          base,
          path: `/v2/${repositoryPath(repository)}/manifests/${encodeURIComponent(digest)}`,
          headers: { Accept: MANIFEST_ACCEPT_TYPES.join(', ') },
          scope: `repository:${repository}:pull`,
        },
        signal,
      );
      if (res.status === 404) return { presence: 'absent' };
      if (res.status === 200) {
        const served = res.headers.get('docker-content-digest');
        if (served === digest) return { presence: 'present' };
        return { presence: 'unknown', cause: `the replica served digest ${served ?? '(none)'}` };
      }
      return { presence: 'unknown', cause: statusCause(res.status, res.attempts, base, repository) };
    } catch (e) {
      // The caller ran out of time (nudge or timer budget): not a failure of the check.
      if (signal?.aborted) return { presence: 'unknown' };
      return { presence: 'unknown', cause: errorCause(e) };
    }
  }
}
