// Never roll back by accident (README rule 4). For one region rollout, which of its workloads
// still need this release: not those whose ledger already holds this or a newer release, and
// not those a newer known release targets (that one will bring them further forward).
import { isNewerRelease } from './release-id';
import type { LedgerEntry, RegionRollout, Release } from './model';
import type { ActiveReleaseEntry } from './store';

export interface WorkloadPlan {
  /** Workloads this release should still change. */
  pending: string[];
  /** Workloads skipped, each with why. */
  skipped: Array<{ workload: string; reason: string }>;
  /** Workloads another release is changing right now (wait for it). */
  lockedBy: Array<{ workload: string; releaseId: string }>;
  /** Newest release that took over at least one workload, if any. */
  supersededBy?: string | undefined;
}

export function planWorkloads(
  rollout: Pick<RegionRollout, 'region' | 'workloads'>,
  release: Pick<Release, 'id' | 'pushedAt'>,
  ledger: readonly LedgerEntry[],
  active: readonly ActiveReleaseEntry[],
): WorkloadPlan {
  const plan: WorkloadPlan = { pending: [], skipped: [], lockedBy: [] };
  const self = { id: release.id, pushedAt: release.pushedAt };
  for (const workload of rollout.workloads) {
    const entry = ledger.find((l) => l.workload === workload);
    if (entry && entry.releaseId === release.id) {
      plan.skipped.push({ workload, reason: 'already runs this release' });
      continue;
    }
    if (entry && isNewerRelease({ id: entry.releaseId, pushedAt: entry.pushedAt }, self)) {
      plan.skipped.push({ workload, reason: `runs newer release ${entry.releaseId} (${entry.digest})` });
      continue;
    }
    const newer = active
      .filter(
        (a) =>
          a.releaseId !== release.id &&
          (a.targets[rollout.region] ?? []).includes(workload) &&
          isNewerRelease({ id: a.releaseId, pushedAt: a.pushedAt }, self),
      )
      .sort((a, b) =>
        isNewerRelease({ id: a.releaseId, pushedAt: a.pushedAt }, { id: b.releaseId, pushedAt: b.pushedAt })
          ? -1
          : 1,
      );
    if (newer[0]) {
      plan.skipped.push({
        workload,
        reason: `newer release ${newer[0].releaseId} (${newer[0].tag}) targets it`,
      });
      plan.supersededBy ??= newer[0].releaseId;
      continue;
    }
    if (entry?.inFlightReleaseId && entry.inFlightReleaseId !== release.id) {
      plan.lockedBy.push({ workload, releaseId: entry.inFlightReleaseId });
    }
    plan.pending.push(workload);
  }
  return plan;
}
