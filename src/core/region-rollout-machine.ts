// The region-rollout state machine: a pure function of (rollout, what was observed, context, now)
// returning the next record, the action to take and a named reason. No I/O, no clock reads.
//
//   waiting-for-replica --signal|check present--> replica-ready --gate open--> rolling-out
//   rolling-out --succeeded--> succeeded | --failed--> replica-ready (backoff) | failed
//   pending --newer release--> superseded;  waiting --deadline--> replication-timed-out
//   pending --earlier wave failed--> halted;  replica-ready --DRY_RUN--> dry-run
import { addSeconds, backoffSeconds } from './backoff';
import type { ReadinessSignal, RegionRollout, Release, ReplicaPresence, RolloutPolicy } from './model';
import type { RolloutStartResult, RolloutStatus } from './ports';
import type { WorkloadPlan } from './supersession';
import type { WaveGate } from './wave-gate';

export type Action = 'none' | 'check-replica' | 'poll-rollout' | 'start-rollout';

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
  release: Pick<Release, 'id' | 'pushedAt'>;
  policy: RolloutPolicy;
  now: Date;
  gate: WaveGate;
  plan: WorkloadPlan;
  /** A uniform draw in [0, 1) for backoff jitter (an input, to keep this pure). */
  random01: number;
}

export interface Decision {
  next: RegionRollout;
  action: Action;
  reason: string;
  changed: boolean;
}

/** A claimed start whose outcome never got recorded (the instance died) is retried after this. */
export const START_GRACE_SECONDS = 120;
/** Extra time past rolloutTimeoutSeconds before a silent rollout counts as failed. */
export const ROLLOUT_TIMEOUT_GRACE_SECONDS = 120;
/** Starts turned away as throttled/busy before the rollout fails. */
export const MAX_THROTTLED_STARTS = 10;

const PENDING = new Set(['waiting-for-replica', 'replica-ready']);

/** What must be observed before deciding (the orchestrator does the I/O). */
export function observationNeeded(
  rollout: RegionRollout,
  signal: ReadinessSignal | undefined,
  now: Date,
): Action {
  const due = Date.parse(rollout.nextCheckAt) <= now.getTime();
  if (rollout.state === 'waiting-for-replica' && !signal && due) return 'check-replica';
  if (rollout.state === 'rolling-out' && rollout.handle && due) return 'poll-rollout';
  return 'none';
}

