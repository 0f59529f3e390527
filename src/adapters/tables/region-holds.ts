// <p>regions (the rollouts' table), holds beside the rollouts they gate: PK = region,
// RK = 'hold~*' (the whole region) | 'hold~<encoded workload>', one row per scope, created only if
// absent; and RK = 'gate', the region's gate row. Placing a hold writes its row and the gate row
// in one transaction, and a start's claim updates the gate row ETag-guarded (as read when the
// start was decided) in the claim's own transaction: a hold placed meanwhile fails the claim,
// which re-reads and sees the hold. Lifting needs no gate write: it only opens the gate, and a
// claim decided while the hold stood claims nothing.
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import { memoUntilRejected } from '../../core/platform';
import { byPlacement, type Hold, type HoldPlacement, type HoldStore } from '../../core/operator';
import type { RegionGate } from '../../core/model';
import { deleteLegacyHold, listLegacyHolds } from './holds-table';
import { decodeRow, defined, rowKeys, type Entity } from './rows';
import {
  isAlreadyThere,
  isConflict,
  isNotFound,
  listAll,
  tryGet,
  type Row,
  type StoreTable,
} from './table-set';

export const GATE_ROW_KEY = 'gate';
const HOLD_PREFIX = 'hold~';
export const holdRowKey = (workload: string | undefined) =>
  `${HOLD_PREFIX}${workload === undefined ? '*' : encodeKey(workload)}`;

const holdSchema = z.object({
  ...rowKeys,
  holdId: z.string(),
  workload: z.string().optional(),
  reason: z.string().optional(),
  actor: z.string(),
  at: z.string(),
});

/** The gate row as the claim's transaction writes it: its ETag is the region's gate version. */
export function gateEntity(region: string, at: string): Entity {
  return { partitionKey: region, rowKey: GATE_ROW_KEY, kind: 'gate', changedAt: at };
}

/** The claim's guard on the gate: update as read, or create when none was there. */
export function gateAction(region: string, version: string | undefined, at: string): TransactionAction {
  const entity = gateEntity(region, at);
  return version ? ['update', entity, 'Merge', { etag: version }] : ['create', entity];
}

function toHold(table: StoreTable, row: Row): Hold {
  const { partitionKey, holdId, workload, reason, actor, at } = decodeRow(table, row, holdSchema);
  return { id: holdId, region: partitionKey, workload, reason, actor, at };
}

/**
 * The holds in the regions table. Holds placed before they moved into the region partitions (the
 * `legacy` holds table) are moved there once per process, before any hold is read or written:
 * each becomes its scope's row (unless the scope is held already), then leaves the old table. A
 * failure is retried on the next call; an empty old table costs one query per process.
 */
export function holdsStore(table: StoreTable, legacy: StoreTable): HoldStore {
  const moved = new Map<'legacy', Promise<void>>();
  const moveLegacy = (): Promise<void> =>
    memoUntilRejected(moved, 'legacy', async () => {
      for (const hold of await listLegacyHolds(legacy)) {
        await put(table, hold);
        await deleteLegacyHold(legacy, hold.id);
      }
    });
  return {
    async putHold(hold) {
      await moveLegacy();
      return put(table, hold);
    },
    async listHolds(regions) {
      await moveLegacy();
      const all = (await Promise.all(regions.map((r) => read(table, r)))).flatMap((g) => g.holds);
      return all.sort(byPlacement);
    },
    async readGate(region) {
      await moveLegacy();
      return read(table, region);
    },
    async deleteHold(hold) {
      await moveLegacy();
      return remove(table, hold);
    },
  };
}

/** One region's holds and gate version, in one query ('gate' sorts before 'hold~'). */
async function read(table: StoreTable, region: string): Promise<RegionGate> {
  const rows = await listAll(
    table,
    odata`PartitionKey eq ${region} and RowKey ge ${GATE_ROW_KEY} and RowKey lt ${`${HOLD_PREFIX}~`}`,
  );
  const gate = rows.find((r) => r.rowKey === GATE_ROW_KEY);
  const holds = rows.filter((r) => r.rowKey?.startsWith(HOLD_PREFIX)).map((r) => toHold(table, r));
  return { holds: holds.sort(byPlacement), version: gate?.etag };
}

/** Creates the hold with its gate write, unless its scope is held: then the hold found there. */
async function put(table: StoreTable, h: Hold): Promise<HoldPlacement> {
  const t = await table.client();
  const rowKey = holdRowKey(h.workload);
  const entity: Entity = {
    partitionKey: h.region,
    rowKey,
    kind: 'hold',
    ...defined({ holdId: h.id, workload: h.workload, reason: h.reason, actor: h.actor, at: h.at }),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await t.submitTransaction([
        ['create', entity],
        ['upsert', gateEntity(h.region, h.at), 'Merge'],
      ]);
      return { created: true };
    } catch (err) {
      if (!isAlreadyThere(err)) throw err;
    }
    const row = await tryGet(table, h.region, rowKey);
    // Lifted between the failed create and this read: try again.
    if (row) return { created: false, existing: toHold(table, row) };
  }
  throw new Error(`hold on ${h.workload ?? h.region}: kept losing races with other holds and lifts`);
}

/** Deletes the hold's row if it is still that hold (same id); false when it was not there. */
async function remove(table: StoreTable, h: Pick<Hold, 'id' | 'region' | 'workload'>): Promise<boolean> {
  const rowKey = holdRowKey(h.workload);
  const row = await tryGet(table, h.region, rowKey);
  if (!row || toHold(table, row).id !== h.id) return false;
  const t = await table.client();
  try {
    await t.deleteEntity(h.region, rowKey, { etag: row.etag });
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return false;
    throw err;
  }
}
