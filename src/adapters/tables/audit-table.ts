// <p>audit: operator actions (issue 12). PK = 'audit', RK = inverted time + random (newest first),
// paged like the releases list.
import { randomBytes } from 'node:crypto';
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import { AUDIT_ACTIONS, auditRowKey, type AuditEntry } from '../../core/operator';
import type { AuditPage } from '../../core/store';
import { decodeRow, defined, rowKeys } from './rows';
import type { StoreTable } from './table-set';

const AUDIT = 'audit';

const auditSchema = z.object({
  ...rowKeys,
  at: z.string(),
  actor: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  releaseId: z.string().optional(),
  region: z.string().optional(),
  wave: z.number().int().optional(),
  reason: z.string().optional(),
  outcome: z.string(),
  detail: z.string().optional(),
});

export class AuditTable {
  constructor(private readonly table: StoreTable) {}

  async append(e: AuditEntry): Promise<void> {
    const t = await this.table.client();
    await t.createEntity({
      partitionKey: AUDIT,
      rowKey: auditRowKey(e.at, randomBytes(6).toString('hex')),
      ...defined({ ...e }),
    });
  }

  async list(query: { limit: number; continuationToken?: string | undefined }): Promise<AuditPage> {
    const t = await this.table.client();
    const pages = t
      .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${AUDIT}` } })
      .byPage({ maxPageSize: query.limit, continuationToken: query.continuationToken });
    const next = await pages.next();
    if (next.done) return { entries: [] };
    const entries = next.value.slice(0, query.limit).map((row) => {
      const { partitionKey: _p, rowKey: _r, etag: _e, ...entry } = decodeRow(this.table, row, auditSchema);
      return entry;
    });
    return { entries, continuationToken: next.value.continuationToken };
  }
}
