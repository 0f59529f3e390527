// The semver order in the region decision, pure: a release older by version than one that runs
// or is pending in the region is skipped there (terminal `skipped`, `older-version`), whatever
// the arrival order; a higher version pushed later supersedes as before; push order keeps
// today's rule; a rollback is never skipped; the ledger remembers what orders what runs.
import { describe, expect, it } from 'vitest';
import type { LedgerEntry, RegionRollout, RolloutPolicy } from '../../src/core/model/records';
import type { ActiveReleaseEntry } from '../../src/core/model/store';
import { makeReleaseId } from '../../src/core/intake/release-id';
import { releaseOrder } from '../../src/core/intake/release-order';
import { versionOf } from '../../src/core/model/versions';
import { ledgerChanges } from '../../src/core/rollout/ledger';
import { decide, type StepContext } from '../../src/core/rollout/region-rollout-machine';
import { planWorkloads, type WorkloadPlan } from '../../src/core/rollout/supersession';
import { waveGate } from '../../src/core/rollout/wave-gate';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const W = 'default/Deployment/web/web';
const API = 'default/Deployment/api/api';
const workload = (name: string, order?: 'semver' | 'pushed') => ({
  namespace: 'default',
  kind: 'Deployment' as const,
  name,
  container: name,
  ...(order ? { order } : {}),
});
const semver = releaseOrder([workload('web', 'semver'), workload('api', 'semver')]);
const pushed = releaseOrder([workload('web'), workload('api')]);

interface Rel {
  id: string;
  pushedAt: string;
  tag: string;
  version?: string | undefined;
  rollbackOf?: string | undefined;
}
const rel = (tag: string, pushedSecond: number, o: Partial<Rel> = {}): Rel => {
  const pushedAt = at(pushedSecond);
  const id = makeReleaseId({ pushedAt, repository: 'web', tag, digest: `d-${tag}`, generation: 1 });
  return { id, pushedAt, tag, version: versionOf(tag), ...o };
};
const active = (r: Rel, workloads = [W]): ActiveReleaseEntry => ({
  releaseId: r.id,
  repository: 'web',
  tag: r.tag,
  digest: `sha256:${r.tag}`,
  pushedAt: r.pushedAt,
  version: r.version,
  rollbackOf: r.rollbackOf,
  targets: { eastus: workloads },
});
const runs = (r: Rel, workload = W): LedgerEntry => ({
  region: 'eastus',
  workload,
  repository: 'web',
  digest: `sha256:${r.tag}`,
  tag: r.tag,
  releaseId: r.id,
  pushedAt: r.pushedAt,
  version: r.version,
  rollbackOf: r.rollbackOf,
  updatedAt: at(-1),
});
const rolloutOf = (r: Rel, state: RegionRollout['state'], o: Partial<RegionRollout> = {}): RegionRollout => ({
  releaseId: r.id,
  region: 'eastus',
  wave: 0,
  state,
  reason: '',
  workloads: [W],
  createdAt: at(-60),
  updatedAt: at(-60),
  attempts: 0,
  nextCheckAt: at(-1),
  ...o,
});
const here = (entries: Array<[Rel, RegionRollout['state']]>) =>
  new Map(entries.map(([r, s]) => [r.id, rolloutOf(r, s)]));

const v200 = rel('2.0.0', -100);
const v143 = rel('1.4.3', -50);
const me = { region: 'eastus', workloads: [W] };

