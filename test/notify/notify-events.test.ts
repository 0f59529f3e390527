// Events are derived from the transitions the real state machine makes (decide), so these
// tests follow what the reconciler will actually write.
import { describe, expect, it } from 'vitest';
import type { RegionRollout, Release, RolloutPolicy } from '../../src/core/model/records';
import { NOTIFY_EVENTS } from '../../src/core/notify/notify-event';
import { isStuck, lastProgressAt, stuckEvent } from '../../src/core/notify/stuck-events';
import { transitionEvents } from '../../src/core/notify/transition-events';
import { decide, type Observation, type StepContext } from '../../src/core/rollout/region-rollout-machine';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const DIGEST = 'sha256:' + 'ab12'.repeat(16);
const release: Release = {
  id: '8235000000000-0123456789ab',
  repository: 'team/my-app',
  tag: '1.4.0',
  digest: DIGEST,
  pushedAt: at(-100),
  source: 'webhook',
  createdAt: at(-99),
  status: 'active',
  regions: ['eastus', 'westeurope', 'southeastasia'],
};
const policy: RolloutPolicy = {
  replicationTimeoutSeconds: 600,
  rolloutTimeoutSeconds: 120,
  bakeSeconds: 0,
  maxAttempts: 1,
  continueOnFailure: false,
  retryBaseSeconds: 10,
  replicaCheckIntervalSeconds: 5,
  rolloutPollIntervalSeconds: 5,
};
const rollout = (o: Partial<RegionRollout> = {}): RegionRollout => ({
  releaseId: release.id,
  region: 'westeurope',
  wave: 1,
  state: 'waiting-for-replica',
  reason: 'waiting for the replica',
  workloads: ['default/Deployment/my-app/my-app'],
  createdAt: at(-99),
  updatedAt: at(-99),
  attempts: 0,
  nextCheckAt: at(-1),
  ...o,
});
const running = (o: Partial<RegionRollout> = {}) =>
  rollout({
    state: 'rolling-out',
    replicaReadyAt: at(-40),
    startedAt: at(-30),
    attemptStartedAt: at(-30),
    attempts: 1,
    handle: { value: 'cmd-1' },
    ...o,
  });
const ctx = (o: Partial<StepContext> = {}): StepContext => ({
  release: { id: release.id, pushedAt: release.pushedAt },
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan: { pending: ['default/Deployment/my-app/my-app'], skipped: [], lockedBy: [] },
  random01: 0.5,
  ...o,
});
const step = (prev: RegionRollout, obs: Observation, c: StepContext = ctx()) => decide(prev, obs, c).next;
const done = (region: string, state: RegionRollout['state'], wave = 0) =>
  rollout({ region, wave, state, finishedAt: at(-5), updatedAt: at(-5), attempts: 1 });

