// The pure rules of the operator controls, table-driven with a fixed clock: the gates
// in the pending step (approval, pause, hold, rejection), what a retry resets, and how canceled
// and rejected newer releases count for supersession (they must not strand older ones).
import { describe, expect, it } from 'vitest';
import type { LedgerEntry, RegionRollout, RolloutPolicy } from '../../src/core/model/records';
import { holdFor, newerOnLedger, retriedRollout, type Hold } from '../../src/core/operator/controls';
import { decide, failAttempt, type StepContext } from '../../src/core/rollout/region-rollout-machine';
import { CAUSES } from '../../src/core/rollout/reasons';
import type { ActiveReleaseEntry } from '../../src/core/model/store';
import { planWorkloads } from '../../src/core/rollout/supersession';
import { waveGate } from '../../src/core/rollout/wave-gate';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const W = 'default/Deployment/my-app/my-app';
const policy: RolloutPolicy = {
  replicationTimeoutSeconds: 600,
  rolloutTimeoutSeconds: 120,
  bakeSeconds: 0,
  maxAttempts: 2,
  continueOnFailure: false,
  retryBaseSeconds: 10,
  replicaCheckIntervalSeconds: 5,
  rolloutPollIntervalSeconds: 5,
  approvalWaves: [1],
};
const rollout = (o: Partial<RegionRollout> = {}): RegionRollout => ({
  releaseId: 'r1',
  region: 'westeurope',
  wave: 1,
  state: 'replica-ready',
  reason: '',
  workloads: [W],
  createdAt: at(-60),
  updatedAt: at(-60),
  attempts: 0,
  replicaReadyAt: at(-30),
  nextCheckAt: at(-1),
  ...o,
});
const ctx = (o: Partial<StepContext> = {}, release: Partial<StepContext['release']> = {}): StepContext => ({
  release: { id: 'r1', pushedAt: at(-70), ...release },
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan: { pending: [W], skipped: [], lockedBy: [] },
  random01: 0.5,
  ...o,
});
const hold = (o: Partial<Hold> = {}): Hold => ({
  id: 'h-1',
  region: 'westeurope',
  actor: 'ops',
  at: at(-5),
  ...o,
});

