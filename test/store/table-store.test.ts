// The Table store against Azurite: every row read back is validated, a corrupt one raises
// CorruptRecordError naming table, keys and field (never a default), and filters built with the
// SDK's odata helper keep working for values with quotes.
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../../src/core/model/store';
import type { LedgerEntry, RegionRollout } from '../../src/core/model/records';
import { sampleRelease, storeOnFreshTables } from './support';

const REGIONS = ['eastus', 'westeurope'];

async function corruptionOf(p: Promise<unknown>): Promise<CorruptRecordError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptRecordError);
  return err as CorruptRecordError;
}

async function withRelease(id = '0000000001-abc') {
  const env = storeOnFreshTables();
  const s = sampleRelease({ id, repository: 'my-app', tag: '1.0.0', regions: REGIONS });
  await env.store.ensureRelease(s.release, s.rollouts, s.active);
  return { ...env, ...s, rolloutKey: `rollout~${id}` };
}

describe('table store: corrupt rollout rows', () => {
  it('a rollout whose workloads is not JSON raises CorruptRecordError naming the field, not superseded', async () => {
    const t = await withRelease();
    await t.rewrite('regions', 'eastus', t.rolloutKey, (row) => {
      row.workloads = '["default/Deployment/my-app/my-app"'; // cut short
    });
    const err = await corruptionOf(t.store.getRollout(t.release.id, 'eastus'));
    expect(err).toMatchObject({
      table: `${t.at.prefix}regions`,
      partitionKey: 'eastus',
      rowKey: t.rolloutKey,
      field: 'workloads',
    });
    expect(err.message).toContain('workloads');
    expect(err.message).toContain(t.rolloutKey);
    // The listing a reconcile reads fails too: no release is advanced with a rollout left out.
    expect((await corruptionOf(t.store.listRollouts(t.release.id, REGIONS))).field).toBe('workloads');
    // The other region's row is fine and reads back as written.
    expect(await t.store.getRollout(t.release.id, 'westeurope')).toMatchObject({
      state: 'waiting-for-replica',
      workloads: ['default/Deployment/my-app/my-app'],
    });
  });

  it('workloads that parse but are not a list of strings are corrupt too', async () => {
    const t = await withRelease();
    await t.rewrite('regions', 'eastus', t.rolloutKey, (row) => {
      row.workloads = '["ok", 7]';
    });
    expect((await corruptionOf(t.store.getRollout(t.release.id, 'eastus'))).field).toBe('workloads.1');
  });

  it('a rollout without state raises CorruptRecordError naming state (never an empty, endless state)', async () => {
    const t = await withRelease();
    await t.rewrite('regions', 'westeurope', t.rolloutKey, (row) => {
      delete row.state;
    });
    const err = await corruptionOf(t.store.getRollout(t.release.id, 'westeurope'));
    expect(err).toMatchObject({ partitionKey: 'westeurope', rowKey: t.rolloutKey, field: 'state' });
    expect(err.message).toMatch(/state/);
  });

  it('an unknown state, a missing wave or attempts count, or a lost log chunk is each reported by name', async () => {
    const cases: Array<[string, (row: Record<string, unknown>) => void]> = [
      ['state', (row) => (row.state = 'rolling-sideways')],
      ['wave', (row) => delete row.wave],
      ['attempts', (row) => (row.attempts = 'three')],
      ['handle.value', (row) => (row.handle = '{"commandId":"x"}')],
      ['logsTail1', (row) => ((row.logsTailChunks = 2), (row.logsTail0 = 'first half'))],
    ];
    const t = await withRelease();
    for (const [field, change] of cases) {
      await t.rewrite('regions', 'eastus', t.rolloutKey, (row) => {
        for (const k of Object.keys(row)) if (k !== 'partitionKey' && k !== 'rowKey') delete row[k];
        Object.assign(row, { ...t.rollouts[0], workloads: JSON.stringify(t.rollouts[0]!.workloads) });
        delete row.region;
        change(row);
      });
      expect((await corruptionOf(t.store.getRollout(t.release.id, 'eastus'))).field, field).toBe(field);
    }
  });

  it('a written rollout and ledger read back exactly, long logs and cleared locks included', async () => {
    const t = await withRelease();
    const current = (await t.store.getRollout(t.release.id, 'eastus'))!;
    const next: RegionRollout = {
      ...current,
      state: 'succeeded',
      attempts: 1,
      handle: { value: 'cmd-1', commandId: 'cmd-1' },
      logsTail: 'x'.repeat(45_000),
      skippedWorkloads: [],
    };
    const ledger: LedgerEntry = {
      region: 'eastus',
      workload: 'default/Deployment/my-app/my-app',
      repository: 'my-app',
      digest: t.release.digest,
      tag: '1.0.0',
      releaseId: t.release.id,
      pushedAt: t.release.pushedAt,
      updatedAt: t.release.pushedAt,
    };
    expect((await t.store.commitRegion(next, [ledger])).outcome).toBe('ok');
    const { etag: _e1, ...stored } = (await t.store.getRollout(t.release.id, 'eastus'))!;
    const { etag: _e2, ...expected } = next;
    expect(stored).toEqual(expected);
    const [entry] = await t.store.listLedger('eastus');
    expect(entry).toMatchObject(ledger);
    expect(entry!.inFlightReleaseId).toBeUndefined(); // stored as '' (cleared lock), read as none
  });
});

