// Is a pushed tag really the digest the webhook says? A manifest HEAD on the HOME endpoint, by
// tag (by digest for a push without a tag), with the Accept types the replica check uses (ACR
// answers 404 for an index otherwise): 200 with the same Docker-Content-Digest verifies the push,
// 404 or another digest refutes it, anything else (401/403, 5xx, no answer) leaves it unknown.
// Asked for the push time, it also reads the tag's attributes there: the home registry's
// `lastUpdateTime` of the tag is the one clock every region's delivery can be ordered by.
import { z } from 'zod';
import { errorMessage, safeJson } from '../../core/platform';
import { isDigest, isRepository, isTag } from '../../core/model';
import type { PushVerification, PushVerifierPort } from '../../core/model';
import { repositoryPath, type AcrClient } from './client';
import { MANIFEST_ACCEPT_TYPES } from './replica-status';
import { AcrAuthError } from './token-provider';

const tagAttributes = z.object({
  tag: z.object({ name: z.string(), digest: z.string(), lastUpdateTime: z.string() }),
});

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
    opts: { pushTime?: boolean } = {},
  ): Promise<PushVerification> {
    if (!isRepository(repository) || !isDigest(digest) || !(tag === '' || isTag(tag)))
      return { outcome: 'mismatch', reason: 'invalid repository, tag or digest' };
    // The push time is read beside the HEAD (in parallel: one round trip of the budget).
    const time = opts.pushTime && tag !== '' ? this.tagTime(repository, tag, digest, signal) : undefined;
    const verdict = await this.head(repository, tag, digest, signal);
    const pushedAt = time ? await time : undefined;
    return verdict.outcome === 'verified' && pushedAt ? { outcome: 'verified', pushedAt } : verdict;
  }

  /**
   * ACR's tag attributes (`GET /acr/v1/<repo>/_tags/<tag>`): its `lastUpdateTime` while the tag
   * is still on `digest` (the time of this push), else undefined. Never throws.
   */
  private async tagTime(
    repository: string,
    tag: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    try {
      const res = await this.client.call(
        {
          method: 'GET',
          base: this.endpoint.replace(/\/+$/, ''),
          path: `/acr/v1/${repositoryPath(repository)}/_tags/${encodeURIComponent(tag)}`,
          scope: `repository:${repository}:metadata_read`,
        },
        signal,
      );
      if (res.status !== 200) return undefined;
      const parsed = tagAttributes.safeParse(safeJson(res.body));
      if (!parsed.success || parsed.data.tag.digest !== digest) return undefined;
      const ms = Date.parse(parsed.data.tag.lastUpdateTime);
      return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
    } catch {
      return undefined;
    }
  }

  private async head(
    repository: string,
    tag: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<PushVerification> {
    const reference = tag === '' ? digest : tag;
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
      return { outcome: 'unreachable', reason: errorMessage(e) };
    }
  }
}
