// <p>deliveries: the audit log of webhook calls. PK = event day, RK = delivery key.
import { z } from 'zod';
import type { DeliveryRecord, DeliveryStore } from '../../core/intake';
import { decodeRow, defined, jsonText, putLongText, rowKeys, stringList, type Entity } from './rows';
import { isAlreadyThere, tryGet, type Row, type StoreTable } from './table-set';

/** The stored body is cut to this many characters (two long-text chunks). */
const PAYLOAD_LIMIT = 60_000;

const deliverySchema = z.object({
  ...rowKeys,
  region: z.string().optional(),
  eventId: z.string(),
  action: z.string(),
  repository: z.string().optional(),
  tag: z.string().optional(),
  digest: z.string().optional(),
  mediaType: z.string().optional(),
  eventAt: z.string().optional(),
  receivedAt: z.string(),
  outcome: z.enum(['recorded', 'ignored', 'rejected']).optional(),
  reason: z.string().optional(),
  releaseIds: jsonText(stringList),
  payload: z.string(),
});

function deliveryEntity(d: DeliveryRecord): Entity {
  const e: Entity = {
    partitionKey: d.day,
    rowKey: d.key,
    ...defined({
      region: d.region,
      eventId: d.eventId,
      action: d.action,
      repository: d.repository,
      tag: d.tag,
      digest: d.digest,
      mediaType: d.mediaType,
      eventAt: d.eventAt,
      receivedAt: d.receivedAt,
      outcome: d.outcome,
      reason: d.reason,
      releaseIds: JSON.stringify(d.releaseIds),
    }),
  };
  putLongText(e, 'payload', d.payload.slice(0, PAYLOAD_LIMIT));
  return e;
}

/** Decodes one audit row (exported for tests that read the table with their own client). */
export function decodeDelivery(table: StoreTable, row: Row): DeliveryRecord {
  const { partitionKey, rowKey, etag: _etag, ...rest } = decodeRow(table, row, deliverySchema, ['payload']);
  return { key: rowKey, day: partitionKey, ...rest };
}

/** The deliveries table: the webhook's audit log. */
export function deliveriesStore(table: StoreTable): DeliveryStore {
  return {
    async getDelivery(day, key) {
      const row = await tryGet(table, day, key);
      return row ? decodeDelivery(table, row) : undefined;
    },
    async recordDelivery(d) {
      const t = await table.client();
      try {
        await t.createEntity(deliveryEntity(d));
        return { result: 'created' };
      } catch (err) {
        if (!isAlreadyThere(err)) throw err;
        const existing = await tryGet(table, d.day, d.key);
        return { result: 'duplicate', existing: existing ? decodeDelivery(table, existing) : d };
      }
    },
    async completeDelivery(d) {
      const t = await table.client();
      await t.upsertEntity(deliveryEntity(d), 'Merge');
    },
  };
}
