// <p>holds: where operator holds were kept before they moved into the region partitions of the
// regions table (region-holds.ts). PK = 'hold', RK = id. Only read (and emptied) by the move.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import type { Hold } from '../../core/operator';
import { decodeRow, rowKeys } from './rows';
import { isNotFound, listAll, tryGet, type Row, type StoreTable } from './table-set';

const HOLD = 'hold';

const holdSchema = z.object({
  ...rowKeys,
  region: z.string(),
  workload: z.string().optional(),
  reason: z.string().optional(),
  actor: z.string(),
  at: z.string(),
});

function toHold(table: StoreTable, row: Row): Hold {
  const { partitionKey: _p, rowKey, etag: _e, ...rest } = decodeRow(table, row, holdSchema);
  return { id: rowKey, ...rest };
}

/** Every hold still in the old table, oldest first. */
export async function listLegacyHolds(table: StoreTable): Promise<Hold[]> {
  const rows = await listAll(table, odata`PartitionKey eq ${HOLD}`);
  return rows.map((row) => toHold(table, row)).sort((a, b) => (a.at < b.at ? -1 : 1));
}

export async function deleteLegacyHold(table: StoreTable, id: string): Promise<Hold | undefined> {
  const row = await tryGet(table, HOLD, id);
  if (!row) return undefined;
  const hold = toHold(table, row);
  const t = await table.client();
  try {
    await t.deleteEntity(HOLD, id);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  return hold;
}
