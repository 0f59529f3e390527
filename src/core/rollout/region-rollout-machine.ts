// The region-rollout state machine: a pure function of (rollout, what was observed, context, now)
// returning the next record, the action to take and a named reason (src/core/rollout/reasons.ts). No
// I/O, no clock reads. One step per state (src/core/rollout-states/), picked from STEPS:
//
//   waiting-for-replica --signal|check present--> replica-ready --gate open--> rolling-out
//   rolling-out --succeeded--> succeeded | --failed--> replica-ready (backoff) | failed
//     | --fence test failed--> superseded (newer-change-present; the ledger is not moved)
//     | --start ambiguous or unconfirmed--> rolling-out (claim kept; the same fenced change is
//       re-sent after a bounded wait, at most MAX_RESENDS times, then failed)
//     (failed: the executor said so, a claimed start stayed unconfirmed past the grace, or no
//      outcome past rolloutTimeoutSeconds; a start refused as busy returns to replica-ready
//      without spending the attempt, and fails after MAX_THROTTLED_STARTS refusals; a start ARM
//      failed (5xx) likewise, bounded by MAX_ARM_ERRORS and ARM_ERROR_BUDGET_SECONDS)
//   pending --newer release--> superseded;  waiting --deadline--> replication-timed-out
//   pending --a higher version runs or is pending here for every workload (order semver)--> skipped
//   pending --earlier wave failed--> halted;  replica-ready --DRY_RUN--> dry-run
//   rolling-out --failed for good after its command ran, onFailure revert--> reverting
//     --revert outcome--> failed (reason code reverted or revert-failed)
//   pending --newer release pending here--> waits (waiting-for-newer-release); superseded once
//     it rolls out here, goes ahead if it ends here without (src/core/rollout/supersession.ts)
//   pending --registry rejected the push--> rejected;  replica-ready of an unverified push waits
//   replica-ready --wave in policy.approvalWaves, not approved--> awaiting-approval --approve--> on
//   pending --paused or held--> waits (no new attempt);  pending --digest rejected--> canceled
//   (pending = waiting-for-replica, replica-ready or awaiting-approval; a replica found ready goes on as
//    replica-ready in the same step; the terminal states never change)
import { addSeconds, backoffSeconds } from '../platform';
import type { ReadinessSignal, RegionRollout, RegionRolloutState, RolloutStartResult } from '../model';
import { CAUSES, REASONS } from './reasons';
import { refusedByArmError } from './states/arm-errors';
import { awaitingApproval, pending, replicaReady, waitingForReplica } from './states/pending';
import { afterRevertStart, reverting } from './states/reverting';
import { rollingOut } from './states/rolling-out';
import {
  MAX_THROTTLED_STARTS,
  ambiguousWaitSeconds,
  because,
  failAttempt,
  finish,
  stay,
  terminal,
  type Action,
  type Decision,
  type Observation,
  type StateStep,
  type StepContext,
} from './states/step';

export {
  MAX_RESENDS,
  MAX_THROTTLED_STARTS,
  START_AMBIGUOUS_WAIT_SECONDS,
  ROLLOUT_TIMEOUT_GRACE_SECONDS,
  START_GRACE_SECONDS,
  ambiguousWaitSeconds,
  failAttempt,
  type Action,
  type Decision,
  type Observation,
  type StepContext,
} from './states/step';

const ended: StateStep = (r) => stay(r);

/** The step for each state; every state is listed so a new one cannot be forgotten. */
const STEPS: Readonly<Record<RegionRolloutState, StateStep>> = {
  'waiting-for-replica': pending(waitingForReplica),
  'replica-ready': pending(replicaReady),
  'awaiting-approval': pending(awaitingApproval),
  'rolling-out': rollingOut,
  reverting,
  succeeded: ended,
  failed: ended,
  superseded: ended,
  skipped: ended,
  'replication-timed-out': ended,
  halted: ended,
  'dry-run': ended,
  rejected: ended,
  canceled: ended,
};

/** What must be observed before deciding (the orchestrator does the I/O). */
export function observationNeeded(
  rollout: RegionRollout,
  signal: ReadinessSignal | undefined,
  now: Date,
): Action {
  const due = Date.parse(rollout.nextCheckAt) <= now.getTime();
  if (rollout.state === 'waiting-for-replica' && !signal && due) return 'check-replica';
  const running = rollout.state === 'rolling-out' || rollout.state === 'reverting';
  if (running && rollout.handle && due) return 'poll-rollout';
  return 'none';
}

