// The operator tables on real Table Storage (Azurite) and their in-memory twin, run the same way:
// holds, rejections, the audit trail (newest first, paged), and release amendments that can
// remove a field (resume) and survive a concurrent change (ETag-guarded re-apply).
import { describe, expect, it } from 'vitest';
import { TableRolloutStore } from '../../src/adapters/table-store';
import type { Release } from '../../src/core/model';
import type { AuditEntry } from '../../src/core/operator';
import type { RolloutStore } from '../../src/core/store';
import { MemoryRolloutStore } from '../support/memory-store';

let n = 0;
const stores: Array<[string, () => RolloutStore]> = [
  [
    'Table store (Azurite)',
    () =>
      new TableRolloutStore(
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
  it('when holds are placed and lifted, then they list and delete by id', async () => {
    const store = make();
    await store.putHold({
      id: 'h-0000000000000001',
      region: 'eastus',
      actor: 'local',
      at: '2026-12-01T10:00:00.000Z',
    });
    await store.putHold({
      id: 'h-0000000000000002',
      region: 'westeurope',
      workload: 'default/Deployment/my-app/my-app',
      reason: 'freeze',
      actor: 'alice',
      at: '2026-12-01T10:00:01.000Z',
    });
    expect((await store.listHolds()).map((h) => h.id)).toEqual(['h-0000000000000001', 'h-0000000000000002']);
    expect(await store.deleteHold('h-0000000000000002')).toMatchObject({
      workload: 'default/Deployment/my-app/my-app',
      reason: 'freeze',
    });
    expect(await store.deleteHold('h-0000000000000002')).toBeUndefined();
    expect(await store.listHolds()).toHaveLength(1);
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
});
