// <p>heads, the pending records: PK = <repository>, RK = 'pending~<release id>', a release the
// webhook claimed and has not written out yet (src/app/intake/pending-release.ts). The claim
// writes it in the tag head's transaction (heads-table.ts); writing the release out deletes it.
// Its columns are the release's own (release-rows.ts), plus the targets and the carried signal.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { PendingRelease, PendingReleaseStore } from '../../core/intake';
import { decodeRelease, releaseProperties } from './release-rows';
import { decodeRow, defined, jsonText, rowKeys, stringList, type Entity } from './rows';
import { isNotFound, listAll, tryGet, type Row, type StoreTable } from './table-set';

const PENDING = 'pending~';
const pendingRowKey = (releaseId: string) => `${PENDING}${releaseId}`;

const pendingSchema = z.object({
  ...rowKeys,
  targets: jsonText(z.record(z.string(), stringList)),
  signalRegion: z.string().optional(),
  signalReceivedAt: z.string().optional(),
  signalEventAt: z.string().optional(),
});

/** The record as the claim's transaction writes it. */
export function pendingEntity(p: PendingRelease): Entity {
  return {
    partitionKey: encodeKey(p.release.repository),
    rowKey: pendingRowKey(p.release.id),
    ...releaseProperties(p.release),
    targets: JSON.stringify(p.targets),
    ...defined({
      signalRegion: p.signal?.region,
      signalReceivedAt: p.signal?.receivedAt,
      signalEventAt: p.signal?.eventAt,
    }),
  };
}

function toPending(table: StoreTable, row: Row): PendingRelease {
  const e = decodeRow(table, row, pendingSchema);
  const release = decodeRelease(table, row, e.rowKey.slice(PENDING.length));
  const signal =
    e.signalRegion !== undefined && e.signalReceivedAt !== undefined && e.signalEventAt !== undefined
      ? {
          repository: release.repository,
          digest: release.digest,
          region: e.signalRegion,
          receivedAt: e.signalReceivedAt,
          eventAt: e.signalEventAt,
        }
      : undefined;
  return { release, targets: e.targets, ...(signal ? { signal } : {}) };
}

/** The pending records of the heads table. */
export function pendingStore(table: StoreTable): PendingReleaseStore {
  return {
    async getPendingRelease(repository, releaseId) {
      const row = await tryGet(table, encodeKey(repository), pendingRowKey(releaseId));
      return row ? toPending(table, row) : undefined;
    },
    async listPendingReleases(repository) {
      const rows = await listAll(
        table,
        odata`PartitionKey eq ${encodeKey(repository)} and RowKey gt ${PENDING} and RowKey lt ${`${PENDING}~`}`,
      );
      return rows.map((row) => toPending(table, row));
    },
    async clearPendingRelease(repository, releaseId) {
      const t = await table.client();
      try {
        await t.deleteEntity(encodeKey(repository), pendingRowKey(releaseId));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
