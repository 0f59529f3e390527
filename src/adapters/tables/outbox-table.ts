// Outbox rows (src/core/notify/outbox.ts) live beside what caused them, so the same transaction writes
// both: RK = '~outbox~<hash of dedupeKey>~<target id>' in a region partition of the regions
// table (region events, with the rollout) or in the 'release' partition of the releases table
// (release events, with the completion write), or in the 'audit' partition of the audit table
// (action.performed, with the audit entry). '~' sorts after every other row key there.
// Inside a transaction a fresh row is an upsert (Merge) of the immutable fields only, so it can
// never fail the transition it rides with: a replay rewrites the same values and leaves status and
// attempts alone (and the ETag-guarded rollout write already refuses a replayed transition).
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { NOTIFY_EVENTS, NOTIFY_FORMATS } from '../../core/notify';
import type { OutboxEntry, OutboxScope, OutboxStore } from '../../core/notify';
import { count, decodeRow, defined, jsonText, rowKeys, type Entity } from './rows';
import { createIfAbsent, isConflict, isNotFound, listAll, type Row, type StoreTable } from './table-set';

export const OUTBOX_PREFIX = '~outbox~';
/** The releases table's partition of release rows (and their outbox rows). */
export const RELEASE_PARTITION = 'release';

const eventSchema = z.object({
  event: z.enum(NOTIFY_EVENTS),
  at: z.string(),
  release: z
    .object({ id: z.string(), repository: z.string(), tag: z.string(), digest: z.string() })
    .optional(),
  region: z.string().optional(),
  wave: z.number().int().optional(),
  action: z.object({ name: z.string(), actor: z.string(), detail: z.string().optional() }).optional(),
  state: z.string().optional(),
  reason: z.string().optional(),
  figures: z
    .object({
      replicationLagMs: z.number().optional(),
      reactionDelayMs: z.number().optional(),
      durationMs: z.number().optional(),
    })
    .optional(),
  dedupeKey: z.string(),
});

const outboxSchema = z.object({
  ...rowKeys,
  targetId: z.string(),
  targetHost: z.string(),
  format: z.enum(NOTIFY_FORMATS),
  event: jsonText(eventSchema),
  createdAt: z.string(),
  // Absent on a row nobody has tried yet (see the header): pending.
  status: z.enum(['pending', 'delivered', 'failed']).optional(),
  attempts: count.optional(),
  nextAttemptAt: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  lastStatus: z.number().int().optional(),
  lastError: z.string().optional(),
});

/** The audit table's partition of audit entries (and of the action.performed rows beside them). */
export const AUDIT_PARTITION = 'audit';

const partitionOf = (e: OutboxEntry) =>
  e.scope.kind === 'region' ? e.scope.region : e.scope.kind === 'audit' ? AUDIT_PARTITION : RELEASE_PARTITION;

/** The immutable part of a row: what the causing transaction writes. */
export function freshOutboxEntity(e: OutboxEntry): Entity {
  return {
    partitionKey: partitionOf(e),
    rowKey: `${OUTBOX_PREFIX}${e.key}`,
    kind: 'outbox',
    targetId: e.targetId,
    targetHost: e.targetHost,
    format: e.format,
    event: JSON.stringify(e.event),
    createdAt: e.createdAt,
  };
}

/** The transaction action that adds a row unless it exists. */
export function outboxAction(e: OutboxEntry): TransactionAction {
  return ['upsert', freshOutboxEntity(e), 'Merge'];
}

function fullEntity(e: OutboxEntry): Entity {
  return {
    ...freshOutboxEntity(e),
    ...defined({
      status: e.status,
      attempts: e.attempts,
      nextAttemptAt: e.nextAttemptAt,
      lastAttemptAt: e.lastAttemptAt,
      deliveredAt: e.deliveredAt,
      lastStatus: e.lastStatus,
      lastError: e.lastError?.slice(0, 2000),
    }),
  };
}

function decode(table: StoreTable, row: Row, scope: OutboxScope): OutboxEntry {
  const r = decodeRow(table, row, outboxSchema);
  return {
    scope,
    key: r.rowKey.slice(OUTBOX_PREFIX.length),
    targetId: r.targetId,
    targetHost: r.targetHost,
    format: r.format,
    event: r.event,
    createdAt: r.createdAt,
    status: r.status ?? 'pending',
    attempts: r.attempts ?? 0,
    nextAttemptAt: r.nextAttemptAt,
    lastAttemptAt: r.lastAttemptAt,
    deliveredAt: r.deliveredAt,
    lastStatus: r.lastStatus,
    lastError: r.lastError,
    etag: r.etag,
  };
}

/** The outbox rows, in the partitions of the events they notify (regions, releases, audit). */
export function outboxStore(tables: {
  regions: StoreTable;
  releases: StoreTable;
  audit: StoreTable;
}): OutboxStore {
  const tableOf = (scope: OutboxScope): StoreTable =>
    scope.kind === 'region' ? tables.regions : scope.kind === 'audit' ? tables.audit : tables.releases;
  const listPartition = async (scope: OutboxScope) => {
    const table = tableOf(scope);
    const pk =
      scope.kind === 'region' ? scope.region : scope.kind === 'audit' ? AUDIT_PARTITION : RELEASE_PARTITION;
    const rows = await listAll(
      table,
      odata`PartitionKey eq ${pk} and RowKey ge ${OUTBOX_PREFIX} and RowKey lt ${`${OUTBOX_PREFIX}~`}`,
    );
    return rows.map((row) => decode(table, row, scope));
  };
  return {
    async listOutbox(regions) {
      const lists = await Promise.all([
        ...regions.map((region) => listPartition({ kind: 'region', region })),
        listPartition({ kind: 'release' }),
        listPartition({ kind: 'audit' }),
      ]);
      return lists.flat();
    },
    /** Create-if-absent, not an upsert: a rewrite would change the ETag of a row being delivered. */
    async putOutbox(entries) {
      for (const e of entries) await createIfAbsent(tableOf(e.scope), freshOutboxEntity(e));
    },
    async deleteOutbox(e) {
      if (!e.etag) throw new Error('an outbox delete needs the ETag of the row it read');
      const t = await tableOf(e.scope).client();
      try {
        await t.deleteEntity(partitionOf(e), `${OUTBOX_PREFIX}${e.key}`, { etag: e.etag });
        return 'ok';
      } catch (err) {
        if (isConflict(err) || isNotFound(err)) return 'conflict';
        throw err;
      }
    },
    async updateOutbox(e) {
      if (!e.etag) throw new Error('an outbox update needs the ETag of the row it read');
      const t = await tableOf(e.scope).client();
      try {
        const res = await t.updateEntity(fullEntity(e), 'Replace', { etag: e.etag });
        return { result: 'ok', etag: res.etag };
      } catch (err) {
        if (isConflict(err)) return { result: 'conflict' };
        throw err;
      }
    },
  };
}
