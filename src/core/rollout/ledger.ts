// How a region-rollout transition changes the ledger of its region. Written in the same atomic
// transaction as the rollout, so the ledger and the rollouts can never disagree. An entry keeps
// the release that last succeeded; when the newest attempt failed after its command ran (the
// spec now points at its digest), `status: 'failed'` and `failed` say so until a later success
// or a revert to the last good release clears them.
import type { LedgerEntry, LedgerFailure, RegionRollout, Release } from '../model';

/** Workloads a claimed rollout actually changes (its targets minus those skipped at claim). */
export function changedWorkloads(r: Pick<RegionRollout, 'workloads' | 'skippedWorkloads'>): string[] {
  const skipped = new Set(r.skippedWorkloads ?? []);
  return r.workloads.filter((w) => !skipped.has(w));
}

function blank(region: string, workload: string, repository: string, now: string): LedgerEntry {
  return { region, workload, repository, digest: '', tag: '', releaseId: '', pushedAt: '', updatedAt: now };
}

/** States in which a rollout holds its workloads' locks (it is changing them). */
const holds = (r: RegionRollout) => r.state === 'rolling-out' || r.state === 'reverting';

type LedgerRelease = Pick<Release, 'id' | 'repository' | 'tag' | 'digest' | 'pushedAt'> &
  Partial<Pick<Release, 'version' | 'rollbackOf'>>;

function failureOf(next: RegionRollout, release: LedgerRelease, at: string): LedgerFailure {
  return {
    releaseId: release.id,
    tag: release.tag,
    digest: release.digest,
    at,
    reason: (next.lastError ?? next.reason).slice(0, 1000),
  };
}

/** The entry of a workload, or a blank one for a workload the ledger does not have yet. */
type EntryOf = (workload: string) => LedgerEntry;

/** Take the per-workload lock; a concurrent claimer's write fails on the ETag. */
function claimedEntries(next: RegionRollout, release: LedgerRelease, entry: EntryOf): LedgerEntry[] {
  return changedWorkloads(next).map((w) => ({
    ...entry(w),
    inFlightReleaseId: release.id,
    inFlightPushedAt: release.pushedAt,
  }));
}

/** The release is what the workloads run now: the lock goes and any failure is cleared. */
function succeededEntries(
  prev: RegionRollout,
  release: LedgerRelease,
  entry: EntryOf,
  at: string,
): LedgerEntry[] {
  return changedWorkloads(prev).map((w) => ({
    ...entry(w),
    repository: release.repository,
    digest: release.digest,
    tag: release.tag,
    releaseId: release.id,
    pushedAt: release.pushedAt,
    // What the workload's release order reads of what runs there (src/core/intake/release-order.ts).
    version: release.version,
    rollbackOf: release.rollbackOf,
    updatedAt: at,
    inFlightReleaseId: undefined,
    inFlightPushedAt: undefined,
    status: undefined,
    failed: undefined,
  }));
}

/** Into `reverting` the lock stays (the revert changes the workloads next); otherwise it goes. */
function failedEntries(
  prev: RegionRollout,
  next: RegionRollout,
  release: LedgerRelease,
  entry: EntryOf,
  at: string,
): LedgerEntry[] {
  const keep = holds(next);
  return changedWorkloads(prev).map((w) => ({
    ...entry(w),
    updatedAt: at,
    status: 'failed',
    failed: failureOf(next, release, at),
    ...(keep ? {} : { inFlightReleaseId: undefined, inFlightPushedAt: undefined }),
  }));
}

/**
 * The lock this release holds goes; a revert that went through puts the entry back to its last
 * good release: ok again.
 */
function unlockedEntries(
  prev: RegionRollout,
  next: RegionRollout,
  release: LedgerRelease,
  find: (workload: string) => LedgerEntry | undefined,
  at: string,
): LedgerEntry[] {
  const reverted = prev.state === 'reverting' && next.reasonCode === 'reverted';
  return changedWorkloads(prev)
    .map(find)
    .filter((l): l is LedgerEntry => l !== undefined && l.inFlightReleaseId === release.id)
    .map((l) => ({
      ...l,
      inFlightReleaseId: undefined,
      inFlightPushedAt: undefined,
      ...(reverted ? { status: undefined, failed: undefined, updatedAt: at } : {}),
    }));
}

/**
 * `specUnchanged`: the attempt ended before its command touched the cluster (the executor said
 * so), so it is not a failed change on the ledger: the spec still points at what ran before.
 */
export function ledgerChanges(
  prev: RegionRollout,
  next: RegionRollout,
  release: LedgerRelease,
  ledger: readonly LedgerEntry[],
  now: Date,
  specUnchanged = false,
): LedgerEntry[] {
  const at = now.toISOString();
  const find = (w: string) => ledger.find((l) => l.workload === w);
  const entry = (w: string) => find(w) ?? blank(next.region, w, release.repository, at);
  const claimed = !holds(prev) && holds(next);
  const leaving = holds(prev) && !holds(next);
  // An attempt whose command ran ended without success: the spec points at this digest now.
  const ranAndFailed =
    prev.state === 'rolling-out' && prev.handle !== undefined && next.state !== 'succeeded' && !specUnchanged;
  if (claimed) return claimedEntries(next, release, entry);
  if (leaving && next.state === 'succeeded') return succeededEntries(prev, release, entry, at);
  if (ranAndFailed) return failedEntries(prev, next, release, entry, at);
  if (leaving) return unlockedEntries(prev, next, release, find, at);
  return [];
}
