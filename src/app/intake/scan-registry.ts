// ACR sends each webhook once, without retry. The scan finds pushes whose webhook was lost:
// recent tags of every watched repository, newer than when the app started watching it (so an
// install never redeploys old tags) and within the replication deadline (older pushes would
// time out anyway), planned exactly like a webhook would.
import { watchesTag } from '../../core/model';
import type { Deps } from '../platform';
import { watchedRepositories } from '../config';
import { errorMessage, type Logger } from '../platform';
import { planRelease } from './plan-release';

export interface ScanOutcome {
  repositories: number;
  tagsSeen: number;
  releasesCreated: number;
  errors: number;
}

export async function scanRegistry(deps: Deps, log: Logger, signal?: AbortSignal): Promise<ScanOutcome> {
  const out: ScanOutcome = { repositories: 0, tagsSeen: 0, releasesCreated: 0, errors: 0 };
  const now = deps.clock.now();
  const horizon = now.getTime() - deps.config.policy.replicationTimeoutSeconds * 1000;
  const repositories = watchedRepositories(deps.config);
  await Promise.all(
    repositories.map(async (repository) => {
      try {
        const since = Date.parse(await deps.store.setWatchStartIfAbsent(repository, now.toISOString()));
        const tags = await deps.registryListing.recentTags(repository, deps.config.registry.scanTags, signal);
        out.repositories++;
        for (const t of tags) {
          const at = Date.parse(t.updatedAt);
          // Newer than the watch start, within the deadline, and not from the future (clock skew).
          if (!(at > since && at > horizon && at <= now.getTime() + 10 * 60 * 1000)) continue;
          if (!deps.config.workloads.some((w) => watchesTag(w, repository, t.tag))) continue;
          out.tagsSeen++;
          const planned = await planRelease(deps, {
            repository,
            tag: t.tag,
            digest: t.digest,
            eventAt: t.updatedAt,
            source: 'registry-scan',
            // Read from the registry itself: verified by construction.
            verification: { verification: 'verified', verifiedAt: now.toISOString() },
          });
          if (planned.kind === 'planned' && planned.created) {
            out.releasesCreated++;
            log.info('scan.release-found', {
              releaseId: planned.releaseId,
              repository,
              tag: t.tag,
              digest: t.digest,
            });
          }
        }
      } catch (err) {
        out.errors++;
        log.warn('scan.error', { repository, error: errorMessage(err) });
        deps.metrics.operationError({ operation: 'registry-scan' });
      }
    }),
  );
  return out;
}
