import { describe, expect, it } from 'vitest';
import type { RegionRollout, RolloutPolicy } from '../../src/core/model/records';
import type { RolloutStatus } from '../../src/core/model/ports';
import type { ReasonCode } from '../../src/core/rollout/reasons';
import {
  ambiguousWaitSeconds,
  afterStart,
  decide,
  dryRunInstead,
  observationNeeded,
  recordDryRun,
  type Observation,
  type StepContext,
} from '../../src/core/rollout/region-rollout-machine';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const policy: RolloutPolicy = {
  replicationTimeoutSeconds: 600,
  rolloutTimeoutSeconds: 120,
  bakeSeconds: 0,
  maxAttempts: 3,
  continueOnFailure: false,
  retryBaseSeconds: 10,
  replicaCheckIntervalSeconds: 5,
  rolloutPollIntervalSeconds: 5,
};
const rollout = (o: Partial<RegionRollout> = {}): RegionRollout => ({
  releaseId: 'r1',
  region: 'westeurope',
  wave: 1,
  state: 'waiting-for-replica',
  reason: '',
  workloads: ['default/Deployment/my-app/my-app'],
  createdAt: at(-60),
  updatedAt: at(-60),
  attempts: 0,
  nextCheckAt: at(-1),
  ...o,
});
const ctx = (o: Partial<StepContext> = {}): StepContext => ({
  release: { id: 'r1', pushedAt: at(-70) },
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan: { pending: ['default/Deployment/my-app/my-app'], skipped: [], lockedBy: [] },
  random01: 0.5,
  ...o,
});
const signal = {
  repository: 'my-app',
  digest: 'sha256:' + 'a'.repeat(64),
  region: 'westeurope',
  receivedAt: at(-2),
  eventAt: at(-3),
};
const running = (o: Partial<RegionRollout> = {}) =>
  rollout({
    replicaReadyAt: at(-30),
    replicaReadySource: 'webhook',
    ...o,
    state: 'rolling-out',
    attempts: o.attempts ?? 1,
    attemptStartedAt: o.attemptStartedAt ?? at(-20),
    handle: 'handle' in o ? o.handle : { value: 'cmd-1', commandId: 'cmd-1' },
  });

interface Case {
  name: string;
  rollout: RegionRollout;
  obs?: Observation;
  ctx?: Partial<StepContext>;
  state: RegionRollout['state'];
  action?: string;
  /** The reason code the decision and the record carry. */
  code?: ReasonCode;
  changed?: boolean;
  check?: (next: RegionRollout) => void;
}

const status = (s: RolloutStatus): Observation => ({ status: s });

