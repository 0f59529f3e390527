// Which regions and workloads a push targets, and the records a new release starts with.
import {
  watchesTag,
  workloadKey,
  type RegionConfig,
  type RegionRollout,
  type Release,
  type Workload,
} from '../model';
import { REASONS } from '../rollout';
import type { ActiveReleaseEntry } from '../model';

/** region -> ledger keys of the workloads a push of repository:tag rolls out to there. */
export function planTargets(
  regions: readonly RegionConfig[],
  workloads: readonly Workload[],
  repository: string,
  tag: string,
): Record<string, string[]> {
  const targets: Record<string, string[]> = {};
  for (const w of workloads) {
    if (!watchesTag(w, repository, tag)) continue;
    for (const r of regions) {
      if (w.regions && !w.regions.includes(r.name)) continue;
      (targets[r.name] ??= []).push(workloadKey(w));
    }
  }
  return targets;
}

export function initialRollouts(
  release: Pick<Release, 'id'>,
  targets: Record<string, string[]>,
  regions: readonly RegionConfig[],
  now: Date,
): RegionRollout[] {
  const at = now.toISOString();
  return regions
    .filter((r) => (targets[r.name]?.length ?? 0) > 0)
    .map((r) => ({
      releaseId: release.id,
      region: r.name,
      wave: r.wave,
      state: 'waiting-for-replica' as const,
      reason: REASONS.created.text,
      reasonCode: REASONS.created.code,
      workloads: targets[r.name] ?? [],
      createdAt: at,
      updatedAt: at,
      attempts: 0,
      nextCheckAt: at,
    }));
}

export function activeEntryOf(release: Release, targets: Record<string, string[]>): ActiveReleaseEntry {
  return {
    releaseId: release.id,
    repository: release.repository,
    tag: release.tag,
    digest: release.digest,
    pushedAt: release.pushedAt,
    ...(release.version ? { version: release.version } : {}),
    ...(release.rollbackOf ? { rollbackOf: release.rollbackOf } : {}),
    targets,
  };
}
