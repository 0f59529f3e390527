// A TableRolloutStore on a fresh prefix of the shared Azurite, plus the test's own TableClient to
// write rows the app never would (corrupt ones) and to read what is really stored.
import { openTableRolloutStore } from '../../src/adapters/tables/table-store';
import { freshPrefix, sharedAzurite } from '../support/intake-env';
import { tableClient, type TablesAt } from '../support/table-rows';
import type { RegionRollout, Release } from '../../src/core/model/records';
import type { ActiveReleaseEntry } from '../../src/core/model/store';

export type Row = Record<string, unknown> & { partitionKey: string; rowKey: string };

export function storeOnFreshTables() {
  const at: TablesAt = { connectionString: sharedAzurite(), prefix: freshPrefix() };
  const store = openTableRolloutStore(
    { kind: 'connectionString', connectionString: at.connectionString },
    at.prefix,
  );
  /** Reads a row, lets the test change it, writes it back whole (Replace), as a bad writer would. */
  const rewrite = async (table: string, pk: string, rk: string, change: (row: Row) => void) => {
    const client = tableClient(at, table);
    const row = await client.getEntity<Record<string, unknown>>(pk, rk);
    const copy: Row = { partitionKey: pk, rowKey: rk };
    for (const [k, v] of Object.entries(row))
      if (!['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.metadata'].includes(k)) copy[k] = v;
    change(copy);
    await client.upsertEntity(copy, 'Replace');
  };
  const read = (table: string, pk: string, rk: string) =>
    tableClient(at, table).getEntity<Record<string, unknown>>(pk, rk);
  return { at, store, rewrite, read };
}

export function sampleRelease(o: { id: string; repository: string; tag: string; regions: string[] }) {
  const at = '2026-11-27T10:00:00.000Z';
  const digest = `sha256:${'a'.repeat(64)}`;
  const release: Release = {
    id: o.id,
    repository: o.repository,
    tag: o.tag,
    digest,
    pushedAt: at,
    source: 'webhook',
    createdAt: at,
    status: 'active',
    regions: o.regions,
  };
  const rollouts: RegionRollout[] = o.regions.map((region) => ({
    releaseId: o.id,
    region,
    wave: 0,
    state: 'waiting-for-replica',
    reason: 'waiting for the regional replica',
    workloads: ['default/Deployment/my-app/my-app'],
    createdAt: at,
    updatedAt: at,
    attempts: 0,
    nextCheckAt: at,
  }));
  const active: ActiveReleaseEntry = {
    releaseId: o.id,
    repository: o.repository,
    tag: o.tag,
    digest,
    pushedAt: at,
    targets: Object.fromEntries(o.regions.map((r) => [r, ['default/Deployment/my-app/my-app']])),
  };
  return { release, rollouts, active };
}