describe('the semver order in the plan of a region', () => {
  it('when a higher version pushed earlier runs here, then this release is skipped as older by version', () => {
    const p = planWorkloads(me, v143, [runs(v200)], [], undefined, semver);
    expect(p.pending).toEqual([]);
    expect(p.skipped).toEqual([
      {
        workload: W,
        reason: `runs higher version 2.0.0 (release ${v200.id})`,
        olderVersion: { releaseId: v200.id, version: '2.0.0', here: 'running' },
      },
    ]);
  });

  it('when that higher version is still pending here (behind its replica), then this release is skipped, not waited behind', () => {
    const p = planWorkloads(me, v143, [], [active(v200)], here([[v200, 'waiting-for-replica']]), semver);
    expect(p.pending).toEqual([]);
    expect(p.waitingFor).toBeUndefined();
    expect(p.skipped[0]?.olderVersion).toEqual({
      releaseId: v200.id,
      version: '2.0.0',
      here: 'waiting-for-replica',
    });
  });

  it('when that higher version ended here without rolling out, then this release goes ahead', () => {
    const p = planWorkloads(me, v143, [], [active(v200)], here([[v200, 'halted']]), semver);
    expect(p.pending).toEqual([W]);
    expect(p.newerEnded).toEqual([`${v200.id} (halted)`]);
  });

  it('when the higher version is pushed after this one, then it is ordinary supersession: waited for while pending', () => {
    const early = rel('1.4.3', -150);
    const p = planWorkloads(me, early, [], [active(v200)], here([[v200, 'waiting-for-replica']]), semver);
    expect(p.pending).toEqual([W]);
    expect(p.waitingFor?.releaseId).toBe(v200.id);
    const taken = planWorkloads(me, early, [], [active(v200)], here([[v200, 'rolling-out']]), semver);
    expect(taken.supersededBy).toBe(v200.id);
    expect(taken.skipped[0]?.olderVersion).toBeUndefined();
  });

  it('when the order is pushed, then the later 1.4.3 goes ahead over 2.0.0 (today’s rule)', () => {
    expect(planWorkloads(me, v143, [runs(v200)], [], undefined, pushed).pending).toEqual([W]);
    const p = planWorkloads(me, v200, [], [active(v143)], here([[v143, 'rolling-out']]), pushed);
    expect(p.supersededBy).toBe(v143.id);
  });

  it('when semver orders 2.0.0 over a 1.4.3 that runs here, then 2.0.0 goes ahead (a later lower push does not supersede it)', () => {
    expect(planWorkloads(me, v200, [runs(v143)], [active(v143)], here([]), semver).pending).toEqual([W]);
  });

  it('when the release is a rollback, then a higher version that runs or is pending here does not skip it', () => {
    const rollback = rel('1.4.0', -10, { rollbackOf: 'some-older-release' });
    const p = planWorkloads(
      me,
      rollback,
      [runs(v200)],
      [active(v200)],
      here([[v200, 'replica-ready']]),
      semver,
    );
    expect(p.pending).toEqual([W]);
    // And the release it went down from gives way to it.
    const down = planWorkloads(me, v200, [], [active(rollback)], here([[rollback, 'rolling-out']]), semver);
    expect(down.supersededBy).toBe(rollback.id);
  });

  it('when a push after a rollback is below its version, then it is older by version than what runs', () => {
    const rollback = rel('1.4.0', -10, { rollbackOf: 'some-older-release' });
    const lower = rel('1.3.9', -5);
    const p = planWorkloads(me, lower, [runs(rollback)], [], undefined, semver);
    expect(p.skipped[0]?.olderVersion?.releaseId).toBe(rollback.id);
    expect(planWorkloads(me, rel('1.4.1', -5), [runs(rollback)], [], undefined, semver).pending).toEqual([W]);
  });
});

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
const ctx = (plan: WorkloadPlan): StepContext => ({
  release: { id: v143.id, pushedAt: v143.pushedAt, version: '1.4.3' },
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan,
  random01: 0.5,
});

describe('the region rollout of a release older by version', () => {
  it('when every workload runs or has pending a higher version, then the rollout ends skipped (older-version), naming it, and nothing runs', () => {
    const r = { ...rolloutOf(v143, 'waiting-for-replica'), workloads: [W, API] };
    const plan = planWorkloads(
      r,
      v143,
      [runs(v200, API)],
      [active(v200, [W])],
      here([[v200, 'waiting-for-replica']]),
      semver,
    );
    const d = decide(r, {}, ctx(plan));
    expect(d.next.state).toBe('skipped');
    expect(d.action).toBe('none');
    expect(d.reasonCode).toBe('older-version');
    expect(d.reason).toBe(
      `skipped: version 1.4.3 is older than 2.0.0 (release ${v200.id}, waiting-for-replica here), 2.0.0 (release ${v200.id}, running here)`,
    );
    expect(d.next.skippedWorkloads).toEqual([W, API]);
    expect(d.next.finishedAt).toBe(NOW.toISOString());
    // Terminal: a later step changes nothing.
    expect(decide(d.next, {}, ctx({ pending: [W], skipped: [], lockedBy: [] })).changed).toBe(false);
  });

  it('when one workload is older by version and another already runs this release, then it ends superseded as before', () => {
    const r = { ...rolloutOf(v143, 'replica-ready'), workloads: [W, API] };
    const plan = planWorkloads(r, v143, [runs(v200, W), runs(v143, API)], [], undefined, semver);
    const d = decide(r, {}, ctx(plan));
    expect(d.next.state).toBe('superseded');
    expect(d.reasonCode).toBe('workloads-already-newer');
  });

  it('when only some workloads are older by version, then the others roll out', () => {
    const r = { ...rolloutOf(v143, 'replica-ready', { replicaReadyAt: at(-5) }), workloads: [W, API] };
    const plan = planWorkloads(r, v143, [runs(v200, W)], [], undefined, semver);
    const d = decide(r, {}, ctx(plan));
    expect(d.action).toBe('start-rollout');
    expect(d.next.skippedWorkloads).toEqual([W]);
  });

  it('a later wave treats a skipped earlier region like a superseded one', () => {
    const later = rolloutOf(v143, 'replica-ready', { wave: 1, region: 'westeurope' });
    expect(waveGate(later, [rolloutOf(v143, 'skipped')], policy, NOW)).toEqual({ kind: 'open' });
  });

  it('the ledger keeps the version and the rollback of what succeeded, for the next decision', () => {
    const prev = rolloutOf(v200, 'rolling-out', { attempts: 1, handle: { value: 'c' } });
    const release = { ...v200, repository: 'web', digest: 'sha256:2.0.0' };
    const [entry] = ledgerChanges(prev, { ...prev, state: 'succeeded' }, release, [], NOW);
    expect(entry).toMatchObject({ releaseId: v200.id, version: '2.0.0', rollbackOf: undefined });
  });
});
