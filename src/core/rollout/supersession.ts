// Never roll back by accident (docs/rules.md rule 4). For one region rollout, which of its workloads
// still need this release: not those whose ledger already holds this or a newer release, and
// not those a newer known release has taken over here (it rolls out or ran here). A newer release
// still pending here (behind its earlier waves, or its replica) is waited for, not given way to:
// if it ends here without rolling out (halted, timed out), this release goes ahead, so no region
// is stranded on an older release than the newest one that passed the earlier waves.
// "Newer" is the workload's order (src/core/intake/release-order.ts). With `order: "semver"`, a
// release pushed after a higher version is older by version: where that version runs or is still
// pending, it is skipped at once (it would only ever give way to it), not waited behind.
import { olderByVersion, PUSH_ORDER, type NewerFor, type NewerThan } from '../intake';
import type { HigherVersionHere } from './reasons';
import { isTerminal, type LedgerEntry, type RegionRollout, type Release } from '../model';
import type { ActiveReleaseEntry } from '../model';

export interface WorkloadPlan {
  /** Workloads this release should still change. */
  pending: string[];
  /** Workloads skipped, each with why. */
  skipped: SkippedWorkload[];
  /** Workloads another release is changing right now (wait for it). */
  lockedBy: Array<{ workload: string; releaseId: string }>;
  /** Newest release that took over at least one workload, if any. */
  supersededBy?: string | undefined;
  /** A newer release still pending here for a workload this one needs: wait, do not start. */
  waitingFor?: { releaseId: string; tag: string; state: string; workload: string } | undefined;
  /** Newer releases that ended here without rolling out: "<release id> (<state>)". */
  newerEnded?: string[] | undefined;
}

export interface SkippedWorkload {
  workload: string;
  reason: string;
  /** Skipped as older by version: the higher version that runs (or is pending) here. */
  olderVersion?: HigherVersionHere | undefined;
}

/** What a newer release's rollout in this region means for an older pending one. */
type NewerHere = 'took-over' | 'pending' | 'ended';