export function decide(prev: RegionRollout, obs: Observation, ctx: StepContext): Decision {
  const { next, action, specUnchanged } = STEPS[prev.state]({ ...prev }, obs, ctx);
  return finish(prev, next, action, ctx, specUnchanged);
}

/** Records what the executor said about a claimed start. */
export function afterStart(claimed: RegionRollout, result: RolloutStartResult, ctx: StepContext): Decision {
  let next: RegionRollout;
  if (result.kind === 'started') {
    next = {
      ...because(claimed, REASONS.startAccepted(claimed.attempts, result.handle.commandId)),
      handle: result.handle,
      nextCheckAt: addSeconds(ctx.now, ctx.policy.rolloutPollIntervalSeconds).toISOString(),
    };
  } else if (result.kind === 'ambiguous') {
    next = keepAmbiguousClaim(claimed, result.reason, ctx);
  } else if (result.transient && result.armError) {
    next = refusedByArmError(claimed, result.reason, result.retryAfterSeconds, ctx);
  } else if (result.transient) {
    next = refusedAsBusy(claimed, result.reason, result.retryAfterSeconds, ctx);
  } else {
    next = failAttempt(claimed, CAUSES.reported(result.reason), false, ctx);
  }
  return finish(claimed, next, 'none', ctx);
}

/** Records what the executor said about a claimed revert (onFailure 'revert'). */
export function afterRevert(claimed: RegionRollout, result: RolloutStartResult, ctx: StepContext): Decision {
  return finish(claimed, afterRevertStart(claimed, result, ctx), 'none', ctx);
}

/**
 * The start may have reached the cluster: the attempt counts, the workload lock stays with this
 * release, and the same fenced change is re-sent after a bounded wait (rolling-out, no handle).
 */
function keepAmbiguousClaim(claimed: RegionRollout, why: string, ctx: StepContext): RegionRollout {
  const wait = ambiguousWaitSeconds(ctx.policy);
  return {
    ...because(claimed, REASONS.startAmbiguous(claimed.attempts, why, wait)),
    handle: undefined,
    lastError: why,
    nextCheckAt: addSeconds(ctx.now, wait).toISOString(),
  };
}

/** Throttled or busy: the command never ran, so the attempt is not spent; bounded separately. */
function refusedAsBusy(
  claimed: RegionRollout,
  why: string,
  retryAfterSeconds: number | undefined,
  ctx: StepContext,
): RegionRollout {
  const throttled = (claimed.throttled ?? 0) + 1;
  const cleared: RegionRollout = {
    ...claimed,
    attempts: claimed.attempts - 1,
    throttled,
    handle: undefined,
    attemptStartedAt: undefined,
    lastError: why,
  };
  if (throttled > MAX_THROTTLED_STARTS)
    return terminal(cleared, 'failed', REASONS.clusterBusyExhausted(throttled, why), ctx.now);
  const wait = Math.max(
    retryAfterSeconds ?? 0,
    backoffSeconds(throttled, Math.max(1, ctx.policy.retryBaseSeconds / 4), ctx.random01),
  );
  return {
    ...because(cleared, REASONS.clusterBusyRetrying(wait, why)),
    state: 'replica-ready',
    nextCheckAt: addSeconds(ctx.now, wait).toISOString(),
  };
}

/** DRY_RUN: record the exact command instead of running it. */
export function recordDryRun(claimed: RegionRollout, command: string, ctx: StepContext): Decision {
  const next = { ...terminal(claimed, 'dry-run', REASONS.dryRun, ctx.now), command, handle: undefined };
  return finish(claimed, next, 'none', ctx);
}

/**
 * DRY_RUN in place of a claimed start: the rollout ends dry-run straight from its pending
 * record (the claim itself is never written), keeping what the claim filled in.
 */
export function dryRunInstead(
  prev: RegionRollout,
  claimed: Decision,
  command: string,
  ctx: StepContext,
): Decision {
  if (claimed.action !== 'start-rollout') return claimed;
  return recordDryRun({ ...prev, ...claimed.next, state: prev.state }, command, ctx);
}
