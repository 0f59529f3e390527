// <p>releases: PK = 'release', RK = release id (newest first), and the active index
// PK = 'active', RK = <repository>~<id>. A reconcile run lists only the active partition, so it
// costs what is active, not what is history.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import {
  encodeKey,
  CorruptRecordError,
  type ActiveReleaseEntry,
  type RegionRollout,
  type ReleasePage,
  type ReleaseQuery,
  type ReleaseStore,
  type VerificationUpdate,
  type WriteResult,
} from '../../core/model';
import type { Release, ReleaseStuck } from '../../core/model';
import type { OutboxEntry } from '../../core/notify';
import type { ReleaseAmendment, ReleaseAmendStore } from '../../core/operator';
import { decodeRow, defined, jsonText, rowKeys, stringList, type Entity } from './rows';
import { OUTBOX_PREFIX, outboxAction } from './outbox-table';
import { decodeRelease, releaseProperties } from './release-rows';
import {
  createIfAbsent,
  isConflict,
  isNotFound,
  listAll,
  tryGet,
  type Row,
  type StoreTable,
} from './table-set';

const RELEASE = 'release';
const ACTIVE = 'active';
const activeRowKey = (repository: string, releaseId: string) => `${encodeKey(repository)}~${releaseId}`;

const activeSchema = z.object({
  ...rowKeys,
  releaseId: z.string(),
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
  pushedAt: z.string(),
  version: z.string().optional(),
  rollbackOf: z.string().optional(),
  targets: jsonText(z.record(z.string(), stringList)),
});

function releaseEntity(r: Release): Entity {
  return { partitionKey: RELEASE, rowKey: r.id, ...releaseProperties(r) };
}

function activeEntity(active: ActiveReleaseEntry): Entity {
  return {
    partitionKey: ACTIVE,
    rowKey: activeRowKey(active.repository, active.releaseId),
    releaseId: active.releaseId,
    repository: active.repository,
    tag: active.tag,
    digest: active.digest,
    pushedAt: active.pushedAt,
    ...defined({ version: active.version, rollbackOf: active.rollbackOf }),
    targets: JSON.stringify(active.targets),
  };
}

function toActive(table: StoreTable, row: Row): ActiveReleaseEntry {
  const e = decodeRow(table, row, activeSchema);
  return {
    releaseId: e.releaseId,
    repository: e.repository,
    tag: e.tag,
    digest: e.digest,
    pushedAt: e.pushedAt,
    version: e.version,
    rollbackOf: e.rollbackOf,
    targets: e.targets,
  };
}

/** The releases table; `createRollout` writes a rollout if absent (the regions table). */
export function releasesStore(
  table: StoreTable,
  createRollout: (rollout: RegionRollout) => Promise<void>,
): ReleaseStore & ReleaseAmendStore {
  const get = async (id: string) => {
    const row = await tryGet(table, RELEASE, id);
    return row ? decodeRelease(table, row) : undefined;
  };
  return {
    async ensureRelease(release, rollouts, active) {
      // Order matters for crash safety: the rollouts and the active entry, then the release. An
      // existing release therefore means the rest exists too; a crash part-way is repaired by the
      // next ensureRelease. The first two go out together: an active entry whose release is not
      // written yet is skipped by the reconciler (`release.missing`).
      await Promise.all([...rollouts.map(createRollout), createIfAbsent(table, activeEntity(active))]);
      await createIfAbsent(table, releaseEntity(release));
    },
    getRelease: get,
    async markReleaseDone(release, completedAt, outbox = []) {
      // The entry as it was before the completion: a retry that reopens the release after it
      // writes the entry anew, and the delete guarded on this ETag then leaves it.
      const key = activeRowKey(release.repository, release.id);
      const entry = await tryGet(table, ACTIVE, key);
      if ((await complete(table, release, completedAt, outbox)) === 'conflict') return 'conflict';
      if (entry) await deleteUnlessChanged(table, ACTIVE, key, entry.etag);
      return 'ok';
    },
    recordVerification: (release, update) => recordVerification(table, release, update),
    amendRelease: (id, change) => amend(table, id, change),
    async reopenRelease(id, active) {
      const reopened = await amend(table, id, (r) => ({
        status: 'active',
        completedAt: undefined,
        retrySeq: (r.retrySeq ?? 0) + 1,
      }));
      if (reopened) await (await table.client()).upsertEntity(activeEntity(active), 'Replace');
      return reopened;
    },
    markReleaseStuck: (releaseId, stuck) => markStuck(table, releaseId, stuck),
    listActiveReleases: (repository, onCorrupt) => listActive(table, repository, onCorrupt),
    listReleases: (query) => list(table, query),
  };
}

/**
 * The completion write with the release's notifications: one ETag-guarded transaction in the
 * release partition, unless a retry was counted since the caller read the release. A release
 * already done wrote them with its own completion; a lost race re-reads (the winner wrote the
 * same rows, keyed by the same events).
 */
