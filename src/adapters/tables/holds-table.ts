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

export class HoldsTable {
  constructor(private readonly table: StoreTable) {}

  private toHold(row: Row): Hold {
    const { partitionKey: _p, rowKey, etag: _e, ...rest } = decodeRow(this.table, row, holdSchema);
    return { id: rowKey, ...rest };
  }

  async list(): Promise<Hold[]> {
    const rows = await listAll(this.table, odata`PartitionKey eq ${HOLD}`);
    return rows.map((row) => this.toHold(row)).sort((a, b) => (a.at < b.at ? -1 : 1));
  }

  async delete(id: string): Promise<Hold | undefined> {
    const row = await tryGet(this.table, HOLD, id);
    if (!row) return undefined;
    const hold = this.toHold(row);
    const t = await this.table.client();
    try {
      await t.deleteEntity(HOLD, id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return hold;
  }
}
