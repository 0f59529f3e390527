// <p>rejections: digests rejected for a repository. PK = <repository>, RK = digest.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { Rejection, RejectionStore } from '../../core/operator';
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

function toRejection(table: StoreTable, row: Row): Rejection {
  const { partitionKey: _p, rowKey, etag: _e, ...rest } = decodeRow(table, row, rejectionSchema);
  return { ...rest, digest: rowKey };
}

/** The rejections table. */
export function rejectionsStore(table: StoreTable): RejectionStore {
  const get = async (repository: string, digest: string) => {
    const row = await tryGet(table, encodeKey(repository), digest);
    return row ? toRejection(table, row) : undefined;
  };
  return {
    async putRejection(r) {
      const t = await table.client();
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
    },
    getRejection: get,
    async listRejections() {
      // The whole table: rejections are few (each one is an operator's decision).
      const rows = await listAll(table, odata`PartitionKey ne ${''}`);
      return rows.map((row) => toRejection(table, row));
    },
    async deleteRejection(repository, digest) {
      const found = await get(repository, digest);
      if (!found) return undefined;
      const t = await table.client();
      try {
        await t.deleteEntity(encodeKey(repository), digest);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      return found;
    },
  };
}