const cases: Case[] = [
  {
    name: 'when the replica check says absent, then it keeps waiting and checks again after the interval',
    rollout: rollout(),
    obs: { replica: 'absent' },
    state: 'waiting-for-replica',
    code: 'replica-absent',
    check: (n) => {
      expect(n.lastCheckResult).toBe('absent');
      expect(n.nextCheckAt).toBe(at(5));
    },
  },
  {
    name: 'when the check status is unknown, then it waits (unknown is not a failure)',
    rollout: rollout(),
    obs: { replica: 'unknown' },
    state: 'waiting-for-replica',
    code: 'replica-unknown',
  },
  {
    name: 'when the regional webhook came and the gate is open, then it becomes ready and claims the start at once',
    rollout: rollout(),
    obs: { signal },
    state: 'rolling-out',
    action: 'start-rollout',
    code: 'start-claimed',
    check: (n) => {
      expect(n.replicaReadySource).toBe('webhook');
      expect(n.replicaReadyAt).toBe(signal.receivedAt);
      expect(n.attempts).toBe(1);
      expect(n.startedAt).toBe(NOW.toISOString());
      expect(n.handle).toBeUndefined();
    },
  },
  {
    name: 'when the manifest check finds the digest, then readiness is recorded with source check',
    rollout: rollout(),
    obs: { replica: 'present' },
    state: 'rolling-out',
    action: 'start-rollout',
    code: 'start-claimed',
    check: (n) => expect(n.replicaReadySource).toBe('check'),
  },
  {
    name: 'when nothing says the replica holds it, then it never starts (never pull before ready)',
    rollout: rollout({ nextCheckAt: at(3) }),
    obs: {},
    state: 'waiting-for-replica',
    changed: false,
  },
  {
    name: 'when the replication deadline passed, then it ends replication-timed-out',
    rollout: rollout({ createdAt: at(-601) }),
    obs: { replica: 'absent' },
    state: 'replication-timed-out',
    code: 'replication-timed-out',
  },
  {
    name: 'when an earlier wave failed, then a waiting rollout is halted with the reason',
    rollout: rollout(),
    ctx: { gate: { kind: 'halt', reason: 'wave 0 failed in eastus (failed: boom)' } },
    state: 'halted',
    code: 'halted',
    // The gate's own words name the failed region; the machine passes them on.
    check: (n) => expect(n.reason).toBe('wave 0 failed in eastus (failed: boom)'),
  },
  {
    name: 'when a newer release targets every workload, then a pending rollout is superseded',
    rollout: rollout({ state: 'replica-ready' }),
    ctx: {
      plan: { pending: [], skipped: [{ workload: 'w', reason: 'newer' }], lockedBy: [], supersededBy: 'r2' },
    },
    state: 'superseded',
    code: 'superseded',
    check: (n) => {
      expect(n.reason).toContain('r2');
      expect(n.skippedWorkloads).toEqual(['w']);
    },
  },
  {
    name: 'when every workload already runs something newer, then it is superseded without a start',
    rollout: rollout({ state: 'replica-ready' }),
    ctx: {
      plan: { pending: [], skipped: [{ workload: 'w', reason: 'runs newer release r9' }], lockedBy: [] },
    },
    state: 'superseded',
    code: 'workloads-already-newer',
    check: (n) => expect(n.reason).toContain('runs newer release r9'),
  },
  {
    name: 'when the earlier wave is still running, then a ready rollout waits with the gate reason',
    rollout: rollout({ state: 'replica-ready' }),
    ctx: { gate: { kind: 'wait', reason: 'waiting for wave 0 (eastus)' } },
    state: 'replica-ready',
    code: 'waiting-for-wave',
    check: (n) => expect(n.reason).toBe('waiting for wave 0 (eastus)'),
  },
  {
    name: 'when another release is changing the workload, then it waits for that release',
    rollout: rollout({ state: 'replica-ready' }),
    ctx: { plan: { pending: ['w'], skipped: [], lockedBy: [{ workload: 'w', releaseId: 'r0' }] } },
    state: 'replica-ready',
    code: 'waiting-for-workload-lock',
    check: (n) => expect(n.reason).toContain('r0'),
  },
  {
    name: 'when a retry backoff has not elapsed, then nothing changes',
    rollout: rollout({ state: 'replica-ready', attempts: 1, nextCheckAt: at(30) }),
    state: 'replica-ready',
    changed: false,
  },
  {
    name: 'when the rollout succeeded, then it ends succeeded with the logs',
    rollout: running(),
    obs: status({ kind: 'succeeded', logs: 'deployment "my-app" successfully rolled out' }),
    state: 'succeeded',
    code: 'succeeded',
    check: (n) => {
      expect(n.finishedAt).toBe(NOW.toISOString());
      expect(n.logsTail).toContain('successfully rolled out');
    },
  },
  {
    name: 'when a transient failure leaves attempts, then it goes back to ready with backoff and the reason',
    rollout: running({ attempts: 1 }),
    obs: status({ kind: 'failed', reason: 'exit code 1: ImagePullBackOff', transient: true }),
    state: 'replica-ready',
    code: 'attempt-failed-retrying',
    check: (n) => {
      expect(n.lastError).toContain('ImagePullBackOff');
      expect(Date.parse(n.nextCheckAt)).toBeGreaterThan(NOW.getTime());
      expect(n.handle).toBeUndefined();
    },
  },
  {
    name: 'when the last attempt fails, then it ends failed with the last reason',
    rollout: running({ attempts: 3 }),
    obs: status({ kind: 'failed', reason: 'rollout timed out', transient: true }),
    state: 'failed',
    code: 'attempts-exhausted',
    check: (n) => expect(n.lastError).toBe('rollout timed out'),
  },
  {
    name: 'when a failure is permanent, then it fails at once',
    rollout: running({ attempts: 1 }),
    obs: status({ kind: 'failed', reason: 'container "x" not found', transient: false }),
    state: 'failed',
    code: 'failed-permanent',
    check: (n) => expect(n.lastError).toBe('container "x" not found'),
  },
  {
    name: 'when the rollout is still running, then it polls again after the interval',
    rollout: running(),
    obs: status({ kind: 'running' }),
    state: 'rolling-out',
    code: 'rolling-out',
    check: (n) => expect(n.nextCheckAt).toBe(at(5)),
  },
  {
    name: 'when the outcome cannot be learned now, then it keeps rolling out and asks again after Retry-After',
    rollout: running(),
    obs: status({ kind: 'unknown', reason: 'HTTP 503', retryAfterSeconds: 30 }),
    state: 'rolling-out',
    code: 'outcome-unknown',
    check: (n) => expect(n.nextCheckAt).toBe(at(30)),
  },
  {
    name: 'when a rollout gives no outcome past its timeout, then the attempt fails and retries',
    rollout: running({ attemptStartedAt: at(-(120 + 121)) }),
    obs: status({ kind: 'running' }),
    state: 'replica-ready',
    code: 'rollout-overdue-retrying',
  },
  {
    name: 'when a claimed start was never confirmed within the grace, then the same change is re-sent under the claim',
    rollout: running({ handle: undefined, attemptStartedAt: at(-121), attempts: 1 }),
    state: 'rolling-out',
    action: 'start-rollout',
    code: 'start-resent',
    check: (r) => {
      expect(r.attempts).toBe(1);
      expect(r.resends).toBe(1);
    },
  },
  {
    name: 'when an ambiguous start waited its bounded delay, then the same change is re-sent, not a new attempt',
    rollout: running({ handle: undefined, reasonCode: 'start-ambiguous', attempts: 1, nextCheckAt: at(-1) }),
    state: 'rolling-out',
    action: 'start-rollout',
    code: 'start-resent',
    check: (r) => expect(r.attempts).toBe(1),
  },
  {
    name: 'when an ambiguous start is still within its delay, then it waits with the claim',
    rollout: running({ handle: undefined, reasonCode: 'start-ambiguous', nextCheckAt: at(10) }),
    state: 'rolling-out',
    changed: false,
  },
  {
    name: 'when re-sends are exhausted, then the rollout fails naming it',
    rollout: running({ handle: undefined, reasonCode: 'start-ambiguous', nextCheckAt: at(-1), resends: 5 }),
    state: 'failed',
    code: 'start-resends-exhausted',
  },
  {
    name: 'when the fence test failed (a newer change is there), then it ends superseded, not failed',
    rollout: running(),
    obs: { status: { kind: 'fenced', reason: 'shop/deployment/web carries release B' } },
    state: 'superseded',
    code: 'newer-change-present',
  },
  {
    name: 'when a claimed start is recent, then it waits for the claimer',
    rollout: running({ handle: undefined, attemptStartedAt: at(-5) }),
    state: 'rolling-out',
    changed: false,
  },
  {
    name: 'when a rollout already ended, then nothing changes',
    rollout: rollout({ state: 'succeeded' }),
    obs: { signal },
    state: 'succeeded',
    changed: false,
  },
];

