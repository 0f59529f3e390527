// The version fields on the real Table store (Azurite): a release's version, its active entry's
// version and rollback, and the ledger's, read back as written; rows written before they existed
// (no such column) read back without them, which the release order reads as "no version"; a
// skipped rollout and its reason code round-trip.
import { describe, expect, it } from 'vitest';
import { encodeKey } from '../../src/core/model/keys';
import type { LedgerEntry } from '../../src/core/model/records';
import { sampleRelease, storeOnFreshTables } from './support';

const REGIONS = ['eastus', 'westeurope'];
const WORKLOAD = 'default/Deployment/my-app/my-app';

function versioned(id: string, o: { version?: string; rollbackOf?: string } = {}) {
  const s = sampleRelease({ id, repository: 'my-app', tag: 'v2.0.0', regions: REGIONS });
  return {
    ...s,
    release: { ...s.release, ...o },
    active: { ...s.active, ...o },
  };
}

describe('table store: version fields', () => {
  it('a release and its active entry keep version and rollbackOf', async () => {
    const env = storeOnFreshTables();
    const s = versioned('0000000001-aaa', { version: '2.0.0', rollbackOf: '0000000009-zzz' });
    await env.store.ensureRelease(s.release, s.rollouts, s.active);
    expect(await env.store.getRelease(s.release.id)).toMatchObject({
      version: '2.0.0',
      rollbackOf: '0000000009-zzz',
    });
    expect(await env.store.listActiveReleases('my-app')).toEqual([
      expect.objectContaining({ releaseId: s.release.id, version: '2.0.0', rollbackOf: '0000000009-zzz' }),
    ]);
  });

  it('rows written before the version columns existed read back without them', async () => {
    const env = storeOnFreshTables();
    const s = versioned('0000000002-bbb', { version: '2.0.0' });
    await env.store.ensureRelease(s.release, s.rollouts, s.active);
    await env.rewrite('releases', 'release', s.release.id, (row) => delete row.version);
    await env.rewrite(
      'releases',
      'active',
      `${encodeKey('my-app')}~${s.release.id}`,
      (row) => delete row.version,
    );
    expect((await env.store.getRelease(s.release.id))?.version).toBeUndefined();
    expect((await env.store.listActiveReleases('my-app'))[0]?.version).toBeUndefined();
  });

  it('the ledger keeps what orders its release, and an entry without them reads back as before', async () => {
    const env = storeOnFreshTables();
    const s = versioned('0000000003-ccc', { version: '2.0.0' });
    await env.store.ensureRelease(s.release, s.rollouts, s.active);
    const rollout = (await env.store.getRollout(s.release.id, 'eastus'))!;
    const entry: LedgerEntry = {
      region: 'eastus',
      workload: WORKLOAD,
      repository: 'my-app',
      digest: s.release.digest,
      tag: 'v2.0.0',
      releaseId: s.release.id,
      pushedAt: s.release.pushedAt,
      version: '2.0.0',
      rollbackOf: '0000000009-zzz',
      updatedAt: s.release.pushedAt,
    };
    const skipped = {
      ...rollout,
      state: 'skipped' as const,
      reason: 'skipped: version 1.4.3 is older than 2.0.0 (release x, running here)',
      reasonCode: 'older-version' as const,
      skippedWorkloads: [WORKLOAD],
    };
    expect((await env.store.commitRegion(skipped, [entry])).outcome).toBe('ok');
    expect(await env.store.listLedger('eastus')).toEqual([
      expect.objectContaining({ version: '2.0.0', rollbackOf: '0000000009-zzz' }),
    ]);
    expect(await env.store.getRollout(s.release.id, 'eastus')).toMatchObject({
      state: 'skipped',
      reasonCode: 'older-version',
      skippedWorkloads: [WORKLOAD],
    });
    await env.rewrite('regions', 'eastus', `ledger~${encodeKey(WORKLOAD)}`, (row) => {
      delete row.version;
      delete row.rollbackOf;
    });
    const [old] = await env.store.listLedger('eastus');
    expect(old).toMatchObject({ releaseId: s.release.id, tag: 'v2.0.0' });
    expect([old?.version, old?.rollbackOf]).toEqual([undefined, undefined]);
  });
});
