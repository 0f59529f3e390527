import { describe, expect, it } from 'vitest';
import { changedWorkloads, ledgerChanges } from '../../src/core/rollout/ledger';
import type { LedgerEntry, RegionRollout } from '../../src/core/model/records';
import type { ActiveReleaseEntry } from '../../src/core/model/store';
import { planWorkloads } from '../../src/core/rollout/supersession';
import { waveGate } from '../../src/core/rollout/wave-gate';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const r = (
  region: string,
  wave: number,
  state: RegionRollout['state'],
  o: Partial<RegionRollout> = {},
): RegionRollout => ({
  releaseId: 'r1',
  region,
  wave,
  state,
  reason: `${state} reason`,
  workloads: ['w1'],
  createdAt: at(-100),
  updatedAt: at(-100),
  attempts: 0,
  nextCheckAt: at(0),
  ...o,
});
const policy = { bakeSeconds: 0, continueOnFailure: false };

describe('wave gate', () => {
  const cases: Array<[string, RegionRollout[], Partial<typeof policy>, string, RegExp?]> = [
    ['when no earlier wave exists, then it is open', [], {}, 'open'],
    [
      'when the earlier wave is still rolling out, then it waits naming the wave',
      [r('eastus', 0, 'rolling-out')],
      {},
      'wait',
      /wave 0 \(eastus\)/,
    ],
    [
      'when every earlier region succeeded, then it is open',
      [r('eastus', 0, 'succeeded', { finishedAt: at(-10) })],
      {},
      'open',
    ],
    [
      'when the bake time has not passed, then it waits until it has',
      [r('eastus', 0, 'succeeded', { finishedAt: at(-10) })],
      { bakeSeconds: 60 },
      'wait',
      /baking 60s/,
    ],
    [
      'when the bake time passed, then it is open',
      [r('eastus', 0, 'succeeded', { finishedAt: at(-61) })],
      { bakeSeconds: 60 },
      'open',
    ],
    [
      'when an earlier region failed, then it halts naming the region and reason',
      [r('eastus', 0, 'failed', { reason: 'failed: ImagePullBackOff' })],
      {},
      'halt',
      /wave 0 failed in eastus .*ImagePullBackOff/,
    ],
    [
      'when an earlier region timed out on replication, then it halts',
      [r('eastus', 0, 'replication-timed-out')],
      {},
      'halt',
    ],
    [
      'when continueOnFailure is set, then a failed earlier wave does not halt',
      [r('eastus', 0, 'failed')],
      { continueOnFailure: true },
      'open',
    ],
    [
      'when waves 0 and 1 exist, then wave 2 waits for the lowest pending wave',
      [r('eastus', 0, 'succeeded'), r('westeurope', 1, 'waiting-for-replica')],
      {},
      'wait',
      /wave 1 \(westeurope\)/,
    ],
    [
      'when an earlier region is superseded, then it does not block',
      [r('eastus', 0, 'superseded')],
      {},
      'open',
    ],
  ];
  for (const [name, earlier, p, kind, reason] of cases) {
    it(name, () => {
      const g = waveGate(
        { wave: 2 },
        [...earlier, r('southeastasia', 2, 'replica-ready')],
        { ...policy, ...p },
        NOW,
      );
      expect(g.kind).toBe(kind);
      if (reason && g.kind !== 'open') expect(g.reason).toMatch(reason);
      if (g.kind === 'wait' && p.bakeSeconds) expect(g.until?.toISOString()).toBe(at(50));
    });
  }
});

