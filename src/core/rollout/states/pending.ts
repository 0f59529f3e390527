// The pending states: waiting-for-replica and replica-ready. Both end early when a newer release
// covers every workload (superseded), a higher version runs or is pending for every workload
// (skipped, order semver) or an earlier wave failed (halted); a ready rollout then
// waits for its wave gate and workload locks, and claims the start (never before the replica).
import { addSeconds } from '../../platform';
import type { RegionRollout } from '../../model';
import { needsApproval, startBlocked } from '../../operator';
import { REASONS } from '../reasons';
import {
  START_GRACE_SECONDS,
  because,
  stay,
  terminal,
  type Observation,
  type Outcome,
  type StateStep,
  type StepContext,
} from './step';

/** Supersession and halting apply to every pending rollout, ready or not. */
function supersededOrHalted(r: RegionRollout, ctx: StepContext): Outcome | undefined {
  const { plan, gate, now, release } = ctx;
  // The digest was rejected for the repository by an operator: nothing of it may start.
  if (release.rejection) return stay(terminal(r, 'canceled', REASONS.rejectedDigest(release.rejection), now));
  // The registry said this push is not what the webhook claimed: nothing of it may run.
  if (release.verification === 'rejected')
    return stay(terminal(r, 'rejected', REASONS.pushRejected(release.verificationReason), now));
  if (plan.pending.length === 0) {
    const skipped = { ...r, skippedWorkloads: plan.skipped.map((s) => s.workload) };
    // Older by version for every workload (order semver): not superseded by a newer push, skipped.
    const higher = plan.skipped.flatMap((s) => (s.olderVersion ? [s.olderVersion] : []));
    if (higher.length > 0 && higher.length === plan.skipped.length)
      return stay(terminal(skipped, 'skipped', REASONS.olderVersion(release.version, higher), now));
    const reason = plan.supersededBy
      ? REASONS.supersededBy(plan.supersededBy)
      : REASONS.workloadsAlreadyNewer(plan.skipped.map((s) => s.reason));
    return stay(terminal(skipped, 'superseded', reason, now));
  }
  if (gate.kind === 'halt') return stay(terminal(r, 'halted', REASONS.halted(gate.reason), now));
  return undefined;
}

/** A pending state's step, run only when the rollout was neither superseded nor halted. */
export const pending =
  (step: StateStep): StateStep =>
  (r, obs, ctx) => {
    // Remember a newer release pending here: if it later ends (and leaves the active list), the
    // start of this one can still say why it went ahead.
    const seen = ctx.plan.waitingFor?.releaseId;
    const rr = seen && r.waitingForNewer !== seen ? { ...r, waitingForNewer: seen } : r;
    const out = supersededOrHalted(rr, ctx) ?? step(rr, obs, ctx);
    // Still waiting for the replica while paused or held: say so (the start is gated later).
    const blocked =
      out.next.state === 'waiting-for-replica' ? startBlocked(r, ctx.release, ctx.holds ?? []) : undefined;
    return blocked ? stay(because(out.next, blocked)) : out;
  };

/** Awaiting approval: the ready step again, which waits here until the wave is approved. */
export function awaitingApproval(r: RegionRollout, obs: Observation, ctx: StepContext): Outcome {
  return replicaReady({ ...r, state: 'replica-ready' }, obs, ctx);
}

/** The newer releases that ended here without rolling out, so this one goes ahead. */
function newerEnded(r: RegionRollout, plan: StepContext['plan']): string[] | undefined {
  if (plan.newerEnded) return plan.newerEnded;
  if (r.waitingForNewer) return [`${r.waitingForNewer} (ended without rolling out here)`];
  return undefined;
}

