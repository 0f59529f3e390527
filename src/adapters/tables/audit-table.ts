// <p>audit: operator actions. PK = 'audit', RK = inverted time + random (newest first),
// paged like the releases list. The action.performed outbox rows of an entry ('~outbox~…', which
// sorts after every entry) are written in one transaction with it and left out of the list.
import { randomBytes } from 'node:crypto';
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { AUDIT_ACTIONS, auditRowKey, type AuditEntry } from '../../core/operator';
import type { OutboxEntry } from '../../core/notify';
import type { AuditAppendOptions, AuditCompletion, AuditPage, AuditStore } from '../../core/operator';
import { AUDIT_PARTITION, OUTBOX_PREFIX, outboxAction } from './outbox-table';
import { decodeRow, defined, rowKeys } from './rows';
import type { StoreTable } from './table-set';

const AUDIT = AUDIT_PARTITION;

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

/** The audit table's entries. */
export function auditStore(table: StoreTable): AuditStore {
  return {
    appendAudit: (entry, opts) => append(table, entry, opts),
    completeAudit: (key, completion, outbox) => complete(table, key, completion, outbox),
    listAudit: (query) => list(table, query),
  };
}

async function append(table: StoreTable, e: AuditEntry, opts: AuditAppendOptions = {}): Promise<void> {
  const t = await table.client();
  const entity = {
    partitionKey: AUDIT,
    rowKey: opts.key ?? auditRowKey(e.at, randomBytes(6).toString('hex')),
    ...defined({ ...e }),
  };
  const outbox = opts.outbox ?? [];
  if (outbox.some((o) => o.scope.kind !== 'audit'))
    throw new Error('outbox entries written with an audit entry must be in the audit scope');
  if (outbox.length === 0) {
    await t.createEntity(entity);
    return;
  }
  const actions: TransactionAction[] = [['create', entity], ...outbox.map(outboxAction)];
  await t.submitTransaction(actions);
}

/** The outcome of an entry written `pending` before its action ran, with its notifications. */
async function complete(
  table: StoreTable,
  key: string,
  completion: AuditCompletion,
  outbox: readonly OutboxEntry[] = [],
): Promise<void> {
  const t = await table.client();
  if (outbox.some((o) => o.scope.kind !== 'audit'))
    throw new Error('outbox entries written with an audit entry must be in the audit scope');
  const entity = { partitionKey: AUDIT, rowKey: key, ...defined({ ...completion }) };
  if (outbox.length === 0) {
    await t.updateEntity(entity, 'Merge', { etag: '*' });
    return;
  }
  await t.submitTransaction([['update', entity, 'Merge', { etag: '*' }], ...outbox.map(outboxAction)]);
}

async function list(
  table: StoreTable,
  query: { limit: number; continuationToken?: string | undefined },
): Promise<AuditPage> {
  const t = await table.client();
  const pages = t
    .listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${AUDIT} and RowKey lt ${OUTBOX_PREFIX}` },
    })
    .byPage({ maxPageSize: query.limit, continuationToken: query.continuationToken });
  const next = await pages.next();
  if (next.done) return { entries: [] };
  const entries = next.value.slice(0, query.limit).map((row) => {
    const { partitionKey: _p, rowKey: _r, etag: _e, ...entry } = decodeRow(table, row, auditSchema);
    return entry;
  });
  return { entries, continuationToken: next.value.continuationToken };
}