describe('operator gates in the pending step', () => {
  it('when a ready region is in an approval wave not approved, then it awaits approval and starts nothing', () => {
    const d = decide(rollout(), {}, ctx());
    expect(d.next.state).toBe('awaiting-approval');
    expect(d.reason).toBe('waiting for approval of wave 1');
    expect(d.reasonCode).toBe('awaiting-approval');
    expect(d.action).toBe('none');
  });

  it('when its wave is approved, then an awaiting region claims its start in the same step', () => {
    const d = decide(rollout({ state: 'awaiting-approval' }), {}, ctx({}, { approvedWaves: [1] }));
    expect(d.next.state).toBe('rolling-out');
    expect(d.action).toBe('start-rollout');
  });

  it('when an earlier wave still runs, then an approval wave waits for it first (not for approval)', () => {
    const d = decide(rollout(), {}, ctx({ gate: { kind: 'wait', reason: 'waiting for wave 0 (eastus)' } }));
    expect(d.next.state).toBe('replica-ready');
    expect(d.reasonCode).toBe('waiting-for-wave');
  });

  it('when awaiting approval and a newer release takes over, then it is superseded', () => {
    const plan = { pending: [], skipped: [{ workload: W, reason: 'x' }], lockedBy: [], supersededBy: 'r2' };
    expect(decide(rollout({ state: 'awaiting-approval' }), {}, ctx({ plan })).next.state).toBe('superseded');
  });

  const blocked: Array<[string, Partial<StepContext>, Partial<StepContext['release']>, RegExp, string]> = [
    [
      'paused',
      {},
      { paused: true, pausedBy: 'alice', pausedAt: at(-9), pauseReason: 'dashboards' },
      /^paused by alice at .*: dashboards$/,
      'paused-by',
    ],
    [
      'its region held',
      { holds: [hold({ reason: 'incident' })] },
      {},
      /^held: westeurope by ops: incident$/,
      'held',
    ],
    [
      'its workload held',
      { holds: [hold({ workload: W })] },
      {},
      new RegExp(`^held: ${W} in westeurope by ops$`),
      'held',
    ],
  ];
  for (const [what, c, release, reason, code] of blocked)
    it(`when ${what}, then a ready region starts no new attempt and says why`, () => {
      const d = decide(rollout({ wave: 0 }), {}, ctx(c, release));
      expect(d.next.state).toBe('replica-ready');
      expect(d.action).toBe('none');
      expect(d.reason).toMatch(reason);
      expect(d.reasonCode).toBe(code);
    });

  it('when a hold is on another region or another workload, then it does not stop this one', () => {
    const holds = [hold({ region: 'eastus' }), hold({ workload: 'api/StatefulSet/api/api' })];
    expect(holdFor(rollout(), holds)).toBeUndefined();
    expect(decide(rollout({ wave: 0 }), {}, ctx({ holds })).action).toBe('start-rollout');
  });

  it('when paused while waiting for the replica, then it still times out at its deadline but says paused', () => {
    const waiting = rollout({ wave: 0, state: 'waiting-for-replica', replicaReadyAt: undefined });
    const d = decide(
      waiting,
      { replica: 'absent' },
      ctx({}, { paused: true, pausedBy: 'a', pausedAt: at(0) }),
    );
    expect(d.reasonCode).toBe('paused-by');
    const late = decide(
      { ...waiting, createdAt: at(-601) },
      { replica: 'absent' },
      ctx({}, { paused: true }),
    );
    expect(late.next.state).toBe('replication-timed-out');
  });

  it('when the digest was rejected, then every pending region ends canceled naming the rejection', () => {
    for (const state of ['waiting-for-replica', 'replica-ready', 'awaiting-approval'] as const) {
      const d = decide(
        rollout({ state }),
        {},
        ctx({}, { rejection: 'digest sha256:x of my-app was rejected by ops' }),
      );
      expect(d.next.state).toBe('canceled');
      expect(d.reasonCode).toBe('rejected-digest');
      expect(d.reason).toBe('not rolled out: digest sha256:x of my-app was rejected by ops');
    }
  });
});