async function complete(
  table: StoreTable,
  release: Pick<Release, 'id' | 'retrySeq'>,
  completedAt: string,
  outbox: readonly OutboxEntry[],
): Promise<WriteResult> {
  const t = await table.client();
  for (let attempt = 0; attempt < 4; attempt++) {
    const row = await tryGet(table, RELEASE, release.id);
    if (!row) return 'ok';
    const current = decodeRelease(table, row);
    if (current.status === 'done') return 'ok';
    if ((current.retrySeq ?? 0) !== (release.retrySeq ?? 0)) return 'conflict';
    try {
      await t.submitTransaction([
        [
          'update',
          { partitionKey: RELEASE, rowKey: release.id, status: 'done', completedAt },
          'Merge',
          { etag: row.etag },
        ],
        ...outbox.map(outboxAction),
      ]);
      return 'ok';
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new Error(`release ${release.id}: the completion write kept losing races`);
}

/** Deletes a row unless it changed since it was read (then it is left; a missing row is fine). */
async function deleteUnlessChanged(table: StoreTable, pk: string, rk: string, etag: string): Promise<void> {
  try {
    await (await table.client()).deleteEntity(pk, rk, { etag });
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
  }
}

/**
 * A final verdict (verified, rejected) stands: two runs may verify the same release at once (the
 * timer and a wake-up), and the later one must not move verifiedAt past a start the first one
 * allowed, nor turn it back to unverified. ETag-guarded, so a lost race re-reads.
 */
async function recordVerification(
  table: StoreTable,
  release: Pick<Release, 'id'>,
  update: VerificationUpdate,
): Promise<void> {
  const t = await table.client();
  for (let attempt = 0; attempt < 4; attempt++) {
    const row = await tryGet(table, RELEASE, release.id);
    if (!row) return;
    if (row.verification === 'verified' || row.verification === 'rejected') return;
    const fields = { partitionKey: RELEASE, rowKey: release.id, ...defined({ ...update }) };
    try {
      await t.updateEntity(fields, 'Merge', { etag: row.etag });
      return;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new Error(`release ${release.id}: the verification write kept losing races`);
}

/**
 * An operator's change of a release: the whole row replaced (so a field can be removed),
 * ETag-guarded; a lost race re-reads and re-applies.
 */
async function amend(
  table: StoreTable,
  id: string,
  change: (r: Release) => ReleaseAmendment | undefined,
): Promise<Release | undefined> {
  const t = await table.client();
  for (let attempt = 0; attempt < 6; attempt++) {
    const row = await tryGet(table, RELEASE, id);
    if (!row) return undefined;
    const current = decodeRelease(table, row);
    const patch = change(current);
    if (!patch) return current;
    const next: Release = { ...current, ...patch };
    try {
      await t.updateEntity(releaseEntity(next), 'Replace', { etag: row.etag });
      return next;
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
  }
  throw new Error(`release ${id}: the operator's change kept losing races`);
}

/** Marks the release stuck (a blind Merge of the two stuck fields only; absent release: no-op). */
async function markStuck(table: StoreTable, releaseId: string, stuck: ReleaseStuck): Promise<void> {
  const t = await table.client();
  try {
    await t.updateEntity(
      { partitionKey: RELEASE, rowKey: releaseId, stuckReason: stuck.reason, stuckAt: stuck.at },
      'Merge',
      { etag: '*' },
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** A corrupt entry throws, or with onCorrupt is reported there and left out. */
async function listActive(
  table: StoreTable,
  repository?: string,
  onCorrupt?: (err: CorruptRecordError) => void,
): Promise<ActiveReleaseEntry[]> {
  const filter = repository
    ? odata`PartitionKey eq ${ACTIVE} and RowKey gt ${`${encodeKey(repository)}~`} and RowKey lt ${`${encodeKey(repository)}~~`}`
    : odata`PartitionKey eq ${ACTIVE}`;
  const out: ActiveReleaseEntry[] = [];
  for (const row of await listAll(table, filter)) {
    try {
      out.push(toActive(table, row));
    } catch (err) {
      if (!(err instanceof CorruptRecordError) || !onCorrupt) throw err;
      onCorrupt(err);
    }
  }
  return out;
}

async function list(table: StoreTable, query: ReleaseQuery): Promise<ReleasePage> {
  const t = await table.client();
  // Release ids are digits; the partition's outbox rows sort after them.
  let filter = odata`PartitionKey eq ${RELEASE} and RowKey lt ${OUTBOX_PREFIX}`;
  if (query.repository) filter += odata` and repository eq ${query.repository}`;
  if (query.status) filter += odata` and status eq ${query.status}`;
  // A filtered page may come back short (or empty) with a token; read on with pages sized to
  // what still fits, so the returned token points exactly after the last release returned.
  const releases: Release[] = [];
  let token = query.continuationToken;
  do {
    const pages = t
      .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
      .byPage({ maxPageSize: query.limit - releases.length, continuationToken: token });
    const next = await pages.next();
    if (next.done) {
      token = undefined;
      break;
    }
    releases.push(...next.value.map((row) => decodeRelease(table, row)));
    token = next.value.continuationToken;
  } while (releases.length < query.limit && token);
  return { releases: releases.slice(0, query.limit), continuationToken: token };
}
