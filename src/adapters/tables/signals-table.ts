// <p>signals: regional webhooks saying a replica holds a digest. PK = <repository>@<digest>, RK = region.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { ReadinessSignal } from '../../core/model';
import { decodeRow, rowKeys } from './rows';
import { isAlreadyThere, listAll, type StoreTable } from './table-set';

const signalPartition = (repository: string, digest: string) => `${encodeKey(repository)}@${digest}`;

const signalSchema = z.object({ ...rowKeys, receivedAt: z.string(), eventAt: z.string() });

export class SignalsTable {
  constructor(private readonly table: StoreTable) {}

  async record(s: ReadinessSignal): Promise<'created' | 'duplicate'> {
    const t = await this.table.client();
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
  }

  async list(repository: string, digest: string): Promise<ReadinessSignal[]> {
    const rows = await listAll(this.table, odata`PartitionKey eq ${signalPartition(repository, digest)}`);
    return rows.map((row) => {
      const e = decodeRow(this.table, row, signalSchema);
      return { repository, digest, region: e.rowKey, receivedAt: e.receivedAt, eventAt: e.eventAt };
    });
  }
}
