// <p>signals: regional webhooks saying a replica holds a digest. PK = <repository>@<digest>, RK = region.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { SignalStore } from '../../core/intake';
import { decodeRow, rowKeys } from './rows';
import { isAlreadyThere, listAll, type StoreTable } from './table-set';

const signalPartition = (repository: string, digest: string) => `${encodeKey(repository)}@${digest}`;

const signalSchema = z.object({ ...rowKeys, receivedAt: z.string(), eventAt: z.string() });

/** The signals table: which regions reported a digest. */
export function signalsStore(table: StoreTable): SignalStore {
  return {
    async recordSignal(s) {
      const t = await table.client();
      try {
        await t.createEntity({
          partitionKey: signalPartition(s.repository, s.digest),
          rowKey: s.region,
          repository: s.repository,
          digest: s.digest,
          receivedAt: s.receivedAt,
          eventAt: s.eventAt,
        });
        return 'created';
      } catch (err) {
        if (isAlreadyThere(err)) return 'duplicate';
        throw err;
      }
    },
    async listSignals(repository, digest) {
      const rows = await listAll(table, odata`PartitionKey eq ${signalPartition(repository, digest)}`);
      return rows.map((row) => {
        const e = decodeRow(table, row, signalSchema);
        return { repository, digest, region: e.rowKey, receivedAt: e.receivedAt, eventAt: e.eventAt };
      });
    },
  };
}
