// Reads the app's tables with the test's own TableClient (not through the store port), for
// assertions about what was stored, e.g. the webhook audit log, which the app never lists.
import { odata, TableClient } from '@azure/data-tables';
import { decodeDelivery } from '../../src/adapters/tables/deliveries-table';
import type { AppConfig } from '../../src/app/config/schema';
import type { DeliveryRecord } from '../../src/core/intake/store';

export interface TablesAt {
  connectionString: string;
  prefix: string;
}

/** Where an app built from config keeps its tables (connection-string storage only). */
export function tablesOf(deps: { config: AppConfig }): TablesAt {
  const { storage, tablePrefix } = deps.config;
  if (storage.kind !== 'connectionString') throw new Error('tests read tables through a connection string');
  return { connectionString: storage.connectionString, prefix: tablePrefix };
}

export function tableClient(at: TablesAt, table: string): TableClient {
  return TableClient.fromConnectionString(at.connectionString, `${at.prefix}${table}`, {
    allowInsecureConnection: true,
  });
}

/** The audit rows of one event day, decoded as the app stores them. */
export async function readDeliveries(at: TablesAt, day: string): Promise<DeliveryRecord[]> {
  const client = tableClient(at, 'deliveries');
  const table = { name: `${at.prefix}deliveries`, client: () => Promise.resolve(client) };
  const out: DeliveryRecord[] = [];
  for await (const row of client.listEntities<Record<string, unknown>>({
    queryOptions: { filter: odata`PartitionKey eq ${day}` },
  }))
    out.push(decodeDelivery(table, row));
  return out;
}
