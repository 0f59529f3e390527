// What every state step of the region-rollout machine shares: its inputs, its result and the
// few record builders (a reason, an ending, a failed attempt). Pure: no I/O, no clock reads.
import { addSeconds, backoffSeconds } from '../../platform';
import type {
  LastGood,
  ReadinessSignal,
  RegionRollout,
  Release,
  ReplicaPresence,
  RolloutPolicy,
  RolloutStatus,
} from '../../model';
import type { Hold } from '../../operator';
import { REASONS, type FailureCause, type Reason, type ReasonCode } from '../reasons';
import type { WorkloadPlan } from '../supersession';
import type { WaveGate } from '../wave-gate';

export type Action = 'none' | 'check-replica' | 'poll-rollout' | 'start-rollout' | 'revert-rollout';

export interface Observation {
  /** A regional webhook said this region's replica holds the digest. */
  signal?: ReadinessSignal | undefined;
  /** The replica was checked during this run. */
  replica?: ReplicaPresence | undefined;
  /** Why that check failed (its answer is then 'unknown'), shown in the waiting reason. */
  replicaCause?: string | undefined;
  /** The running rollout was polled during this run. */
  status?: RolloutStatus | undefined;
}

export interface StepContext {
  release: Pick<Release, 'id' | 'pushedAt'> &
    Partial<
      Pick<
        Release,
        | 'verification'
        | 'verificationReason'
        | 'paused'
        | 'pausedBy'
        | 'pausedAt'
        | 'pauseReason'
        | 'approvedWaves'
        | 'rejection'
        | 'version'
      >
    >;
  policy: RolloutPolicy;
  now: Date;
  gate: WaveGate;
  plan: WorkloadPlan;
  /** A uniform draw in [0, 1) for backoff jitter (an input, to keep this pure). */
  random01: number;
  /** The one last good release of every changed workload, if they share one (onFailure revert). */
  revertTarget?: LastGood | undefined;
  /** Operator holds on this rollout's region (src/core/operator/controls.ts); none when absent. */
  holds?: readonly Hold[] | undefined;
}

export interface Decision {
  next: RegionRollout;
  action: Action;
  reason: string;
  /** The code of `reason`; undefined only when nothing changed on a record that predates codes. */
  reasonCode: ReasonCode | undefined;
  changed: boolean;
  /** The attempt ended without its command touching the cluster (the ledger marks nothing failed). */
  specUnchanged?: true | undefined;
}

/** What one state step returns; `decide` turns it into a Decision against the original record. */
export interface Outcome {
  next: RegionRollout;
  action: Action;
  specUnchanged?: true | undefined;
}

export type StateStep = (r: RegionRollout, obs: Observation, ctx: StepContext) => Outcome;

/** A claimed start whose outcome never got recorded (the instance died) is retried after this. */
export const START_GRACE_SECONDS = 120;
/** After an ambiguous start (the POST may have reached ARM), the same fenced change is re-sent after at most this. */
export const START_AMBIGUOUS_WAIT_SECONDS = 30;

/** The bounded wait before a re-send: a few poll intervals (the command may still be starting), at most 30 s. */
export function ambiguousWaitSeconds(policy: Pick<RolloutPolicy, 'rolloutPollIntervalSeconds'>): number {
  return Math.min(START_AMBIGUOUS_WAIT_SECONDS, Math.max(1, 6 * policy.rolloutPollIntervalSeconds));
}
/** Re-sends of one attempt's fenced change before the rollout fails. */
export const MAX_RESENDS = 5;
/** Extra time past rolloutTimeoutSeconds before a silent rollout counts as failed. */
export const ROLLOUT_TIMEOUT_GRACE_SECONDS = 120;
/** Starts turned away as throttled/busy before the rollout fails. */
export const MAX_THROTTLED_STARTS = 10;

/** Nothing to do: the record goes back as it is (or as the step already changed it). */
export const stay = (next: RegionRollout): Outcome => ({ next, action: 'none' });

/** The record with its human reason and the code that goes with it. */
export function because(r: RegionRollout, reason: Reason): RegionRollout {
  return { ...r, reason: reason.text, reasonCode: reason.code };
}

function sameRecord(a: RegionRollout, b: RegionRollout): boolean {
  const strip = ({ etag: _e, updatedAt: _u, ...rest }: RegionRollout) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

export function finish(
  prev: RegionRollout,
  next: RegionRollout,
  action: Action,
  ctx: StepContext,
  specUnchanged?: true,
): Decision {
  const changed = !sameRecord(prev, next);
  if (changed) next.updatedAt = ctx.now.toISOString();
  return {
    next,
    action,
    reason: next.reason,
    reasonCode: next.reasonCode,
    changed,
    ...(specUnchanged ? { specUnchanged } : {}),
  };
}

export function terminal(
  r: RegionRollout,
  state: RegionRollout['state'],
  reason: Reason,
  now: Date,
): RegionRollout {
  return { ...because(r, reason), state, finishedAt: now.toISOString(), nextCheckAt: now.toISOString() };
}

/** A failed attempt: retry with backoff while attempts remain and the failure is transient. */
export function failAttempt(
  r: RegionRollout,
  cause: FailureCause,
  transient: boolean,
  ctx: StepContext,
  logs?: string,
): RegionRollout {
  const base: RegionRollout = {
    ...r,
    handle: undefined,
    attemptStartedAt: undefined,
    lastError: cause.text,
    logsTail: logs ?? r.logsTail,
  };
  // An operator's retry gives a fresh budget: attempts count from there.
  if (transient && r.attempts - (r.budgetFrom ?? 0) < ctx.policy.maxAttempts) {
    const wait = backoffSeconds(r.attempts, ctx.policy.retryBaseSeconds, ctx.random01);
    return {
      ...because(
        base,
        REASONS.retrying(cause, r.attempts - (r.budgetFrom ?? 0), ctx.policy.maxAttempts, wait),
      ),
      state: 'replica-ready',
      nextCheckAt: addSeconds(ctx.now, wait).toISOString(),
    };
  }
  const why = transient
    ? REASONS.attemptsExhausted(r.attempts - (r.budgetFrom ?? 0), cause)
    : REASONS.failedPermanent(cause);
  return terminal(base, 'failed', why, ctx.now);
}
