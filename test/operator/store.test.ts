// The operator tables on real Table Storage (Azurite) and their in-memory twin, run the same way:
// holds (one per scope, and the gate a start's claim guards on), rejections, the audit trail
// (newest first, paged, completed after the action), and release amendments that can remove a
// field (resume) and survive a concurrent change (ETag-guarded re-apply), and a retry's reopening
// that a completion decided before it cannot undo.
import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { openTableRolloutStore } from '../../src/adapters/tables/table-store';
import type { Release } from '../../src/core/model/records';
import type { AuditEntry } from '../../src/core/operator/controls';
import type { RolloutStore } from '../../src/core/model/store';
import { MemoryRolloutStore } from '../support/memory-store';

let n = 0;
const stores: Array<[string, () => RolloutStore]> = [
  [
    'Table store (Azurite)',
    () =>
      openTableRolloutStore(
        { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
        `op${Date.now().toString(36)}${n++}`,
      ),
  ],
  ['in-memory store', () => new MemoryRolloutStore()],
];

const release: Release = {
  id: '8235000000000-0123456789ab',
  repository: 'team/my-app',
  tag: '1.0.0',
  digest: `sha256:${'a'.repeat(64)}`,
  pushedAt: '2026-12-01T10:00:00.000Z',
  source: 'webhook',
  createdAt: '2026-12-01T10:00:01.000Z',
  status: 'active',
  regions: ['eastus'],
};
const entry = (i: number): AuditEntry => ({
  at: new Date(Date.parse('2026-12-01T10:00:00.000Z') + i * 1000).toISOString(),
  actor: i % 2 ? 'alice' : 'local',
  action: 'hold',
  region: 'eastus',
  reason: `r${i}`,
  outcome: 'applied',
});

describe.each(stores)('operator state on the %s', (_name, make) => {
  it('when holds are placed and lifted, then one per scope is kept, they list by region and lift by id', async () => {
    const store = make();
    const region = {
      id: 'h-0000000000000001',
      region: 'eastus',
      actor: 'local',
      at: '2026-12-01T10:00:00.000Z',
    };
    const workload = {
      id: 'h-0000000000000002',
      region: 'westeurope',
      workload: 'default/Deployment/my-app/my-app',
      reason: 'freeze',
      actor: 'alice',
      at: '2026-12-01T10:00:01.000Z',
    };
    expect(await store.putHold(region)).toEqual({ created: true });
    expect(await store.putHold(workload)).toEqual({ created: true });
    // The same scope again: refused, naming the hold there (another id, actor and reason lose).
    expect(await store.putHold({ ...region, id: 'h-0000000000000003', actor: 'bob' })).toEqual({
      created: false,
      existing: region,
    });
    // The whole region and one workload in it are two scopes.
    expect(await store.putHold({ ...workload, id: 'h-0000000000000004', region: 'eastus' })).toEqual({
      created: true,
    });
    const all = ['eastus', 'westeurope'];
    expect((await store.listHolds(all)).map((h) => h.id)).toEqual([
      'h-0000000000000001',
      'h-0000000000000002',
      'h-0000000000000004',
    ]);
    expect((await store.listHolds(['westeurope']))[0]).toEqual(workload);
    expect(await store.deleteHold({ ...workload, id: 'h-0000000000000009' })).toBe(false);
    expect(await store.deleteHold(workload)).toBe(true);
    expect(await store.deleteHold(workload)).toBe(false);
    expect((await store.listHolds(all)).map((h) => h.id)).toEqual([
      'h-0000000000000001',
      'h-0000000000000004',
    ]);
  });

  it('when a hold is placed after a start was decided, then the claim guarded on the gate fails; after it, the next claim passes', async () => {
    const store = make();
    const rollout = {
      releaseId: release.id,
      region: 'eastus',
      wave: 0,
      state: 'replica-ready' as const,
      reason: 'ready',
      workloads: ['default/Deployment/my-app/my-app'],
      createdAt: release.createdAt,
      updatedAt: release.createdAt,
      attempts: 0,
      nextCheckAt: release.createdAt,
    };
    await store.ensureRelease(release, [rollout], {
      releaseId: release.id,
      repository: release.repository,
      tag: release.tag,
      digest: release.digest,
      pushedAt: release.pushedAt,
      targets: { eastus: rollout.workloads },
    });
    const read = await store.getRollout(release.id, 'eastus');
    const gate = await store.readGate('eastus');
    expect(gate).toEqual({ holds: [], version: undefined });
    await store.putHold({ id: 'h-00000000000000aa', region: 'eastus', actor: 'ops', at: release.createdAt });
    const claim = { ...read!, state: 'rolling-out' as const, attempts: 1 };
    expect(await store.commitRegion(claim, [], [], { gate })).toEqual({ outcome: 'conflict' });
    // Re-read: the hold is there (the claim would not be made); once lifted, a fresh read claims.
    const again = await store.readGate('eastus');
    expect(again.holds.map((h) => h.id)).toEqual(['h-00000000000000aa']);
    await store.deleteHold(again.holds[0]!);
    const open = await store.readGate('eastus');
    expect(open.holds).toEqual([]);
    const done = await store.commitRegion(claim, [], [], { gate: open });
    expect(done.outcome).toBe('ok');
    // The claim moved the version: a claim still holding the old one fails, the new one passes.
    const after = await store.readGate('eastus');
    expect(after.version).not.toBe(open.version);
    expect(done.outcome === 'ok' && done.gateVersion).toBe(after.version);
  });

  it('when a digest is rejected twice, then the second is a duplicate; it lists, reads and lifts', async () => {
    const store = make();
    const r = {
      repository: 'team/my-app',
      digest: release.digest,
      actor: 'local',
      at: '2026-12-01T10:00:00.000Z',
      reason: 'bad',
    };
    expect(await store.putRejection(r)).toBe('created');
    expect(await store.putRejection({ ...r, actor: 'other' })).toBe('duplicate');
    expect(await store.getRejection('team/my-app', release.digest)).toMatchObject({
      actor: 'local',
      reason: 'bad',
    });
    expect(await store.getRejection('team/other', release.digest)).toBeUndefined();
    expect(await store.listRejections()).toEqual([
      expect.objectContaining({ repository: 'team/my-app', digest: release.digest }),
    ]);
    expect(await store.deleteRejection('team/my-app', release.digest)).toMatchObject({ actor: 'local' });
    expect(await store.deleteRejection('team/my-app', release.digest)).toBeUndefined();
  });

  it('when actions are audited, then they list newest first and page without gaps or repeats', async () => {
    const store = make();
    for (let i = 0; i < 7; i++) await store.appendAudit(entry(i));
    const first = await store.listAudit({ limit: 3 });
    expect(first.entries.map((e) => e.reason)).toEqual(['r6', 'r5', 'r4']);
    const second = await store.listAudit({ limit: 3, continuationToken: first.continuationToken });
    const third = await store.listAudit({ limit: 3, continuationToken: second.continuationToken });
    expect([...second.entries, ...third.entries].map((e) => e.reason)).toEqual(['r3', 'r2', 'r1', 'r0']);
    expect(first.entries[0]).toEqual(entry(6));
  });

  it('when a rollout carries a pause mark and a retry budget, then both round-trip', async () => {
    const store = make();
    const at = release.createdAt;
    const rollout = {
      releaseId: release.id,
      region: 'eastus',
      wave: 0,
      state: 'replica-ready' as const,
      reason: 'ready',
      workloads: ['default/Deployment/my-app/my-app'],
      createdAt: at,
      updatedAt: at,
      attempts: 3,
      nextCheckAt: at,
    };
    await store.ensureRelease({ ...release, pauseSeq: 2 }, [rollout], {
      releaseId: release.id,
      repository: release.repository,
      tag: release.tag,
      digest: release.digest,
      pushedAt: release.pushedAt,
      targets: { eastus: rollout.workloads },
    });
    const read = (await store.getRollout(release.id, 'eastus'))!;
    const mark = { seq: 2, paused: true, by: 'alice', at, reason: 'freeze' };
    expect(
      (await store.commitRegion({ ...read, pause: mark, budgetFrom: 3, retriedAt: at }, [])).outcome,
    ).toBe('ok');
    expect(await store.getRollout(release.id, 'eastus')).toMatchObject({
      pause: mark,
      budgetFrom: 3,
      retriedAt: at,
    });
    expect((await store.getRelease(release.id))?.pauseSeq).toBe(2);
  });

  it('when an entry written pending is completed, then it reads with its outcome and detail', async () => {
    const store = make();
    await store.appendAudit({ ...entry(1), outcome: 'pending', detail: 'first words' }, { key: 'k-1' });
    expect((await store.listAudit({ limit: 5 })).entries[0]).toMatchObject({ outcome: 'pending' });
    await store.completeAudit('k-1', { outcome: 'refused: eastus is already held', detail: undefined });
    expect((await store.listAudit({ limit: 5 })).entries).toEqual([
      { ...entry(1), outcome: 'refused: eastus is already held', detail: 'first words' },
    ]);
  });

  it('when a release is amended, then fields are set and removed, and concurrent amendments both apply', async () => {
    const store = make();
    await store.ensureRelease(release, [], {
      releaseId: release.id,
      repository: release.repository,
      tag: release.tag,
      digest: release.digest,
      pushedAt: release.pushedAt,
      targets: { eastus: ['w'] },
    });
    await store.amendRelease(release.id, () => ({
      paused: true,
      pausedBy: 'alice',
      pausedAt: '2026-12-01T11:00:00.000Z',
    }));
    expect(await store.getRelease(release.id)).toMatchObject({ paused: true, pausedBy: 'alice' });
    await Promise.all([
      store.amendRelease(release.id, (r) => ({ approvedWaves: [...(r.approvedWaves ?? []), 1] })),
      store.amendRelease(release.id, (r) => ({ approvedWaves: [...(r.approvedWaves ?? []), 2] })),
    ]);
    expect((await store.getRelease(release.id))?.approvedWaves?.sort()).toEqual([1, 2]);
    await store.amendRelease(release.id, () => ({
      paused: undefined,
      pausedBy: undefined,
      pausedAt: undefined,
    }));
    const resumed = await store.getRelease(release.id);
    expect(resumed).not.toHaveProperty('pausedBy');
    expect(resumed?.paused).toBeUndefined();
    expect(await store.amendRelease('0000000000000-000000000000', () => ({ paused: true }))).toBeUndefined();
  });

  it('when a retry reopens a release, then a completion guarded on the count read before it fails, and one read after it lands', async () => {
    const store = make();
    const active = {
      releaseId: release.id,
      repository: release.repository,
      tag: release.tag,
      digest: release.digest,
      pushedAt: release.pushedAt,
      targets: { eastus: ['w'] },
    };
    const listed = async () => (await store.listActiveReleases()).map((a) => a.releaseId);
    await store.ensureRelease(release, [], active);
    const before = (await store.getRelease(release.id))!;
    expect(await store.markReleaseDone(before, '2026-12-01T11:00:00.000Z')).toBe('ok');
    expect(await listed()).toEqual([]);
    // The retry reopens the done release and counts itself; its entry is back.
    expect(await store.reopenRelease(release.id, active)).toMatchObject({ status: 'active', retrySeq: 1 });
    const reopened = (await store.getRelease(release.id))!;
    expect(reopened).toMatchObject({ status: 'active', retrySeq: 1 });
    expect(reopened).not.toHaveProperty('completedAt');
    expect(await listed()).toEqual([release.id]);
    // A run that read the release before the retry: nothing written, the entry stays.
    expect(await store.markReleaseDone(before, '2026-12-01T11:01:00.000Z')).toBe('conflict');
    expect((await store.getRelease(release.id))?.status).toBe('active');
    expect(await listed()).toEqual([release.id]);
    // A run that read it after: done, and again is no change.
    expect(await store.markReleaseDone(reopened, '2026-12-01T11:02:00.000Z')).toBe('ok');
    expect(await store.getRelease(release.id)).toMatchObject({
      status: 'done',
      retrySeq: 1,
      completedAt: '2026-12-01T11:02:00.000Z',
    });
    expect(await store.markReleaseDone(before, '2026-12-01T11:03:00.000Z')).toBe('ok');
    expect((await store.getRelease(release.id))?.completedAt).toBe('2026-12-01T11:02:00.000Z');
    expect(await listed()).toEqual([]);
    expect(await store.reopenRelease('0000000000000-000000000000', active)).toBeUndefined();
    expect(await listed()).toEqual([]);
  });
});

describe('holds stored before they moved into the region partitions', () => {
  it('when the old holds table has holds, then the first hold read moves each into its scope (once) and empties it', async () => {
    const prefix = `opmig${Date.now().toString(36)}`;
    const connectionString = process.env.AZURITE_TABLE_CONNECTION!;
    const old = TableClient.fromConnectionString(connectionString, `${prefix}holds`, {
      allowInsecureConnection: true,
    });
    await old.createTable();
    const legacy = [
      {
        rowKey: 'h-00000000000000b1',
        region: 'eastus',
        actor: 'alice',
        at: '2026-12-01T09:00:00.000Z',
        reason: 'old',
      },
      {
        rowKey: 'h-00000000000000b2',
        region: 'westeurope',
        workload: 'default/Deployment/my-app/my-app',
        actor: 'bob',
        at: '2026-12-01T09:00:01.000Z',
      },
      // A duplicate scope (the old table allowed it): the first one is kept.
      { rowKey: 'h-00000000000000b3', region: 'eastus', actor: 'carol', at: '2026-12-01T09:00:02.000Z' },
    ];
    for (const h of legacy) await old.createEntity({ partitionKey: 'hold', ...h });
    const store = openTableRolloutStore({ kind: 'connectionString', connectionString }, prefix);
    const gate = await store.readGate('eastus');
    expect(gate.holds).toEqual([
      {
        id: 'h-00000000000000b1',
        region: 'eastus',
        actor: 'alice',
        at: '2026-12-01T09:00:00.000Z',
        reason: 'old',
      },
    ]);
    expect(gate.version).toBeDefined();
    expect((await store.listHolds(['eastus', 'westeurope'])).map((h) => h.id)).toEqual([
      'h-00000000000000b1',
      'h-00000000000000b2',
    ]);
    const left: unknown[] = [];
    for await (const row of old.listEntities()) left.push(row);
    expect(left).toEqual([]);
  });
});
