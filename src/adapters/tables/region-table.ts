// <p>regions: PK = region, RK = 'rollout~<release id>' | 'ledger~<workload>'. Rollouts and the
// ledger share the region partition so a start (rollout -> rolling-out plus the workload locks)
// and a finish (rollout -> succeeded plus the new ledger digests) are one atomic transaction.
// The region's holds and gate row live there too (region-holds.ts): a start's claim guards on
// the gate in the same transaction.
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey, REGION_ROLLOUT_STATES, type LedgerEntry, type RegionRollout } from '../../core/model';
import { REASON_CODES } from '../../core/rollout';
import type { OutboxEntry } from '../../core/notify';
import type { CommitOptions, CommitResult, LedgerStore, RegionRolloutStore } from '../../core/rollout';
import { outboxAction } from './outbox-table';
import { gateAction } from './region-holds';
import { count, decodeRow, defined, jsonText, putLongText, rowKeys, stringList, type Entity } from './rows';
import { createIfAbsent, isConflict, listAll, tryGet, type Row, type StoreTable } from './table-set';

const rolloutRowKey = (releaseId: string) => `rollout~${releaseId}`;
const ledgerRowKey = (workload: string) => `ledger~${encodeKey(workload)}`;

const optional = z.string().optional();
const lastGood = z.object({
  releaseId: z.string(),
  tag: z.string(),
  digest: z.string(),
  pushedAt: z.string(),
});
const rolloutSchema = z.object({
  ...rowKeys,
  releaseId: z.string(),
  wave: count,
  state: z.enum(REGION_ROLLOUT_STATES),
  reason: z.string(),
  reasonCode: z.enum(REASON_CODES).optional(),
  workloads: jsonText(stringList),
  createdAt: z.string(),
  updatedAt: z.string(),
  replicaReadyAt: optional,
  replicaReadySource: z.enum(['webhook', 'check']).optional(),
  lastCheckAt: optional,
  lastCheckResult: z.enum(['present', 'absent', 'unknown']).optional(),
  attempts: count,
  throttled: count.optional(),
  armErrors: count.optional(),
  armErrorDeadline: optional,
  resends: count.optional(),
  nextCheckAt: z.string(),
  attemptStartedAt: optional,
  handle: jsonText(z.object({ value: z.string(), commandId: optional })).optional(),
  startedAt: optional,
  finishedAt: optional,
  lastError: optional,
  logsTail: optional,
  command: optional,
  skippedWorkloads: jsonText(stringList).optional(),
  revertTo: jsonText(lastGood).optional(),
  newerEnded: jsonText(stringList).optional(),
  waitingForNewer: optional,
  budgetFrom: count.optional(),
  retriedAt: optional,
  pause: jsonText(
    z.object({
      seq: count,
      paused: z.boolean(),
      by: optional,
      at: optional,
      reason: optional,
    }),
  ).optional(),
});

/** A cleared lock is stored as '' (Replace semantics need an explicit value). */
const lock = z
  .string()
  .optional()
  .transform((v) => v || undefined);
const ledgerSchema = z.object({
  ...rowKeys,
  workload: z.string(),
  repository: z.string(),
  digest: z.string(),
  tag: z.string(),
  releaseId: z.string(),
  pushedAt: z.string(),
  version: optional,
  rollbackOf: optional,
  updatedAt: z.string(),
  inFlightReleaseId: lock,
  inFlightPushedAt: lock,
  status: z.enum(['ok', 'failed']).optional(),
  failed: jsonText(
    z.object({
      releaseId: z.string(),
      tag: z.string(),
      digest: z.string(),
      at: z.string(),
      reason: z.string(),
    }),
  ).optional(),
});

function rolloutEntity(r: RegionRollout): Entity {
  const e: Entity = {
    partitionKey: r.region,
    rowKey: rolloutRowKey(r.releaseId),
    ...defined({
      kind: 'rollout',
      releaseId: r.releaseId,
      wave: r.wave,
      state: r.state,
      reason: r.reason,
      reasonCode: r.reasonCode,
      workloads: JSON.stringify(r.workloads),
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      replicaReadyAt: r.replicaReadyAt,
      replicaReadySource: r.replicaReadySource,
      lastCheckAt: r.lastCheckAt,
      lastCheckResult: r.lastCheckResult,
      attempts: r.attempts,
      throttled: r.throttled,
      armErrors: r.armErrors,
      armErrorDeadline: r.armErrorDeadline,
      resends: r.resends,
      nextCheckAt: r.nextCheckAt,
      attemptStartedAt: r.attemptStartedAt,
      handle: r.handle ? JSON.stringify(r.handle) : undefined,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      lastError: r.lastError?.slice(0, 8000),
      command: r.command?.slice(0, 30_000),
      skippedWorkloads: r.skippedWorkloads ? JSON.stringify(r.skippedWorkloads) : undefined,
      revertTo: r.revertTo ? JSON.stringify(r.revertTo) : undefined,
      newerEnded: r.newerEnded ? JSON.stringify(r.newerEnded) : undefined,
      waitingForNewer: r.waitingForNewer,
      budgetFrom: r.budgetFrom,
      retriedAt: r.retriedAt,
      pause: r.pause ? JSON.stringify(r.pause) : undefined,
    }),
  };
  putLongText(e, 'logsTail', r.logsTail);
  return e;
}

