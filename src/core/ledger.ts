// How a region-rollout transition changes the ledger of its region. Written in the same atomic
// transaction as the rollout, so the ledger and the rollouts can never disagree.
import type { LedgerEntry, RegionRollout, Release } from './model';

/** Workloads a claimed rollout actually changes (its targets minus those skipped at claim). */
export function changedWorkloads(r: Pick<RegionRollout, 'workloads' | 'skippedWorkloads'>): string[] {
  const skipped = new Set(r.skippedWorkloads ?? []);
  return r.workloads.filter((w) => !skipped.has(w));
}

function blank(region: string, workload: string, repository: string, now: string): LedgerEntry {
  return { region, workload, repository, digest: '', tag: '', releaseId: '', pushedAt: '', updatedAt: now };
}

export function ledgerChanges(
  prev: RegionRollout,
  next: RegionRollout,
  release: Pick<Release, 'id' | 'repository' | 'tag' | 'digest' | 'pushedAt'>,
  ledger: readonly LedgerEntry[],
  now: Date,
): LedgerEntry[] {
  const at = now.toISOString();
  const find = (w: string) => ledger.find((l) => l.workload === w);
  const claimed = prev.state !== 'rolling-out' && next.state === 'rolling-out';
  const leaving = prev.state === 'rolling-out' && next.state !== 'rolling-out';
  if (claimed) {
    // Take the per-workload lock; a concurrent claimer's write fails on the ETag.
    return changedWorkloads(next).map((w) => ({
      ...(find(w) ?? blank(next.region, w, release.repository, at)),
      inFlightReleaseId: release.id,
      inFlightPushedAt: release.pushedAt,
    }));
  }
  if (leaving && next.state === 'succeeded') {
    return changedWorkloads(prev).map((w) => ({
      ...(find(w) ?? blank(next.region, w, release.repository, at)),
      repository: release.repository,
      digest: release.digest,
      tag: release.tag,
      releaseId: release.id,
      pushedAt: release.pushedAt,
      updatedAt: at,
      inFlightReleaseId: undefined,
      inFlightPushedAt: undefined,
    }));
  }
  if (leaving) {
    return changedWorkloads(prev)
      .map(find)
      .filter((l): l is LedgerEntry => l !== undefined && l.inFlightReleaseId === release.id)
      .map((l) => ({ ...l, inFlightReleaseId: undefined, inFlightPushedAt: undefined }));
  }
  return [];
}
