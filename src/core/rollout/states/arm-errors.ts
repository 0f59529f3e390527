// A start ARM itself failed (5xx, or ARM could not be reached): not "the cluster is busy" (429/409
// keep that path and its Retry-After), and not a spent attempt (the command provably never ran).
// ARM errors are bounded twice: a count and a wall-clock deadline set at the first one, so a
// broken ARM fails the rollout in minutes, naming it, instead of being retried as busy for an hour.
import { addSeconds, backoffSeconds } from '../../platform';
import type { RegionRollout } from '../../model';
import { REASONS } from '../reasons';
import { because, terminal, type StepContext } from './step';

/** ARM errors on starts of one region rollout before it fails. */
export const MAX_ARM_ERRORS = 6;
/** Wall-clock budget from the first ARM error; the first error after it fails the rollout. */
export const ARM_ERROR_BUDGET_SECONDS = 900;

export function refusedByArmError(
  claimed: RegionRollout,
  why: string,
  retryAfterSeconds: number | undefined,
  ctx: StepContext,
): RegionRollout {
  const armErrors = (claimed.armErrors ?? 0) + 1;
  const deadline = claimed.armErrorDeadline ?? addSeconds(ctx.now, ARM_ERROR_BUDGET_SECONDS).toISOString();
  const cleared: RegionRollout = {
    ...claimed,
    attempts: claimed.attempts - 1,
    armErrors,
    armErrorDeadline: deadline,
    handle: undefined,
    attemptStartedAt: undefined,
    lastError: why,
  };
  if (armErrors >= MAX_ARM_ERRORS || ctx.now.getTime() >= Date.parse(deadline)) {
    const budget = `at most ${MAX_ARM_ERRORS} errors within ${ARM_ERROR_BUDGET_SECONDS}s, until ${deadline}`;
    return terminal(cleared, 'failed', REASONS.armErrorExhausted(armErrors, budget, why), ctx.now);
  }
  const backoff = backoffSeconds(armErrors, Math.max(1, ctx.policy.retryBaseSeconds / 4), ctx.random01);
  const wait = Math.max(retryAfterSeconds ?? 0, backoff);
  // Never past the deadline: the retry at the deadline is the last chance.
  const at = new Date(Math.min(addSeconds(ctx.now, wait).getTime(), Date.parse(deadline)));
  const waited = (at.getTime() - ctx.now.getTime()) / 1000;
  return {
    ...because(cleared, REASONS.armErrorRetrying(waited, armErrors, MAX_ARM_ERRORS, deadline, why)),
    state: 'replica-ready',
    nextCheckAt: at.toISOString(),
  };
}
