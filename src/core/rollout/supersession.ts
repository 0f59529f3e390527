// Never roll back by accident (docs/rules.md rule 4). For one region rollout, which of its workloads
// still need this release: not those whose ledger already holds this or a newer release, and
// not those a newer known release has taken over here (it rolls out or ran here). A newer release
// still pending here (behind its earlier waves, or its replica) is waited for, not given way to:
// if it ends here without rolling out (halted, timed out), this release goes ahead, so no region
// is stranded on an older release than the newest one that passed the earlier waves.
import { isNewerRelease } from '../intake';
import { isTerminal, type LedgerEntry, type RegionRollout, type Release } from '../model';
import type { ActiveReleaseEntry } from '../model';

export interface WorkloadPlan {
  /** Workloads this release should still change. */
  pending: string[];
  /** Workloads skipped, each with why. */
  skipped: Array<{ workload: string; reason: string }>;
  /** Workloads another release is changing right now (wait for it). */
  lockedBy: Array<{ workload: string; releaseId: string }>;
  /** Newest release that took over at least one workload, if any. */
  supersededBy?: string | undefined;
  /** A newer release still pending here for a workload this one needs: wait, do not start. */
  waitingFor?: { releaseId: string; tag: string; state: string; workload: string } | undefined;
  /** Newer releases that ended here without rolling out: "<release id> (<state>)". */
  newerEnded?: string[] | undefined;
}

/** What a newer release's rollout in this region means for an older pending one. */
type NewerHere = 'took-over' | 'pending' | 'ended';

function newerHere(r: RegionRollout | undefined): NewerHere {
  // Not (yet) readable: wait rather than start something it may replace a moment later.
  if (!r) return 'pending';
  if (
    r.state === 'superseded' ||
    r.state === 'halted' ||
    r.state === 'replication-timed-out' ||
    r.state === 'rejected'
  )
    return 'ended';
  // Refused (or canceled) before any command ran: it changed nothing here.
  if ((r.state === 'failed' || r.state === 'canceled') && r.attempts === 0) return 'ended';
  return isTerminal(r.state) || r.state === 'rolling-out' || r.state === 'reverting'
    ? 'took-over'
    : 'pending';
}

const newest = (a: ActiveReleaseEntry, b: ActiveReleaseEntry) =>
  isNewerRelease({ id: a.releaseId, pushedAt: a.pushedAt }, { id: b.releaseId, pushedAt: b.pushedAt })
    ? -1
    : 1;

/** Active releases newer than `release` that target `workload` in the region, newest first. */
function newerTargeting(
  region: string,
  workload: string,
  release: Pick<Release, 'id' | 'pushedAt'>,
  active: readonly ActiveReleaseEntry[],
): ActiveReleaseEntry[] {
  const self = { id: release.id, pushedAt: release.pushedAt };
  return active
    .filter(
      (a) =>
        a.releaseId !== release.id &&
        (a.targets[region] ?? []).includes(workload) &&
        isNewerRelease({ id: a.releaseId, pushedAt: a.pushedAt }, self),
    )
    .sort(newest);
}

function ledgerSkip(
  entry: LedgerEntry | undefined,
  release: Pick<Release, 'id' | 'pushedAt'>,
): string | undefined {
  if (!entry?.releaseId) return undefined;
  if (entry.releaseId === release.id) return 'already runs this release';
  if (
    isNewerRelease(
      { id: entry.releaseId, pushedAt: entry.pushedAt },
      { id: release.id, pushedAt: release.pushedAt },
    )
  )
    return `runs newer release ${entry.releaseId} (${entry.digest})`;
  return undefined;
}

/**
 * The newer releases whose rollout in this region planWorkloads needs to see (for workloads the
 * ledger does not already settle). Usually none: reading them costs one point read each.
 */
export function newerReleasesToRead(
  rollout: Pick<RegionRollout, 'region' | 'workloads'>,
  release: Pick<Release, 'id' | 'pushedAt'>,
  ledger: readonly LedgerEntry[],
  active: readonly ActiveReleaseEntry[],
): string[] {
  const ids = new Set<string>();
  for (const workload of rollout.workloads) {
    if (
      ledgerSkip(
        ledger.find((l) => l.workload === workload),
        release,
      )
    )
      continue;
    for (const n of newerTargeting(rollout.region, workload, release, active)) ids.add(n.releaseId);
  }
  return [...ids];
}

/**
 * @param newerRollouts the rollouts in this region of newerReleasesToRead's releases; without it
 *   any newer active release targeting a workload takes it over at once.
 */
export function planWorkloads(
  rollout: Pick<RegionRollout, 'region' | 'workloads'>,
  release: Pick<Release, 'id' | 'pushedAt'>,
  ledger: readonly LedgerEntry[],
  active: readonly ActiveReleaseEntry[],
  newerRollouts?: ReadonlyMap<string, RegionRollout | undefined>,
): WorkloadPlan {
  const plan: WorkloadPlan = { pending: [], skipped: [], lockedBy: [] };
  for (const workload of rollout.workloads) {
    const entry = ledger.find((l) => l.workload === workload);
    const skip = ledgerSkip(entry, release);
    if (skip) {
      plan.skipped.push({ workload, reason: skip });
      continue;
    }
    let takenOver = false;
    for (const n of newerTargeting(rollout.region, workload, release, active)) {
      const r = newerRollouts?.get(n.releaseId);
      const here = newerRollouts ? newerHere(r) : 'took-over';
      if (here === 'ended') {
        const ended = `${n.releaseId} (${r?.state ?? 'ended'})`;
        plan.newerEnded = [...new Set([...(plan.newerEnded ?? []), ended])];
        continue;
      }
      if (here === 'pending') {
        plan.waitingFor ??= { releaseId: n.releaseId, tag: n.tag, state: r?.state ?? 'pending', workload };
        break;
      }
      plan.skipped.push({ workload, reason: `newer release ${n.releaseId} (${n.tag}) targets it` });
      plan.supersededBy ??= n.releaseId;
      takenOver = true;
      break;
    }
    if (takenOver) continue;
    if (entry?.inFlightReleaseId && entry.inFlightReleaseId !== release.id) {
      plan.lockedBy.push({ workload, releaseId: entry.inFlightReleaseId });
    }
    plan.pending.push(workload);
  }
  return plan;
}