describe('table store: other tables are validated too', () => {
  it('a ledger entry without digest is corrupt, and listLedger says which row', async () => {
    const t = await withRelease();
    const current = (await t.store.getRollout(t.release.id, 'eastus'))!;
    const entry: LedgerEntry = {
      region: 'eastus',
      workload: 'team/Deployment/api/api',
      repository: 'my-app',
      digest: t.release.digest,
      tag: '1.0.0',
      releaseId: t.release.id,
      pushedAt: t.release.pushedAt,
      updatedAt: t.release.pushedAt,
    };
    expect((await t.store.commitRegion({ ...current, state: 'succeeded' }, [entry])).outcome).toBe('ok');
    const rowKey = 'ledger~team!2FDeployment!2Fapi!2Fapi';
    await t.rewrite('regions', 'eastus', rowKey, (row) => delete row.digest);
    expect(await corruptionOf(t.store.listLedger('eastus'))).toMatchObject({ rowKey, field: 'digest' });
  });

  it('a release without source or with an unknown status is corrupt (no "webhook"/"active" default)', async () => {
    const t = await withRelease();
    await t.rewrite('releases', 'release', t.release.id, (row) => delete row.source);
    expect(await corruptionOf(t.store.getRelease(t.release.id))).toMatchObject({
      table: `${t.at.prefix}releases`,
      partitionKey: 'release',
      rowKey: t.release.id,
      field: 'source',
    });
    await t.rewrite('releases', 'release', t.release.id, (row) => {
      row.source = 'webhook';
      row.status = 'paused';
    });
    expect((await corruptionOf(t.store.getRelease(t.release.id))).field).toBe('status');
    expect((await corruptionOf(t.store.listReleases({ limit: 10 }))).field).toBe('status');
  });

  it('a corrupt active entry throws, or with onCorrupt is reported and left out while the others list', async () => {
    const t = await withRelease('0000000001-aaa');
    const other = sampleRelease({
      id: '0000000002-bbb',
      repository: 'my-app',
      tag: '2.0.0',
      regions: REGIONS,
    });
    await t.store.ensureRelease(other.release, other.rollouts, other.active);
    await t.rewrite('releases', 'active', `my-app~${t.release.id}`, (row) => {
      row.targets = '{"eastus": "not-a-list"}';
    });
    expect(await corruptionOf(t.store.listActiveReleases())).toMatchObject({
      rowKey: `my-app~${t.release.id}`,
      field: 'targets.eastus',
    });
    const reported: CorruptRecordError[] = [];
    const listed = await t.store.listActiveReleases('my-app', (err) => reported.push(err));
    expect(listed.map((a) => a.releaseId)).toEqual([other.release.id]);
    expect(reported.map((e) => [e.rowKey, e.field])).toEqual([[`my-app~${t.release.id}`, 'targets.eastus']]);
  });

  it('tag heads, signals and the watch start are validated on read', async () => {
    const t = storeOnFreshTables();
    const head = { repository: 'my-app', tag: '1.0.0', digest: 'sha256:1', releaseId: 'r1', pushedAt: 'p' };
    expect(await t.store.putTagHead({ ...head, generation: 1 })).toBe('ok');
    await t.rewrite('heads', 'my-app', 'tag~1.0.0', (row) => (row.generation = 'one'));
    expect((await corruptionOf(t.store.getTagHead('my-app', '1.0.0'))).field).toBe('generation');

    await t.store.recordSignal({ ...head, region: 'eastus', receivedAt: 'r', eventAt: 'e' });
    await t.rewrite('signals', 'my-app@sha256:1', 'eastus', (row) => delete row.eventAt);
    expect((await corruptionOf(t.store.listSignals('my-app', 'sha256:1'))).field).toBe('eventAt');

    expect(await t.store.setWatchStartIfAbsent('my-app', 'T1')).toBe('T1');
    await t.rewrite('heads', 'my-app', '~watch', (row) => delete row.since);
    expect((await corruptionOf(t.store.setWatchStartIfAbsent('my-app', 'T2'))).field).toBe('since');
  });
});

