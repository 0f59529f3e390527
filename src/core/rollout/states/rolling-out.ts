// The rolling-out state: a claimed start waits for its handle (or is retried once the claimer
// evidently died), then the polled status ends it, retries it, or schedules the next poll.
import { addSeconds } from '../../platform';
import type { RegionRollout, RolloutStatus } from '../../model';
import { CAUSES, REASONS } from '../reasons';
import { claimRevert, revertsAfter } from './reverting';
import {
  MAX_RESENDS,
  ROLLOUT_TIMEOUT_GRACE_SECONDS,
  START_GRACE_SECONDS,
  because,
  failAttempt,
  stay,
  terminal,
  type Observation,
  type Outcome,
  type StepContext,
} from './step';

export function rollingOut(r: RegionRollout, obs: Observation, ctx: StepContext): Outcome {
  const out = rollingOutStep(r, obs, ctx);
  // Failed for good after the command ran: with onFailure 'revert', claim the revert instead.
  return revertsAfter(r, out.next, ctx) ? claimRevert(out.next, ctx) : out;
}

function rollingOutStep(r: RegionRollout, obs: Observation, ctx: StepContext): Outcome {
  const sinceStart = ctx.now.getTime() - Date.parse(r.attemptStartedAt ?? r.updatedAt);
  if (!r.handle) return unconfirmed(r, sinceStart, ctx);
  const s = obs.status;
  if (s?.kind === 'fenced')
    return stay({
      ...terminal(r, 'superseded', REASONS.newerChangePresent(s.reason), ctx.now),
      handle: undefined,
      logsTail: s.logs ?? r.logsTail,
      lastError: undefined,
    });
  if (s?.kind === 'succeeded')
    return stay({
      ...terminal(r, 'succeeded', REASONS.succeeded, ctx.now),
      logsTail: s.logs ?? r.logsTail,
      lastError: undefined,
    });
  if (s?.kind === 'failed') {
    const failed = stay(failAttempt(r, CAUSES.reported(s.reason), s.transient, ctx, s.logs));
    return s.notRun ? { ...failed, specUnchanged: true } : failed;
  }
  const { rolloutTimeoutSeconds } = ctx.policy;
  if (sinceStart > (rolloutTimeoutSeconds + ROLLOUT_TIMEOUT_GRACE_SECONDS) * 1000)
    return stay(failAttempt(r, CAUSES.noOutcome(rolloutTimeoutSeconds), true, ctx));
  if (s?.kind === 'running' || s?.kind === 'unknown') return stay(stillRunning(r, s, ctx));
  return stay(r);
}

/**
 * A start without a handle: claimed and not yet confirmed (the claimer may still be starting
 * it: wait out the grace), or its answer was lost (start-ambiguous: wait the bounded delay).
 * Either way the claim stays and the SAME fenced change is re-sent: it is idempotent, and a
 * late copy of it can never undo a newer change, so the lock is never released to resolve it.
 */
function unconfirmed(r: RegionRollout, sinceStart: number, ctx: StepContext): Outcome {
  const due =
    r.reasonCode === 'start-ambiguous'
      ? Date.parse(r.nextCheckAt) <= ctx.now.getTime()
      : sinceStart >= START_GRACE_SECONDS * 1000;
  if (!due) return stay(r);
  const resends = (r.resends ?? 0) + 1;
  if (resends > MAX_RESENDS)
    return stay({
      ...terminal(r, 'failed', REASONS.startResendsExhausted(MAX_RESENDS), ctx.now),
      handle: undefined,
    });
  return {
    next: {
      ...because(r, REASONS.startResent(r.attempts, resends)),
      resends,
      attemptStartedAt: ctx.now.toISOString(),
    },
    action: 'start-rollout',
  };
}

/** Polled and not finished: say so and poll again (later, if the executor asked for that). */
function stillRunning(
  r: RegionRollout,
  s: Extract<RolloutStatus, { kind: 'running' | 'unknown' }>,
  ctx: StepContext,
): RegionRollout {
  const interval = ctx.policy.rolloutPollIntervalSeconds;
  const wait = s.kind === 'unknown' ? Math.max(s.retryAfterSeconds ?? 0, interval) : interval;
  const why = s.kind === 'running' ? REASONS.rollingOut(r.attempts) : REASONS.outcomeUnknown(s.reason);
  return { ...because(r, why), nextCheckAt: addSeconds(ctx.now, wait).toISOString() };
}
