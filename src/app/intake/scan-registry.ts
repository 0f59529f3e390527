// ACR sends each webhook once, without retry. The scan finds pushes whose webhook was lost:
// recent tags of every watched repository, newer than when the app started watching it (so an
// install never redeploys old tags) and within the replication deadline (older pushes would
// time out anyway), planned exactly like a webhook would, and written out at once.
import type { TagHeadStore } from '../../core/intake';
import { watchesTag, type ReleaseStore, type TagListing, type VerificationUpdate } from '../../core/model';
import type { Deps } from '../platform';
import { watchedRepositories } from '../config';
import { errorMessage, type Logger } from '../platform';
import { writeOutRelease, type PendingStore } from './pending-release';
import { planRelease, type PlanOutcome, type PlanStore } from './plan-release';

export interface ScanOutcome {
  repositories: number;
  tagsSeen: number;
  releasesCreated: number;
  errors: number;
}

export type ScanStore = PlanStore &
  PendingStore &
  Pick<TagHeadStore, 'setWatchStartIfAbsent'> &
  Pick<ReleaseStore, 'recordVerification'>;

type ScanDeps = Deps<ScanStore>;

export async function scanRegistry(deps: ScanDeps, log: Logger, signal?: AbortSignal): Promise<ScanOutcome> {
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
          const created = await planFound(deps, repository, t, now);
          if (!created) continue;
          out.releasesCreated++;
          log.info('scan.release-found', { releaseId: created, repository, tag: t.tag, digest: t.digest });
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

/** Plans one tag found and writes its release out; the id of a release it created. */
async function planFound(
  deps: ScanDeps,
  repository: string,
  t: TagListing,
  now: Date,
): Promise<string | undefined> {
  // Read from the registry itself: verified by construction.
  const verification = { verification: 'verified' as const, verifiedAt: now.toISOString() };
  const planned = await planRelease(deps, {
    repository,
    tag: t.tag,
    digest: t.digest,
    eventAt: t.updatedAt,
    source: 'registry-scan',
    verification,
  });
  if (planned.kind === 'claimed') {
    await writeOutRelease(deps, { claimed: planned.pending });
    return planned.releaseId;
  }
  if (planned.kind === 'known') await writeOutKnown(deps, planned, verification);
  return undefined;
}

/**
 * A push the tag head knows: its release written out if still pending (its source stays the
 * webhook's), or from this sighting if neither it nor its record is there (a head claimed without
 * a pending record); a release claimed unverified is verified by this sighting.
 */
async function writeOutKnown(
  deps: ScanDeps,
  planned: Extract<PlanOutcome, { kind: 'known' }>,
  verification: VerificationUpdate,
): Promise<void> {
  const { releaseId, head, record } = planned;
  const found =
    (await writeOutRelease(deps, { releaseId, repositories: [head.repository] })) ??
    (await writeOutRelease(deps, { claimed: record }));
  if (found?.release.verification === 'unverified')
    await deps.store.recordVerification(found.release, verification);
}
