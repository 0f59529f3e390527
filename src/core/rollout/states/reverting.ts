// onFailure 'revert': a rollout that failed for good after its command ran puts its workloads back
// on the ledger's last good release, with the same fenced change as a start. The step into
// `reverting` is the claim (written, with the workload locks kept, before the cluster is called),
// so the revert runs exactly once; its outcome ends the rollout `failed` either way, the reason
// saying whether the workloads were put back (reverted) or not (revert-failed).
import { addSeconds } from '../../platform';
import type { LastGood, RegionRollout, RolloutStartResult } from '../../model';
import { REASONS } from '../reasons';
import {
  ROLLOUT_TIMEOUT_GRACE_SECONDS,
  START_GRACE_SECONDS,
  because,
  stay,
  terminal,
  type Outcome,
  type StateStep,
  type StepContext,
} from './step';

const label = (to: LastGood) => `${to.releaseId} (${to.tag || to.digest})`;
const failure = (r: RegionRollout) => `failed: ${r.lastError ?? 'the rollout failed'}`;

/** Would a rollout that just failed for good be reverted? Only if its command ran. */
export function revertsAfter(prev: RegionRollout, next: RegionRollout, ctx: StepContext): boolean {
  return (
    next.state === 'failed' &&
    prev.handle !== undefined &&
    ctx.policy.onFailure === 'revert' &&
    ctx.revertTarget !== undefined
  );
}

/** The claim of the revert: `reverting`, no handle yet; the orchestrator then starts it. */
export function claimRevert(failed: RegionRollout, ctx: StepContext): Outcome {
  const to = ctx.revertTarget!;
  return {
    next: {
      ...because(failed, REASONS.reverting(failure(failed), label(to))),
      state: 'reverting',
      finishedAt: undefined,
      revertTo: to,
      handle: undefined,
      attemptStartedAt: ctx.now.toISOString(),
      nextCheckAt: addSeconds(ctx.now, START_GRACE_SECONDS).toISOString(),
    },
    action: 'revert-rollout',
  };
}

function ended(r: RegionRollout, to: LastGood, why: string | undefined, ctx: StepContext): RegionRollout {
  const reason = why
    ? REASONS.revertFailed(failure(r), label(to), why)
    : REASONS.reverted(failure(r), label(to));
  return terminal(r, 'failed', reason, ctx.now);
}

/** What the executor said about the revert's start. */
export function afterRevertStart(
  claimed: RegionRollout,
  result: RolloutStartResult,
  ctx: StepContext,
): RegionRollout {
  const to = claimed.revertTo!;
  if (result.kind !== 'started') return ended(claimed, to, `the cluster refused it: ${result.reason}`, ctx);
  return {
    ...because(claimed, REASONS.reverting(failure(claimed), label(to), result.handle.commandId)),
    handle: result.handle,
    nextCheckAt: addSeconds(ctx.now, ctx.policy.rolloutPollIntervalSeconds).toISOString(),
  };
}

export const reverting: StateStep = (r, obs, ctx) => {
  const to = r.revertTo;
  if (!to)
    return stay(
      terminal(r, 'failed', REASONS.revertFailed(failure(r), '?', 'no last good release'), ctx.now),
    );
  const since = ctx.now.getTime() - Date.parse(r.attemptStartedAt ?? r.updatedAt);
  if (!r.handle) {
    if (since >= START_GRACE_SECONDS * 1000) return stay(ended(r, to, 'its start was never confirmed', ctx));
    return stay(r);
  }
  const s = obs.status;
  if (s?.kind === 'succeeded')
    return stay({ ...ended(r, to, undefined, ctx), logsTail: s.logs ?? r.logsTail });
  if (s?.kind === 'failed') return stay({ ...ended(r, to, s.reason, ctx), logsTail: s.logs ?? r.logsTail });
  const timeout = ctx.policy.rolloutTimeoutSeconds + ROLLOUT_TIMEOUT_GRACE_SECONDS;
  if (since > timeout * 1000) return stay(ended(r, to, `no outcome within ${timeout}s`, ctx));
  if (!s) return stay(r);
  const wait = Math.max(
    s.kind === 'unknown' ? (s.retryAfterSeconds ?? 0) : 0,
    ctx.policy.rolloutPollIntervalSeconds,
  );
  return stay({ ...r, nextCheckAt: addSeconds(ctx.now, wait).toISOString() });
};