function newerHere(r: RegionRollout | undefined): NewerHere {
  // Not (yet) readable: wait rather than start something it may replace a moment later.
  if (!r) return 'pending';
  if (
    r.state === 'superseded' ||
    r.state === 'skipped' ||
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

type Self = Pick<Release, 'id' | 'pushedAt'> & Partial<Pick<Release, 'version' | 'rollbackOf'>>;

const ordered = (a: ActiveReleaseEntry) => ({ ...a, id: a.releaseId });

/** Active releases newer than `release` that target `workload` in the region, newest first. */
function newerTargeting(
  region: string,
  workload: string,
  release: Self,
  active: readonly ActiveReleaseEntry[],
  newer: NewerThan,
): ActiveReleaseEntry[] {
  return active
    .filter(
      (a) =>
        a.releaseId !== release.id &&
        (a.targets[region] ?? []).includes(workload) &&
        newer(ordered(a), release),
    )
    .sort((a, b) => (newer(ordered(a), ordered(b)) ? -1 : 1));
}

function ledgerSkip(
  entry: LedgerEntry | undefined,
  release: Self,
  newer: NewerThan,
): Omit<SkippedWorkload, 'workload'> | undefined {
  if (!entry?.releaseId) return undefined;
  if (entry.releaseId === release.id) return { reason: 'already runs this release' };
  const running = { ...entry, id: entry.releaseId };
  if (!newer(running, release)) return undefined;
  if (entry.version && olderByVersion(newer, release, running))
    return {
      reason: `runs higher version ${entry.version} (release ${entry.releaseId})`,
      olderVersion: { releaseId: entry.releaseId, version: entry.version, here: 'running' },
    };
  return { reason: `runs newer release ${entry.releaseId} (${entry.digest})` };
}

/**
 * The newer releases whose rollout in this region planWorkloads needs to see (for workloads the
 * ledger does not already settle). Usually none: reading them costs one point read each.
 */
export function newerReleasesToRead(
  rollout: Pick<RegionRollout, 'region' | 'workloads'>,
  release: Self,
  ledger: readonly LedgerEntry[],
  active: readonly ActiveReleaseEntry[],
  order: NewerFor = PUSH_ORDER,
): string[] {
  const ids = new Set<string>();
  for (const workload of rollout.workloads) {
    const newer = order(workload);
    if (
      ledgerSkip(
        ledger.find((l) => l.workload === workload),
        release,
        newer,
      )
    )
      continue;
    for (const n of newerTargeting(rollout.region, workload, release, active, newer)) ids.add(n.releaseId);
  }
  return [...ids];
}

/**
 * The newer releases of one workload, newest first: the first that took it over (or, older by
 * version, runs or is pending here) skips it; one pending here is waited for; those that ended
 * here without rolling out are passed over. Undefined: none stands in the way.
 */
function newerVerdict(
  plan: WorkloadPlan,
  workload: string,
  newerReleases: readonly ActiveReleaseEntry[],
  release: Self,
  newer: NewerThan,
  newerRollouts: ReadonlyMap<string, RegionRollout | undefined> | undefined,
): 'skipped' | 'waiting' | undefined {
  for (const n of newerReleases) {
    const r = newerRollouts?.get(n.releaseId);
    const here = newerRollouts ? newerHere(r) : 'took-over';
    if (here === 'ended') {
      const ended = `${n.releaseId} (${r?.state ?? 'ended'})`;
      plan.newerEnded = [...new Set([...(plan.newerEnded ?? []), ended])];
      continue;
    }
    if (n.version && olderByVersion(newer, release, ordered(n))) {
      const at = r?.state ?? (newerRollouts ? 'pending' : 'active');
      const reason = `higher version ${n.version} (release ${n.releaseId}) is ${at} here`;
      plan.skipped.push({
        workload,
        reason,
        olderVersion: { releaseId: n.releaseId, version: n.version, here: at },
      });
      return 'skipped';
    }
    if (here === 'pending') {
      plan.waitingFor ??= { releaseId: n.releaseId, tag: n.tag, state: r?.state ?? 'pending', workload };
      return 'waiting';
    }
    plan.skipped.push({ workload, reason: `newer release ${n.releaseId} (${n.tag}) targets it` });
    plan.supersededBy ??= n.releaseId;
    return 'skipped';
  }
  return undefined;
}

/**
 * @param newerRollouts the rollouts in this region of newerReleasesToRead's releases; without it
 *   any newer active release targeting a workload takes it over at once.
 * @param order which release is newer for each workload (releaseOrder of the configuration).
 */
export function planWorkloads(
  rollout: Pick<RegionRollout, 'region' | 'workloads'>,
  release: Self,
  ledger: readonly LedgerEntry[],
  active: readonly ActiveReleaseEntry[],
  newerRollouts?: ReadonlyMap<string, RegionRollout | undefined>,
  order: NewerFor = PUSH_ORDER,
): WorkloadPlan {
  const plan: WorkloadPlan = { pending: [], skipped: [], lockedBy: [] };
  for (const workload of rollout.workloads) {
    const newer = order(workload);
    const entry = ledger.find((l) => l.workload === workload);
    const skip = ledgerSkip(entry, release, newer);
    if (skip) {
      plan.skipped.push({ workload, ...skip });
      continue;
    }
    const newerReleases = newerTargeting(rollout.region, workload, release, active, newer);
    if (newerVerdict(plan, workload, newerReleases, release, newer, newerRollouts) === 'skipped') continue;
    if (entry?.inFlightReleaseId && entry.inFlightReleaseId !== release.id) {
      plan.lockedBy.push({ workload, releaseId: entry.inFlightReleaseId });
    }
    plan.pending.push(workload);
  }
  return plan;
}