describe('retry', () => {
  it('when a failed region is retried, then it gets a fresh budget and replication deadline, attempts keep counting', () => {
    const failed = rollout({
      state: 'failed',
      attempts: 2,
      finishedAt: at(-1),
      throttled: 3,
      armErrors: 1,
      resends: 2,
    });
    const r = retriedRollout(failed, 'ops', 'fixed', NOW);
    expect(r).toMatchObject({
      state: 'replica-ready',
      attempts: 2,
      budgetFrom: 2,
      retriedAt: NOW.toISOString(),
      throttled: 0,
      armErrors: 0,
      resends: 0,
    });
    expect(r.finishedAt).toBeUndefined();
    expect(r.reason).toBe('retried by ops (was failed): fixed');
    // Two more attempts (maxAttempts 2) before it fails again.
    const third = failAttempt(
      { ...r, state: 'rolling-out', attempts: 3 },
      CAUSES.reported('boom'),
      true,
      ctx(),
    );
    expect(third.state).toBe('replica-ready');
    const fourth = failAttempt(
      { ...r, state: 'rolling-out', attempts: 4 },
      CAUSES.reported('boom'),
      true,
      ctx(),
    );
    expect(fourth.state).toBe('failed');
    expect(fourth.reason).toBe('failed after 2 attempts: boom');
  });

  it('when a timed-out region is retried, then it waits for the replica again from the retry on', () => {
    const timedOut = rollout({
      state: 'replication-timed-out',
      replicaReadyAt: undefined,
      createdAt: at(-700),
    });
    const r = retriedRollout(timedOut, 'ops', undefined, NOW);
    expect(r.state).toBe('waiting-for-replica');
    expect(decide(r, { replica: 'absent' }, ctx()).next.state).toBe('waiting-for-replica');
    const later = decide(r, { replica: 'absent' }, ctx({ now: new Date(NOW.getTime() + 601_000) }));
    expect(later.next.state).toBe('replication-timed-out');
  });

  it('when the ledger holds a newer release for its workloads, then the retry is refused', () => {
    const entry = (releaseId: string, pushedAt: string): LedgerEntry => ({
      region: 'westeurope',
      workload: W,
      repository: 'my-app',
      digest: 'sha256:n',
      tag: 'n',
      releaseId,
      pushedAt,
      updatedAt: at(0),
    });
    const rel = { id: '8000000000000-aaaaaaaaaaaa', pushedAt: at(-70) };
    expect(newerOnLedger(rollout(), rel, [entry('7000000000000-bbbbbbbbbbbb', at(-10))])).toHaveLength(1);
    expect(newerOnLedger(rollout(), rel, [entry('9000000000000-cccccccccccc', at(-100))])).toHaveLength(0);
    expect(newerOnLedger(rollout(), rel, [entry(rel.id, rel.pushedAt)])).toHaveLength(0);
    // Runs an older release, but a newer attempt failed there after changing the spec: refused too.
    const older = entry('9000000000000-cccccccccccc', at(-100));
    const failedNewer = {
      releaseId: '7000000000000-dddddddddddd',
      tag: '2.0',
      digest: 'sha256:f',
      at: at(0),
      reason: 'x',
    };
    expect(newerOnLedger(rollout(), rel, [{ ...older, status: 'failed', failed: failedNewer }])).toEqual([
      { workload: W, releaseId: failedNewer.releaseId, tag: '2.0', digest: 'sha256:f' },
    ]);
    // Its own failed attempt is what a retry is for.
    const own = { ...failedNewer, releaseId: rel.id };
    expect(newerOnLedger(rollout(), rel, [{ ...older, status: 'failed', failed: own }])).toHaveLength(0);
  });
});

describe('supersession and waves with canceled releases', () => {
  const active = (id: string, pushedAt: string): ActiveReleaseEntry => ({
    releaseId: id,
    repository: 'my-app',
    tag: id,
    digest: `sha256:${id}`,
    pushedAt,
    targets: { westeurope: [W] },
  });
  const older = { id: '8000000000000-aaaaaaaaaaaa', pushedAt: at(-70) };
  const newer = active('7000000000000-bbbbbbbbbbbb', at(-10));

  const ended: Array<[string, Partial<RegionRollout>]> = [
    ['canceled before any attempt', { state: 'canceled', attempts: 0 }],
    ['rejected by the registry', { state: 'rejected', attempts: 0 }],
  ];
  for (const [what, o] of ended)
    it(`when the newer release was ${what}, then the older one goes ahead (not stranded)`, () => {
      const plan = planWorkloads(
        rollout(),
        older,
        [],
        [newer],
        new Map([[newer.releaseId, rollout({ releaseId: newer.releaseId, ...o })]]),
      );
      expect(plan.pending).toEqual([W]);
      expect(plan.supersededBy).toBeUndefined();
      expect(plan.newerEnded?.[0]).toContain(newer.releaseId);
    });

  it('when the newer release awaits approval here, then the older one waits for it', () => {
    const plan = planWorkloads(
      rollout(),
      older,
      [],
      [newer],
      new Map([[newer.releaseId, rollout({ releaseId: newer.releaseId, state: 'awaiting-approval' })]]),
    );
    expect(plan.waitingFor?.releaseId).toBe(newer.releaseId);
  });

  it('when an earlier wave was canceled, then a later one halts', () => {
    const gate = waveGate(
      { wave: 1 },
      [rollout({ region: 'eastus', wave: 0, state: 'canceled' })],
      policy,
      NOW,
    );
    expect(gate.kind).toBe('halt');
  });
});