function ledgerEntity(l: LedgerEntry): Entity {
  return {
    partitionKey: l.region,
    rowKey: ledgerRowKey(l.workload),
    ...defined({
      kind: 'ledger',
      workload: l.workload,
      repository: l.repository,
      digest: l.digest,
      tag: l.tag,
      releaseId: l.releaseId,
      pushedAt: l.pushedAt,
      version: l.version,
      rollbackOf: l.rollbackOf,
      updatedAt: l.updatedAt,
      // Explicit empty strings clear a lock under Replace semantics.
      inFlightReleaseId: l.inFlightReleaseId ?? '',
      inFlightPushedAt: l.inFlightPushedAt ?? '',
      status: l.failed ? 'failed' : undefined,
      failed: l.failed ? JSON.stringify(l.failed) : undefined,
    }),
  };
}

function toRollout(table: StoreTable, row: Row): RegionRollout {
  const { partitionKey, rowKey: _rk, ...rest } = decodeRow(table, row, rolloutSchema, ['logsTail']);
  return { region: partitionKey, ...rest };
}

function toLedger(table: StoreTable, row: Row): LedgerEntry {
  const { partitionKey, rowKey: _rk, ...rest } = decodeRow(table, row, ledgerSchema);
  return { region: partitionKey, ...rest };
}

/** The release's rollout in its region, unless it is there (written with the release). */
export function createRolloutIfAbsent(table: StoreTable, rollout: RegionRollout): Promise<void> {
  return createIfAbsent(table, rolloutEntity(rollout));
}

/** The regions table's rollouts and ledger. */
export function regionsStore(table: StoreTable): RegionRolloutStore & LedgerStore {
  const getRollout = async (releaseId: string, region: string) => {
    const row = await tryGet(table, region, rolloutRowKey(releaseId));
    return row ? toRollout(table, row) : undefined;
  };
  return {
    getRollout,
    /** One point read per region; a corrupt rollout throws (the caller fails that release). */
    async listRollouts(releaseId, regions) {
      const found = await Promise.all(regions.map((region) => getRollout(releaseId, region)));
      return found.filter((r): r is RegionRollout => r !== undefined);
    },
    async listLedger(region) {
      const rows = await listAll(
        table,
        odata`PartitionKey eq ${region} and RowKey ge ${'ledger~'} and RowKey lt ${'ledger~~'}`,
      );
      return rows.map((row) => toLedger(table, row));
    },
    commitRegion: (rollout, ledger, outbox, opts) => commit(table, rollout, ledger, outbox, opts),
  };
}

async function commit(
  table: StoreTable,
  rollout: RegionRollout,
  ledger: LedgerEntry[],
  outbox: readonly OutboxEntry[] = [],
  opts: CommitOptions = {},
): Promise<CommitResult> {
  const t = await table.client();
  if (ledger.some((l) => l.region !== rollout.region))
    throw new Error('ledger entries must be in the rollout region');
  if (outbox.some((o) => o.scope.kind !== 'region' || o.scope.region !== rollout.region))
    throw new Error('outbox entries must be in the rollout region');
  const entity = rolloutEntity(rollout);
  try {
    if (ledger.length === 0 && outbox.length === 0 && !opts.gate) {
      const res = rollout.etag
        ? await t.updateEntity(entity, 'Replace', { etag: rollout.etag })
        : await t.createEntity(entity);
      return { outcome: 'ok', etag: res.etag };
    }
    const actions: TransactionAction[] = [
      rollout.etag ? ['update', entity, 'Replace', { etag: rollout.etag }] : ['create', entity],
      ...ledger.map((l): TransactionAction =>
        l.etag ? ['update', ledgerEntity(l), 'Replace', { etag: l.etag }] : ['create', ledgerEntity(l)],
      ),
      // The transition's notifications, in the same all-or-nothing transaction.
      ...outbox.map(outboxAction),
      // A claim: no hold placed here since the start was decided (region-holds.ts).
      ...(opts.gate ? [gateAction(rollout.region, opts.gate.version, rollout.updatedAt)] : []),
    ];
    const res = await t.submitTransaction(actions);
    return {
      outcome: 'ok',
      etag: res.getResponseForEntity(entity.rowKey)?.etag,
      // By position (sub-responses come in request order): an update's names no row key.
      gateVersion: opts.gate ? res.subResponses[actions.length - 1]?.etag : undefined,
    };
  } catch (err) {
    if (isConflict(err)) return { outcome: 'conflict' };
    throw err;
  }
}
