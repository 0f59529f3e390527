// Operator controls as data, and the pure rules over them: which hold stops a region
// rollout, whether a release is paused or its wave needs an approval, and what a retry resets.
// No I/O, no clock reads: the use cases in src/app/operator-*.ts pass `now` in.
import { PUSH_ORDER, type NewerFor, type OrderedRelease } from '../intake';
import type { LedgerEntry, RegionRollout, Release, RolloutPauseMark, RolloutPolicy } from '../model';
import { REASONS, type Reason } from '../rollout';

export const AUDIT_ACTIONS = [
  'retry',
  'pause',
  'resume',
  'approve',
  'cancel',
  'reject',
  'unreject',
  'hold',
  'unhold',
  'rollback',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One operator action as recorded: who, what, on what, and whether it took effect. */
export interface AuditEntry {
  at: string;
  actor: string;
  action: AuditAction;
  releaseId?: string | undefined;
  region?: string | undefined;
  wave?: number | undefined;
  reason?: string | undefined;
  /** `applied`, or `refused: <why>` for a 409. */
  outcome: string;
  /** Extra words (the regions retried, the rollback's new release, the rejected digest). */
  detail?: string | undefined;
}

/** Nothing starts on the region (or on that one workload in it) while the hold exists. */
export interface Hold {
  id: string;
  region: string;
  /** A ledger key `ns/Kind/name/container`; absent: the whole region. */
  workload?: string | undefined;
  reason?: string | undefined;
  actor: string;
  at: string;
}

/** A digest rejected for a repository: later pushes of it are recorded but never rolled out. */
export interface Rejection {
  repository: string;
  digest: string;
  actor: string;
  at: string;
  reason?: string | undefined;
  /** The release whose reject action placed it. */
  releaseId?: string | undefined;
}

/** The words a release or rollout carries about a rejection. */
export function rejectionText(r: Rejection): string {
  return `digest ${r.digest} of ${r.repository} was rejected by ${r.actor} at ${r.at}${r.reason ? `: ${r.reason}` : ''}`;
}

export const RETRYABLE_STATES: ReadonlySet<RegionRollout['state']> = new Set([
  'failed',
  'halted',
  'replication-timed-out',
]);
/** The pending states: what cancel ends (a rolling-out or reverting rollout finishes its attempt), what holds gate. */
export const PENDING_STATES: ReadonlySet<RegionRollout['state']> = new Set([
  'waiting-for-replica',
  'replica-ready',
  'awaiting-approval',
]);

/** Holds in the order they were placed (then by id: two placed in the same millisecond). */
export function byPlacement(a: Hold, b: Hold): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The first hold that stops this rollout: one on its region, or on one of its workloads. */
export function holdFor(
  r: Pick<RegionRollout, 'region' | 'workloads'>,
  holds: readonly Hold[],
): Hold | undefined {
  return holds.find((h) => h.region === r.region && (!h.workload || r.workloads.includes(h.workload)));
}

/** Whether the wave needs an approval this release has not been given. */
export function needsApproval(
  wave: number,
  release: Pick<Release, 'approvedWaves'>,
  policy: Pick<RolloutPolicy, 'approvalWaves'>,
): boolean {
  return (policy.approvalWaves ?? []).includes(wave) && !(release.approvedWaves ?? []).includes(wave);
}

/**
 * Why a ready rollout may not start a new attempt now (pause or hold), if it may not. Paused when
 * the release says so or the rollout's own row does: the row is what the claim ETag-guards, and
 * a pause marks it before answering, so a release read before the pause cannot let a start through.
 */
export function startBlocked(
  r: Pick<RegionRollout, 'region' | 'workloads' | 'pause'>,
  release: Pick<Release, 'paused' | 'pausedBy' | 'pausedAt' | 'pauseReason'>,
  holds: readonly Hold[],
): Reason | undefined {
  const hold = holdFor(r, holds);
  if (hold)
    return REASONS.held(
      hold.workload ? `${hold.workload} in ${hold.region}` : hold.region,
      hold.actor,
      hold.reason,
    );
  if (release.paused)
    return REASONS.pausedBy(release.pausedBy ?? 'unknown', release.pausedAt ?? '?', release.pauseReason);
  if (r.pause?.paused) return REASONS.pausedBy(r.pause.by ?? 'unknown', r.pause.at ?? '?', r.pause.reason);
  return undefined;
}

/** The mark a pause or resume of `release` (its pauseSeq already counted) puts on each rollout. */
export function pauseMark(
  release: Pick<Release, 'paused' | 'pausedBy' | 'pausedAt' | 'pauseReason' | 'pauseSeq'>,
): RolloutPauseMark {
  return release.paused
    ? {
        seq: release.pauseSeq ?? 0,
        paused: true,
        by: release.pausedBy,
        at: release.pausedAt,
        reason: release.pauseReason,
      }
    : { seq: release.pauseSeq ?? 0, paused: false };
}

/** The rollout with the mark, or undefined when it already carries this mark or a later one. */
export function markedRollout(r: RegionRollout, mark: RolloutPauseMark): RegionRollout | undefined {
  return (r.pause?.seq ?? 0) >= mark.seq ? undefined : { ...r, pause: mark };
}

/**
 * The workloads of the rollout the ledger shows on a release newer than this one (what runs
 * there, or a newer attempt that failed after changing the spec): a retry there would roll them
 * back (rule 4), so it is refused. Each with the newer release it is on.
 */
export function newerOnLedger(
  r: Pick<RegionRollout, 'workloads'>,
  release: Pick<Release, 'id' | 'pushedAt'> & Partial<Pick<Release, 'version' | 'rollbackOf'>>,
  ledger: readonly LedgerEntry[],
  order: NewerFor = PUSH_ORDER,
): Array<{ workload: string; releaseId: string; tag: string; digest: string }> {
  return ledger
    .filter((l) => r.workloads.includes(l.workload))
    .flatMap((l) => {
      const newer = (on: Omit<OrderedRelease, 'pushedAt'> & { pushedAt: string | undefined }) =>
        !!on.id &&
        !!on.pushedAt &&
        on.id !== release.id &&
        order(l.workload)({ ...on, pushedAt: on.pushedAt }, release);
      if (newer({ ...l, id: l.releaseId }))
        return [{ workload: l.workload, releaseId: l.releaseId, tag: l.tag, digest: l.digest }];
      // A failed newer attempt: its id sorts by push time like every release id (inverted ms).
      const f = l.failed;
      if (f && newer({ id: f.releaseId, pushedAt: pushedAtOfId(f.releaseId) }))
        return [{ workload: l.workload, releaseId: f.releaseId, tag: f.tag, digest: f.digest }];
      return [];
    });
}

/** The push time a release id encodes (src/core/intake/release-id.ts: 13 digits of inverted ms). */
function pushedAtOfId(id: string): string | undefined {
  const m = /^(\d{13})-/.exec(id);
  return m?.[1] ? new Date(9_999_999_999_999 - Number(m[1])).toISOString() : undefined;
}

/** A retried rollout: pending again with a fresh attempt budget and replication deadline. */
export function retriedRollout(
  r: RegionRollout,
  actor: string,
  why: string | undefined,
  now: Date,
): RegionRollout {
  const at = now.toISOString();
  const reason = REASONS.operatorRetry(actor, r.state, why);
  return {
    ...r,
    state: r.replicaReadyAt ? 'replica-ready' : 'waiting-for-replica',
    reason: reason.text,
    reasonCode: reason.code,
    budgetFrom: r.attempts,
    retriedAt: at,
    throttled: 0,
    armErrors: 0,
    armErrorDeadline: undefined,
    resends: 0,
    handle: undefined,
    attemptStartedAt: undefined,
    finishedAt: undefined,
    revertTo: undefined,
    nextCheckAt: at,
    updatedAt: at,
  };
}

/** A pending rollout ended by an operator (or by a rejection of its digest). */
export function canceledRollout(r: RegionRollout, reason: Reason, now: Date): RegionRollout {
  const at = now.toISOString();
  return {
    ...r,
    state: 'canceled',
    reason: reason.text,
    reasonCode: reason.code,
    finishedAt: at,
    nextCheckAt: at,
    updatedAt: at,
  };
}

/** Inverted time + random: audit rows sort newest first. */
export function auditRowKey(at: string, random: string): string {
  const ms = Math.max(0, Math.min(9_999_999_999_999, Date.parse(at) || 0));
  return `${String(9_999_999_999_999 - ms).padStart(13, '0')}-${random}`;
}
