// Builds the ContainerServiceClient for one subscription. Two adjustments to the SDK defaults:
// - its retry policy is off: retry.ts decides retries (a runCommand POST must not be
//   re-sent after an ambiguous failure, and a long Retry-After is handed back, not slept on);
// - for a plain-http loopback endpoint (the local simulator) the bearer policy, which refuses
//   non-TLS URLs, is replaced by one that attaches the token to loopback requests only.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';
import { bearerTokenAuthenticationPolicyName, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { endpointProblem, isLoopbackUrl, isPlainHttpLoopback } from '../../../core/platform';

export const ARM_SCOPE = 'https://management.azure.com/.default';

function loopbackBearerPolicy(credential: TokenCredential, scope: string): PipelinePolicy {
  return {
    name: 'loopbackBearerPolicy',
    async sendRequest(request, next) {
      // Never hand a token to anything but a loopback address.
      if (!isLoopbackUrl(request.url))
        throw new Error(`refusing to send a bearer token to ${request.url}: not a loopback address`);
      const token = await credential.getToken(scope, { abortSignal: request.abortSignal });
      if (!token) throw new Error('the credential returned no token for ARM');
      request.headers.set('Authorization', `Bearer ${token.token}`);
      return next(request);
    },
  };
}

function countingPolicy(onRequest: () => void): PipelinePolicy {
  return {
    name: 'armRequestCounter',
    sendRequest(request, next) {
      onRequest();
      return next(request);
    },
  };
}

export function createArmClient(opts: {
  armEndpoint: string;
  credential: TokenCredential;
  subscriptionId: string;
  onRequest?: () => void;
  apiVersion?: string | undefined;
}): ContainerServiceClient {
  const endpoint = opts.armEndpoint.replace(/\/+$/, '');
  const loopback = isPlainHttpLoopback(endpoint);
  const problem = endpointProblem(endpoint);
  if (problem) throw new Error(`ARM endpoint ${endpoint}: ${problem}`);
  const client = new ContainerServiceClient(opts.credential, opts.subscriptionId, {
    endpoint,
    retryOptions: { maxRetries: 0 },
    ...(opts.apiVersion ? { apiVersion: opts.apiVersion } : {}),
    ...(loopback ? { allowInsecureConnection: true } : {}),
  });
  if (loopback) {
    client.pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName });
    client.pipeline.addPolicy(loopbackBearerPolicy(opts.credential, ARM_SCOPE));
  }
  if (opts.onRequest) client.pipeline.addPolicy(countingPolicy(opts.onRequest));
  return client;
}