export function waitingForReplica(r: RegionRollout, obs: Observation, ctx: StepContext): Outcome {
  const { now, policy } = ctx;
  const at = now.toISOString();
  // Ready now: go on as replica-ready in this same run, so a ready region starts without delay.
  if (obs.signal) {
    const ready = because(r, REASONS.replicaPresentWebhook);
    return replicaReady(
      {
        ...ready,
        state: 'replica-ready',
        replicaReadyAt: obs.signal.receivedAt,
        replicaReadySource: 'webhook',
        nextCheckAt: at,
      },
      obs,
      ctx,
    );
  }
  if (obs.replica === 'present') {
    const ready = because(r, REASONS.replicaPresentCheck);
    return replicaReady(
      {
        ...ready,
        state: 'replica-ready',
        replicaReadyAt: at,
        replicaReadySource: 'check',
        lastCheckAt: at,
        lastCheckResult: 'present',
        nextCheckAt: at,
      },
      obs,
      ctx,
    );
  }
  // An operator's retry restarts the replication deadline.
  const deadline = addSeconds(new Date(r.retriedAt ?? r.createdAt), policy.replicationTimeoutSeconds);
  if (now >= deadline)
    return stay(
      terminal(
        r,
        'replication-timed-out',
        REASONS.replicationTimedOut(policy.replicationTimeoutSeconds),
        now,
      ),
    );
  if (!obs.replica) return stay(r);
  const next = addSeconds(now, policy.replicaCheckIntervalSeconds);
  const why =
    obs.replica === 'absent'
      ? REASONS.replicaAbsent
      : obs.replicaCause
        ? REASONS.replicaCheckFailed(obs.replicaCause)
        : REASONS.replicaUnknown;
  return stay({
    ...because(r, why),
    lastCheckAt: at,
    lastCheckResult: obs.replica,
    nextCheckAt: (next < deadline ? next : deadline).toISOString(),
  });
}

export function replicaReady(r: RegionRollout, _obs: Observation, ctx: StepContext): Outcome {
  const { now, policy, gate, plan } = ctx;
  const poll = addSeconds(now, policy.rolloutPollIntervalSeconds);
  if (gate.kind === 'wait') {
    const until = gate.until ?? poll;
    return stay({ ...because(r, REASONS.waitingForWave(gate.reason)), nextCheckAt: until.toISOString() });
  }
  // The earlier waves are done: an approval wave waits for its operator.
  if (needsApproval(r.wave, ctx.release, policy))
    return stay({ ...because(r, REASONS.awaitingApproval(r.wave)), state: 'awaiting-approval' });
  const newer = plan.waitingFor;
  if (newer) {
    const why = REASONS.waitingForNewer(newer.releaseId, newer.tag, newer.state);
    return stay({ ...because(r, why), nextCheckAt: poll.toISOString() });
  }
  const lock = plan.lockedBy[0];
  if (lock) {
    const why = REASONS.waitingForLock(lock.releaseId, lock.workload);
    return stay({ ...because(r, why), nextCheckAt: poll.toISOString() });
  }
  // Registry unreachable when the push was planned: the first start waits for its confirmation.
  if (ctx.release.verification === 'unverified') {
    const why = REASONS.waitingForVerification(ctx.release.verificationReason);
    return stay({ ...because(r, why), nextCheckAt: poll.toISOString() });
  }
  // Paused or held: no new attempt starts (a running one finishes); checked again next run.
  const blocked = startBlocked(r, ctx.release, ctx.holds ?? []);
  if (blocked) return stay(because(r, blocked));
  if (Date.parse(r.nextCheckAt) > now.getTime()) return stay(r);
  // Claim the start. The orchestrator writes this (ETag-guarded, with the workload locks)
  // BEFORE calling the executor, so only one instance can get here for this attempt.
  return {
    next: {
      ...because(r, REASONS.startClaimed(r.attempts + 1)),
      state: 'rolling-out',
      attempts: r.attempts + 1,
      attemptStartedAt: now.toISOString(),
      startedAt: r.startedAt ?? now.toISOString(),
      handle: undefined,
      skippedWorkloads: plan.skipped.map((s) => s.workload),
      // Why this older release runs here after all: the newer ones ended here without rolling out.
      newerEnded: newerEnded(r, plan),
      nextCheckAt: addSeconds(now, START_GRACE_SECONDS).toISOString(),
    },
    action: 'start-rollout',
  };
}
