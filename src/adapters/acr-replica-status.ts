// Is a digest in region R's replica? A manifest HEAD on R's regional endpoint: 200 with the
// same Docker-Content-Digest means present, 404 means not yet, anything else means unknown.
import type { ReplicaPresence } from '../core/model';
import { isDigest, isRegion, isRepository } from '../core/names';
import type { ReplicaStatusPort } from '../core/ports';
import { repositoryPath, type AcrClient } from './acr-client';

/** ACR answers 404 for an index unless every one of these is accepted. */
export const MANIFEST_ACCEPT_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;

export interface ReplicaCheckLog {
  (event: {
    region: string;
    repository: string;
    digest: string;
    result: ReplicaPresence;
    detail: string;
  }): void;
}

export class AcrReplicaStatus implements ReplicaStatusPort {
  constructor(
    private readonly client: AcrClient,
    /** `https://<registry>.{region}.geo.azurecr.io`; undefined: regional webhooks are the only signal. */
    private readonly regionalEndpoint: string | undefined,
    private readonly log?: ReplicaCheckLog,
  ) {}

  async check(
    region: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<ReplicaPresence> {
    const { result, detail } = await this.checkWithDetail(region, repository, digest, signal);
    this.log?.({ region, repository, digest, result, detail });
    return result;
  }

  /** The answer and a short reason (for logs and the status API). Never throws. */
  async checkWithDetail(
    region: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<{ result: ReplicaPresence; detail: string }> {
    if (!this.regionalEndpoint) return { result: 'unknown', detail: 'no regional endpoint configured' };
    if (!isRegion(region) || !isRepository(repository) || !isDigest(digest))
      return { result: 'unknown', detail: 'invalid region, repository or digest' };
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
      if (res.status === 404) return { result: 'absent', detail: 'manifest unknown in this replica' };
      if (res.status === 200) {
        const served = res.headers.get('docker-content-digest');
        if (served === digest) return { result: 'present', detail: `present (${res.attempts} attempt(s))` };
        return { result: 'unknown', detail: `replica served digest ${served ?? '(none)'}` };
      }
      return { result: 'unknown', detail: `HTTP ${res.status} after ${res.attempts} attempt(s)` };
    } catch (e) {
      return { result: 'unknown', detail: (e as Error).message };
    }
  }
}