function sameRecord(a: RegionRollout, b: RegionRollout): boolean {
  const strip = ({ etag: _e, updatedAt: _u, ...rest }: RegionRollout) => rest;
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function finish(prev: RegionRollout, next: RegionRollout, action: Action, ctx: StepContext): Decision {
  const changed = !sameRecord(prev, next);
  if (changed) next.updatedAt = ctx.now.toISOString();
  return { next, action, reason: next.reason, changed };
}

function terminal(r: RegionRollout, state: RegionRollout['state'], reason: string, now: Date): RegionRollout {
  return { ...r, state, reason, finishedAt: now.toISOString(), nextCheckAt: now.toISOString() };
}

/** A failed attempt: retry with backoff while attempts remain and the failure is transient. */
export function failAttempt(
  r: RegionRollout,
  reason: string,
  transient: boolean,
  ctx: StepContext,
  logs?: string,
): RegionRollout {
  const base: RegionRollout = {
    ...r,
    handle: undefined,
    attemptStartedAt: undefined,
    lastError: reason,
    logsTail: logs ?? r.logsTail,
  };
  if (transient && r.attempts < ctx.policy.maxAttempts) {
    const wait = backoffSeconds(r.attempts, ctx.policy.retryBaseSeconds, ctx.random01);
    return {
      ...base,
      state: 'replica-ready',
      reason: `attempt ${r.attempts} of ${ctx.policy.maxAttempts} failed, retrying in ${Math.round(wait)}s: ${reason}`,
      nextCheckAt: addSeconds(ctx.now, wait).toISOString(),
    };
  }
  const why = transient ? `failed after ${r.attempts} attempts: ${reason}` : `failed: ${reason}`;
  return terminal(base, 'failed', why, ctx.now);
}

export function decide(prev: RegionRollout, obs: Observation, ctx: StepContext): Decision {
  const { now, policy } = ctx;
  let r: RegionRollout = { ...prev };

  if (PENDING.has(r.state)) {
    // Supersession and halting apply to every pending rollout, ready or not.
    if (ctx.plan.pending.length === 0) {
      const reason = ctx.plan.supersededBy
        ? `superseded by newer release ${ctx.plan.supersededBy}`
        : `every workload already runs this or a newer release (${ctx.plan.skipped.map((s) => s.reason).join('; ')})`;
      return finish(
        prev,
        terminal(
          { ...r, skippedWorkloads: ctx.plan.skipped.map((s) => s.workload) },
          'superseded',
          reason,
          now,
        ),
        'none',
        ctx,
      );
    }
    if (ctx.gate.kind === 'halt')
      return finish(prev, terminal(r, 'halted', ctx.gate.reason, now), 'none', ctx);
  }

  if (r.state === 'waiting-for-replica') {
    if (obs.signal) {
      r = {
        ...r,
        state: 'replica-ready',
        reason: 'replica holds the digest (regional webhook)',
        replicaReadyAt: obs.signal.receivedAt,
        replicaReadySource: 'webhook',
        nextCheckAt: now.toISOString(),
      };
    } else if (obs.replica === 'present') {
      r = {
        ...r,
        state: 'replica-ready',
        reason: 'replica holds the digest (manifest check)',
        replicaReadyAt: now.toISOString(),
        replicaReadySource: 'check',
        lastCheckAt: now.toISOString(),
        lastCheckResult: 'present',
        nextCheckAt: now.toISOString(),
      };
    } else {
      const deadline = addSeconds(new Date(r.createdAt), policy.replicationTimeoutSeconds);
      if (now >= deadline)
        return finish(
          prev,
          terminal(
            r,
            'replication-timed-out',
            `replica did not hold the digest within ${policy.replicationTimeoutSeconds}s`,
            now,
          ),
          'none',
          ctx,
        );
      if (obs.replica) {
        const next = addSeconds(now, policy.replicaCheckIntervalSeconds);
        r = {
          ...r,
          reason:
            obs.replica === 'absent'
              ? 'waiting for the replica to hold the digest (not there yet)'
              : obs.replicaCause
                ? `waiting for the replica: check failed: ${obs.replicaCause}`
                : 'waiting for the replica (its status is unknown right now; regional webhook or next check)',
          lastCheckAt: now.toISOString(),
          lastCheckResult: obs.replica,
          nextCheckAt: (next < deadline ? next : deadline).toISOString(),
        };
      }
      return finish(prev, r, 'none', ctx);
    }
  }

  if (r.state === 'replica-ready') {
    if (ctx.gate.kind === 'wait') {
      const until = ctx.gate.until ?? addSeconds(now, policy.rolloutPollIntervalSeconds);
      return finish(prev, { ...r, reason: ctx.gate.reason, nextCheckAt: until.toISOString() }, 'none', ctx);
    }
    if (ctx.plan.lockedBy.length > 0) {
      const l = ctx.plan.lockedBy[0]!;
      return finish(
        prev,
        {
          ...r,
          reason: `waiting for release ${l.releaseId} to finish changing ${l.workload}`,
          nextCheckAt: addSeconds(now, policy.rolloutPollIntervalSeconds).toISOString(),
        },
        'none',
        ctx,
      );
    }
    if (Date.parse(r.nextCheckAt) > now.getTime()) return finish(prev, r, 'none', ctx);
    // Claim the start. The orchestrator writes this (ETag-guarded, with the workload locks)
    // BEFORE calling the executor, so only one instance can get here for this attempt.
    return finish(
      prev,
      {
        ...r,
        state: 'rolling-out',
        reason: `starting attempt ${r.attempts + 1}`,
        attempts: r.attempts + 1,
        attemptStartedAt: now.toISOString(),
        startedAt: r.startedAt ?? now.toISOString(),
        handle: undefined,
        skippedWorkloads: ctx.plan.skipped.map((s) => s.workload),
        nextCheckAt: addSeconds(now, START_GRACE_SECONDS).toISOString(),
      },
      'start-rollout',
      ctx,
    );
  }

  if (r.state === 'rolling-out') {
    const attemptStart = Date.parse(r.attemptStartedAt ?? r.updatedAt);
    if (!r.handle) {
      if (now.getTime() - attemptStart >= START_GRACE_SECONDS * 1000)
        return finish(
          prev,
          failAttempt(
            r,
            'the start of this attempt was never confirmed (instance stopped mid-start)',
            true,
            ctx,
          ),
          'none',
          ctx,
        );
      return finish(prev, r, 'none', ctx);
    }
    const overdue =
      now.getTime() - attemptStart > (policy.rolloutTimeoutSeconds + ROLLOUT_TIMEOUT_GRACE_SECONDS) * 1000;
    const s = obs.status;
    if (s?.kind === 'succeeded') {
      return finish(
        prev,
        {
          ...terminal(r, 'succeeded', 'rollout succeeded', now),
          logsTail: s.logs ?? r.logsTail,
          lastError: undefined,
        },
        'none',
        ctx,
      );
    }
    if (s?.kind === 'failed')
      return finish(prev, failAttempt(r, s.reason, s.transient, ctx, s.logs), 'none', ctx);
    if (overdue)
      return finish(
        prev,
        failAttempt(
          r,
          `no outcome within rolloutTimeoutSeconds (${policy.rolloutTimeoutSeconds}s)`,
          true,
          ctx,
        ),
        'none',
        ctx,
      );
    if (s?.kind === 'running' || s?.kind === 'unknown') {
      const wait =
        s.kind === 'unknown'
          ? Math.max(s.retryAfterSeconds ?? 0, policy.rolloutPollIntervalSeconds)
          : policy.rolloutPollIntervalSeconds;
      return finish(
        prev,
        {
          ...r,
          reason:
            s.kind === 'running'
              ? `rolling out (attempt ${r.attempts})`
              : `rolling out; outcome unknown for now: ${s.reason}`,
          nextCheckAt: addSeconds(now, wait).toISOString(),
        },
        'none',
        ctx,
      );
    }
    return finish(prev, r, 'none', ctx);
  }

  return finish(prev, r, 'none', ctx);
}

/** Records what the executor said about a claimed start. */
export function afterStart(claimed: RegionRollout, result: RolloutStartResult, ctx: StepContext): Decision {
  let next: RegionRollout;
  if (result.kind === 'started') {
    next = {
      ...claimed,
      handle: result.handle,
      reason: `rolling out (attempt ${claimed.attempts}${result.handle.commandId ? `, command ${result.handle.commandId}` : ''})`,
      nextCheckAt: addSeconds(ctx.now, ctx.policy.rolloutPollIntervalSeconds).toISOString(),
    };
  } else if (result.transient) {
    // Throttled or busy: the command never ran, so the attempt is not spent; bounded separately.
    const throttled = (claimed.throttled ?? 0) + 1;
    const undo = { ...claimed, attempts: claimed.attempts - 1, throttled };
    if (throttled > MAX_THROTTLED_STARTS) {
      next = terminal(
        { ...undo, handle: undefined, attemptStartedAt: undefined, lastError: result.reason },
        'failed',
        `failed: cluster refused ${throttled} starts: ${result.reason}`,
        ctx.now,
      );
    } else {
      const wait = Math.max(
        result.retryAfterSeconds ?? 0,
        backoffSeconds(throttled, Math.max(1, ctx.policy.retryBaseSeconds / 4), ctx.random01),
      );
      next = {
        ...undo,
        state: 'replica-ready',
        handle: undefined,
        attemptStartedAt: undefined,
        lastError: result.reason,
        reason: `cluster busy, retrying in ${Math.round(wait)}s: ${result.reason}`,
        nextCheckAt: addSeconds(ctx.now, wait).toISOString(),
      };
    }
  } else {
    next = failAttempt(claimed, result.reason, false, ctx);
  }
  return finish(claimed, next, 'none', ctx);
}

/** DRY_RUN: record the exact command instead of running it. */
export function recordDryRun(claimed: RegionRollout, command: string, ctx: StepContext): Decision {
  const next = {
    ...terminal(claimed, 'dry-run', 'dry run: the command was recorded, not run', ctx.now),
    command,
    handle: undefined,
  };
  return finish(claimed, next, 'none', ctx);
}