describe('table store: odata filters with quotes in values', () => {
  it("repository and tag values with ' list, filter and read back exactly", async () => {
    const t = storeOnFreshTables();
    const quoted = sampleRelease({
      id: '0000000001-q',
      repository: "o'brien/app",
      tag: "it's",
      regions: REGIONS,
    });
    const plain = sampleRelease({
      id: '0000000002-p',
      repository: 'obrien/app',
      tag: '1.0',
      regions: REGIONS,
    });
    const doubled = sampleRelease({
      id: '0000000003-d',
      repository: "o''brien/app",
      tag: "''",
      regions: REGIONS,
    });
    for (const s of [quoted, plain, doubled]) await t.store.ensureRelease(s.release, s.rollouts, s.active);

    const byRepo = await t.store.listReleases({ repository: "o'brien/app", limit: 10 });
    expect(byRepo.releases).toEqual([quoted.release]);
    expect((await t.store.listReleases({ repository: "o''brien/app", limit: 10 })).releases).toEqual([
      doubled.release,
    ]);
    // An injection attempt is a literal value: it matches nothing instead of widening the filter.
    const injected = await t.store.listReleases({ repository: "x' or PartitionKey eq 'release", limit: 10 });
    expect(injected.releases).toEqual([]);
    expect((await t.store.listReleases({ status: 'active', limit: 10 })).releases).toHaveLength(3);

    expect(await t.store.listActiveReleases("o'brien/app")).toEqual([quoted.active]);
    expect((await t.store.listActiveReleases()).map((a) => a.releaseId).sort()).toEqual(
      [quoted, plain, doubled].map((s) => s.release.id),
    );

    await t.store.recordSignal({
      repository: "o'brien/app",
      digest: quoted.release.digest,
      region: 'eastus',
      receivedAt: 'r',
      eventAt: 'e',
    });
    expect(await t.store.listSignals("o'brien/app", quoted.release.digest)).toHaveLength(1);
    expect(await t.store.listSignals('obrien/app', quoted.release.digest)).toEqual([]);

    const head = { repository: "o'brien/app", tag: "it's", digest: 'sha256:q', releaseId: quoted.release.id };
    expect(await t.store.putTagHead({ ...head, pushedAt: 'p', generation: 1 })).toBe('ok');
    expect(await t.store.getTagHead("o'brien/app", "it's")).toMatchObject(head);
    await t.store.recordTagDigest("o'brien/app", "it's", 'sha256:q', quoted.release.id);
    expect(await t.store.getTagDigestRelease("o'brien/app", "it's", 'sha256:q')).toBe(quoted.release.id);
  });

  it("a region name with ' lists its own ledger only", async () => {
    const t = storeOnFreshTables();
    const s = sampleRelease({
      id: '0000000001-r',
      repository: 'my-app',
      tag: '1',
      regions: ["o'region", 'oregion'],
    });
    await t.store.ensureRelease(s.release, s.rollouts, s.active);
    for (const region of s.release.regions) {
      const current = (await t.store.getRollout(s.release.id, region))!;
      const entry: LedgerEntry = {
        region,
        workload: `w-${region}`,
        repository: 'my-app',
        digest: s.release.digest,
        tag: '1',
        releaseId: s.release.id,
        pushedAt: s.release.pushedAt,
        updatedAt: s.release.pushedAt,
      };
      expect((await t.store.commitRegion({ ...current, state: 'succeeded' }, [entry])).outcome).toBe('ok');
    }
    expect((await t.store.listLedger("o'region")).map((l) => l.workload)).toEqual(["w-o'region"]);
  });
});
