// <p>rejections: digests rejected for a repository (issue 12). PK = <repository>, RK = digest.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { Rejection } from '../../core/operator';
import { decodeRow, defined, rowKeys } from './rows';
import { isAlreadyThere, isNotFound, listAll, tryGet, type Row, type StoreTable } from './table-set';

const rejectionSchema = z.object({
  ...rowKeys,
  repository: z.string(),
  actor: z.string(),
  at: z.string(),
  reason: z.string().optional(),
  releaseId: z.string().optional(),
});

export class RejectionsTable {
  constructor(private readonly table: StoreTable) {}

  private toRejection(row: Row): Rejection {
    const { partitionKey: _p, rowKey, etag: _e, ...rest } = decodeRow(this.table, row, rejectionSchema);
    return { ...rest, digest: rowKey };
  }

  async put(r: Rejection): Promise<'created' | 'duplicate'> {
    const t = await this.table.client();
    const { digest, ...rest } = r;
    try {
      await t.createEntity({
        partitionKey: encodeKey(r.repository),
        rowKey: digest,
        ...defined({ ...rest }),
      });
      return 'created';
    } catch (err) {
      if (isAlreadyThere(err)) return 'duplicate';
      throw err;
    }
  }

  async get(repository: string, digest: string): Promise<Rejection | undefined> {
    const row = await tryGet(this.table, encodeKey(repository), digest);
    return row ? this.toRejection(row) : undefined;
  }

  async list(): Promise<Rejection[]> {
    // The whole table: rejections are few (each one is an operator's decision).
    const rows = await listAll(this.table, odata`PartitionKey ne ${''}`);
    return rows.map((row) => this.toRejection(row));
  }

  async delete(repository: string, digest: string): Promise<Rejection | undefined> {
    const found = await this.get(repository, digest);
    if (!found) return undefined;
    const t = await this.table.client();
    try {
      await t.deleteEntity(encodeKey(repository), digest);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    return found;
  }
}