describe('supersession and no rollback', () => {
  const release = { id: '8000000000000-aaaaaaaaaaaa', pushedAt: at(-50) };
  const older = { id: '8000000000100-bbbbbbbbbbbb', pushedAt: at(-150) };
  const newer = { id: '7999999999000-cccccccccccc', pushedAt: at(-5) };
  const ledger = (o: Partial<LedgerEntry>): LedgerEntry => ({
    region: 'eastus',
    workload: 'w1',
    repository: 'my-app',
    digest: 'sha256:old',
    tag: '0.9',
    releaseId: older.id,
    pushedAt: older.pushedAt,
    updatedAt: at(-100),
    ...o,
  });
  const active = (rel: { id: string; pushedAt: string }, workloads = ['w1']): ActiveReleaseEntry => ({
    releaseId: rel.id,
    repository: 'my-app',
    tag: 'x',
    digest: 'sha256:x',
    pushedAt: rel.pushedAt,
    targets: { eastus: workloads },
  });
  const rollout = { region: 'eastus', workloads: ['w1', 'w2'] };

  it('when the ledger runs an older release, then the workload is pending', () => {
    const p = planWorkloads(rollout, release, [ledger({})], [active(release)]);
    expect(p.pending).toEqual(['w1', 'w2']);
  });
  it('when the ledger already runs a newer release, then the workload is skipped (never roll back)', () => {
    const p = planWorkloads(
      rollout,
      release,
      [ledger({ releaseId: newer.id, pushedAt: newer.pushedAt })],
      [],
    );
    expect(p.pending).toEqual(['w2']);
    expect(p.skipped[0]?.reason).toMatch(/runs newer release/);
  });
  it('when a newer active release targets a workload, then that workload is taken over', () => {
    const p = planWorkloads(rollout, release, [], [active(release), active(newer, ['w1', 'w2'])]);
    expect(p.pending).toEqual([]);
    expect(p.supersededBy).toBe(newer.id);
  });
  it('when an older active release targets the same workload, then it does not supersede this one', () => {
    const p = planWorkloads(rollout, release, [], [active(older, ['w1', 'w2'])]);
    expect(p.pending).toEqual(['w1', 'w2']);
  });
  it('when another release holds the workload lock, then it is reported as locked', () => {
    const p = planWorkloads(rollout, release, [ledger({ inFlightReleaseId: older.id })], []);
    expect(p.lockedBy).toEqual([{ workload: 'w1', releaseId: older.id }]);
  });
  it('when two releases share a push time, then the order is still total and agreed', () => {
    const a = { id: '8000000000000-000000000001', pushedAt: at(0) };
    const b = { id: '8000000000000-000000000002', pushedAt: at(0) };
    const pa = planWorkloads({ region: 'eastus', workloads: ['w1'] }, a, [], [active(b)]);
    const pb = planWorkloads({ region: 'eastus', workloads: ['w1'] }, b, [], [active(a)]);
    expect(pa.pending.length + pb.pending.length).toBe(1);
  });
});

describe('ledger changes', () => {
  const release = { id: 'r1', repository: 'my-app', tag: '1.0.0', digest: 'sha256:new', pushedAt: at(-50) };
  const base = r('eastus', 0, 'replica-ready', { workloads: ['w1', 'w2'] });
  it('when a start is claimed, then only the changed workloads are locked for this release', () => {
    const next = { ...base, state: 'rolling-out' as const, skippedWorkloads: ['w2'] };
    const l = ledgerChanges(base, next, release, [], NOW);
    expect(changedWorkloads(next)).toEqual(['w1']);
    expect(l.map((e) => [e.workload, e.inFlightReleaseId])).toEqual([['w1', 'r1']]);
  });
  it('when the rollout succeeds, then the ledger records the digest, tag and release, and unlocks', () => {
    const prev = { ...base, state: 'rolling-out' as const, skippedWorkloads: [] };
    const l = ledgerChanges(prev, { ...prev, state: 'succeeded' }, release, [], NOW);
    expect(l).toHaveLength(2);
    expect(l[0]).toMatchObject({
      digest: 'sha256:new',
      tag: '1.0.0',
      releaseId: 'r1',
      inFlightReleaseId: undefined,
    });
  });
  it('when an attempt fails, then the locks this release holds are released and nothing else changes', () => {
    const prev = { ...base, state: 'rolling-out' as const, skippedWorkloads: [] };
    const held: LedgerEntry = {
      region: 'eastus',
      workload: 'w1',
      repository: 'my-app',
      digest: 'sha256:old',
      tag: '0.9',
      releaseId: 'r0',
      pushedAt: at(-200),
      updatedAt: at(-200),
      inFlightReleaseId: 'r1',
      etag: 'e1',
    };
    const l = ledgerChanges(prev, { ...prev, state: 'replica-ready' }, release, [held], NOW);
    expect(l).toEqual([{ ...held, inFlightReleaseId: undefined, inFlightPushedAt: undefined }]);
  });
});