describe('transitionEvents', () => {
  it('when a rollout succeeds while other regions still run, then only region.succeeded, with its figures', () => {
    const prev = running();
    const next = step(prev, { status: { kind: 'succeeded' } });
    const events = transitionEvents({
      prev,
      next,
      release,
      others: [rollout({ region: 'eastus', wave: 0 })],
    });
    expect(events).toEqual([
      {
        event: 'region.succeeded',
        at: NOW.toISOString(),
        release: { id: release.id, repository: 'team/my-app', tag: '1.4.0', digest: DIGEST },
        region: 'westeurope',
        state: 'succeeded',
        reason: 'rollout succeeded',
        figures: { replicationLagMs: 60_000, reactionDelayMs: 10_000, durationMs: 30_000 },
        dedupeKey: `region.succeeded|${release.id}|westeurope|a1`,
      },
    ]);
  });

  it('when the last pending region succeeds, then region.succeeded and release.completed follow each other', () => {
    const prev = running();
    const next = step(prev, { status: { kind: 'succeeded' } });
    const others = [done('eastus', 'succeeded'), done('southeastasia', 'succeeded', 1)];
    const events = transitionEvents({ prev, next, release, others });
    expect(events.map((e) => e.event)).toEqual(['region.succeeded', 'release.completed']);
    const completed = events[1]!;
    expect(completed).toMatchObject({
      state: 'succeeded',
      reason: 'eastus succeeded, southeastasia succeeded, westeurope succeeded',
      at: NOW.toISOString(),
      figures: { durationMs: 100_000 },
      dedupeKey: `release.completed|${release.id}|-|completed`,
    });
    expect(completed.region).toBeUndefined();
  });

  it('when a rollout fails for good, then region.failed carries the reason in words', () => {
    const prev = running();
    const next = step(prev, {
      status: {
        kind: 'failed',
        reason: 'deployment my-app exceeded its progress deadline',
        transient: false,
      },
    });
    const [failed] = transitionEvents({ prev, next, release, others: [rollout({ region: 'eastus' })] });
    expect(failed).toMatchObject({
      event: 'region.failed',
      state: 'failed',
      reason: 'failed: deployment my-app exceeded its progress deadline',
      dedupeKey: `region.failed|${release.id}|westeurope|a1`,
    });
  });

  it('when a transient failure is retried, then no event (the region is not finished)', () => {
    const prev = running();
    const next = step(
      prev,
      { status: { kind: 'failed', reason: 'node pool busy', transient: true } },
      ctx({ policy: { ...policy, maxAttempts: 3 } }),
    );
    expect(next.state).toBe('replica-ready');
    expect(transitionEvents({ prev, next, release, others: [] })).toEqual([]);
  });

  it('when the replica misses its deadline, then region.replication-timed-out', () => {
    const prev = rollout({ createdAt: at(-700) });
    const next = step(prev, { replica: 'absent' });
    const [e] = transitionEvents({ prev, next, release, others: [rollout({ region: 'eastus' })] });
    expect(e).toMatchObject({
      event: 'region.replication-timed-out',
      state: 'replication-timed-out',
      reason: 'replica did not hold the digest within 600s',
    });
    expect(e!.figures).toBeUndefined();
  });

  it('when an earlier wave failed, then the first halted region announces release.halted, later ones do not', () => {
    const halt = ctx({ gate: { kind: 'halt', reason: 'wave 0 failed in eastus (failed: boom)' } });
    const failedHome = done('eastus', 'failed');
    const prevA = rollout({ region: 'westeurope', state: 'replica-ready' });
    const nextA = step(prevA, {}, halt);
    const pendingB = rollout({ region: 'southeastasia' });
    const first = transitionEvents({ prev: prevA, next: nextA, release, others: [failedHome, pendingB] });
    expect(first.map((e) => e.event)).toEqual(['release.halted']);
    expect(first[0]).toMatchObject({
      state: 'halted',
      reason: 'later waves will not roll out: wave 0 failed in eastus (failed: boom)',
      dedupeKey: `release.halted|${release.id}|-|halted`,
    });

    const nextB = step(pendingB, {}, halt);
    const second = transitionEvents({ prev: pendingB, next: nextB, release, others: [failedHome, nextA] });
    expect(second.map((e) => e.event)).toEqual(['release.completed']);
    expect(second[0]).toMatchObject({
      state: 'failed',
      reason: 'eastus failed, southeastasia halted, westeurope halted',
    });
  });

  it('when nothing changes state (a reason or a check time), then no event', () => {
    const prev = running();
    const next = step(prev, { status: { kind: 'running' } });
    expect(next.state).toBe('rolling-out');
    expect(transitionEvents({ prev, next, release, others: [] })).toEqual([]);
  });

  it('when the same transition is derived twice, then the events and their keys are identical', () => {
    const prev = running();
    const next = step(prev, { status: { kind: 'succeeded' } });
    const input = { prev, next, release, others: [done('eastus', 'succeeded')] };
    expect(transitionEvents(input)).toEqual(transitionEvents(structuredClone(input)));
  });

  it('when others include the region itself (a stale copy), then it is ignored', () => {
    const prev = running();
    const next = step(prev, { status: { kind: 'succeeded' } });
    const events = transitionEvents({ prev, next, release, others: [prev, done('eastus', 'succeeded')] });
    expect(events.map((e) => e.event)).toEqual(['region.succeeded', 'release.completed']);
  });

  it('declares the later event names too', () => {
    expect(NOTIFY_EVENTS).toContain('approval.required');
    expect(NOTIFY_EVENTS).toContain('action.performed');
  });
});

describe('region.stuck', () => {
  it('when a rollout has made no progress for stuckAfterSeconds, then it is stuck, not a second earlier', () => {
    const r = running({
      createdAt: at(-1000),
      replicaReadyAt: at(-950),
      startedAt: at(-900),
      attemptStartedAt: at(-900),
    });
    expect(isStuck(r, new Date(NOW.getTime() - 1), 900)).toBe(false);
    expect(isStuck(r, NOW, 900)).toBe(true);
    expect(stuckEvent(r, release, NOW, 900)).toMatchObject({
      event: 'region.stuck',
      at: NOW.toISOString(),
      region: 'westeurope',
      state: 'rolling-out',
      reason: 'no progress for 15 min while rolling-out: waiting for the replica',
      dedupeKey: `region.stuck|${release.id}|westeurope|${at(-900)}`,
    });
  });

  it('when replica checks keep rewriting updatedAt, then that is not progress', () => {
    const r = rollout({ createdAt: at(-1000), updatedAt: at(-1), lastCheckAt: at(-1) });
    expect(lastProgressAt(r)).toBe(at(-1000));
    expect(isStuck(r, NOW)).toBe(true); // default 900 s
  });

  it('when a new attempt starts, then the stall clock restarts and a later stall gets a new key', () => {
    const base = { createdAt: at(-1100), replicaReadyAt: at(-1050), startedAt: at(-1000) };
    const first = running({ ...base, attemptStartedAt: at(-1000) });
    const retried = running({ ...base, attemptStartedAt: at(-100), attempts: 2 });
    expect(isStuck(retried, NOW, 900)).toBe(false);
    const later = new Date(NOW.getTime() + 900_000);
    expect(stuckEvent(first, release, NOW, 900)!.dedupeKey).not.toBe(
      stuckEvent(retried, release, later, 900)!.dedupeKey,
    );
  });

  it('when checked again during the same stall, then the event is the same (one notification)', () => {
    const r = rollout({ createdAt: at(-1000) });
    expect(stuckEvent(r, release, NOW)).toEqual(stuckEvent(r, release, new Date(NOW.getTime() + 600_000)));
  });

  it('when the rollout is terminal, then it is never stuck', () => {
    for (const state of [
      'succeeded',
      'failed',
      'superseded',
      'halted',
      'replication-timed-out',
      'dry-run',
    ] as const)
      expect(stuckEvent(rollout({ state, createdAt: at(-10_000) }), release, NOW)).toBeUndefined();
  });
});