describe('region rollout state machine', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(c.rollout, c.obs ?? {}, ctx(c.ctx));
      expect(d.next.state).toBe(c.state);
      if (c.action) expect(d.action).toBe(c.action);
      else expect(d.action).toBe('none');
      if (c.code) {
        expect(d.reasonCode).toBe(c.code);
        expect(d.next.reasonCode).toBe(c.code);
      }
      if (c.changed !== undefined) expect(d.changed).toBe(c.changed);
      c.check?.(d.next);
    });
  }

  it('when the start answer was lost, then the attempt counts and the claim stays (start-ambiguous)', () => {
    const claimed = decide(rollout(), { signal }, ctx()).next;
    const d = afterStart(claimed, { kind: 'ambiguous', reason: 'no answer from ARM' }, ctx());
    expect(d.next).toMatchObject({
      state: 'rolling-out',
      attempts: claimed.attempts,
      reasonCode: 'start-ambiguous',
    });
    expect(d.next.handle).toBeUndefined();
    expect(Date.parse(d.next.nextCheckAt) - ctx().now.getTime()).toBe(
      ambiguousWaitSeconds(ctx().policy) * 1000,
    );
  });

  it('when the cluster accepts the start, then the handle is kept for later runs', () => {
    const claimed = decide(rollout(), { signal }, ctx()).next;
    const d = afterStart(
      claimed,
      { kind: 'started', handle: { value: '{"id":"x"}', commandId: 'x' } },
      ctx(),
    );
    expect(d.next.state).toBe('rolling-out');
    expect(d.reasonCode).toBe('start-accepted');
    expect(d.next.handle?.commandId).toBe('x');
  });

  it('when the cluster is busy (409/429), then the attempt is not spent and it retries after Retry-After', () => {
    const claimed = decide(rollout(), { signal }, ctx()).next;
    const d = afterStart(
      claimed,
      { kind: 'rejected', transient: true, reason: '429 throttled', retryAfterSeconds: 40 },
      ctx(),
    );
    expect(d.next.state).toBe('replica-ready');
    expect(d.reasonCode).toBe('cluster-busy-retrying');
    expect(d.next.attempts).toBe(0);
    expect(d.next.throttled).toBe(1);
    expect(Date.parse(d.next.nextCheckAt)).toBeGreaterThanOrEqual(NOW.getTime() + 40_000);
  });

  it('when the cluster refuses for good (403, Run Command disabled), then it fails at once naming why', () => {
    const claimed = decide(rollout(), { signal }, ctx()).next;
    const d = afterStart(
      claimed,
      { kind: 'rejected', transient: false, reason: 'missing permission runcommand/action' },
      ctx(),
    );
    expect(d.next.state).toBe('failed');
    expect(d.reasonCode).toBe('failed-permanent');
    expect(d.next.reason).toContain('runcommand/action');
  });

  it('when the cluster keeps refusing as busy, then it fails after a bounded number of tries', () => {
    const claimed = decide(rollout(), { signal }, ctx()).next;
    const d = afterStart(
      { ...claimed, throttled: 10 },
      { kind: 'rejected', transient: true, reason: '409 busy' },
      ctx(),
    );
    expect(d.next.state).toBe('failed');
    expect(d.reasonCode).toBe('cluster-busy-exhausted');
    expect(d.next.throttled).toBe(11);
  });

  it('when dry run, then the exact command is recorded and the rollout ends dry-run', () => {
    const d = recordDryRun(rollout({ state: 'replica-ready' }), 'kubectl set image ...', ctx());
    expect(d.next.state).toBe('dry-run');
    expect(d.reasonCode).toBe('dry-run');
    expect(d.next.command).toBe('kubectl set image ...');
  });

  it('when dry run replaces a claimed start, then it ends dry-run from the pending record without a handle', () => {
    const prev = rollout({ state: 'replica-ready', nextCheckAt: at(-1) });
    const claim = decide(prev, {}, ctx());
    expect(claim.action).toBe('start-rollout');
    const d = dryRunInstead(prev, claim, 'kubectl set image ...', ctx());
    expect(d).toMatchObject({ action: 'none', changed: true, reasonCode: 'dry-run' });
    expect(d.next).toMatchObject({ state: 'dry-run', command: 'kubectl set image ...', attempts: 1 });
    expect(d.next.startedAt).toBe(NOW.toISOString());
    expect(d.next.handle).toBeUndefined();
  });

  it('when dry run is asked for a decision that starts nothing, then that decision stands', () => {
    const prev = rollout({ nextCheckAt: at(3) });
    const waiting = decide(prev, {}, ctx());
    expect(dryRunInstead(prev, waiting, 'kubectl set image ...', ctx())).toBe(waiting);
  });

  it('observes only what the state needs, when it is due', () => {
    expect(observationNeeded(rollout(), undefined, NOW)).toBe('check-replica');
    expect(observationNeeded(rollout(), signal, NOW)).toBe('none');
    expect(observationNeeded(rollout({ nextCheckAt: at(10) }), undefined, NOW)).toBe('none');
    expect(observationNeeded(running({ nextCheckAt: at(-1) }), undefined, NOW)).toBe('poll-rollout');
    expect(observationNeeded(rollout({ state: 'replica-ready' }), undefined, NOW)).toBe('none');
  });
});
