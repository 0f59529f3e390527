// Is a pushed tag really the digest the webhook says? A manifest HEAD on the HOME endpoint, by
// tag (by digest for a push without a tag), with the Accept types the replica check uses (ACR
// answers 404 for an index otherwise): 200 with the same Docker-Content-Digest verifies the push,
// 404 or another digest refutes it, anything else (401/403, 5xx, no answer) leaves it unknown.
import { isDigest, isRepository, isTag } from '../core/names';
import type { PushVerification, PushVerifierPort } from '../core/ports';
import { repositoryPath, type AcrClient } from './acr-client';
import { MANIFEST_ACCEPT_TYPES } from './acr-replica-status';
import { AcrAuthError } from './acr-token-provider';

export class AcrPushVerifier implements PushVerifierPort {
  constructor(
    private readonly client: AcrClient,
    /** Home registry base URL, e.g. https://myregistry.azurecr.io. */
    private readonly endpoint: string,
  ) {}

  async verify(
    repository: string,
    tag: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<PushVerification> {
    const reference = tag === '' ? digest : tag;
    if (!isRepository(repository) || !isDigest(digest) || !(tag === '' || isTag(tag)))
      return { outcome: 'mismatch', reason: 'invalid repository, tag or digest' };
    const base = this.endpoint.replace(/\/+$/, '');
    const shown = tag === '' ? `${repository}@${digest}` : `${repository}:${tag}`;
    try {
      const res = await this.client.call(
        {
          method: 'HEAD',
          base,
          path: `/v2/${repositoryPath(repository)}/manifests/${encodeURIComponent(reference)}`,
          headers: { Accept: MANIFEST_ACCEPT_TYPES.join(', ') },
          scope: `repository:${repository}:pull`,
        },
        signal,
      );
      if (res.status === 404) return { outcome: 'mismatch', reason: `the registry has no manifest ${shown}` };
      if (res.status === 200) {
        const served = res.headers.get('docker-content-digest');
        if (served === digest) return { outcome: 'verified' };
        if (served && isDigest(served))
          return { outcome: 'mismatch', reason: `the registry's ${shown} is ${served}, not ${digest}` };
        return { outcome: 'unreachable', reason: `the registry answered ${shown} without a digest` };
      }
      return {
        outcome: 'unreachable',
        reason: `ACR answered ${res.status} for ${shown} on ${base} after ${res.attempts} attempt(s)`,
      };
    } catch (e) {
      if (e instanceof AcrAuthError)
        return { outcome: 'unreachable', reason: `could not get an ACR token: ${e.message}` };
      if (signal?.aborted) return { outcome: 'unreachable', reason: `no answer from ${base} in time` };
      return { outcome: 'unreachable', reason: e instanceof Error ? e.message : String(e) };
    }
  }
}
