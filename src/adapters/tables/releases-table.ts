// <p>releases: PK = 'release', RK = release id (newest first), and the active index
// PK = 'active', RK = <repository>~<id>. A reconcile run lists only the active partition, so it
// costs what is active, not what is history.
import { odata } from '@azure/data-tables';
import { z } from 'zod';
import {
  encodeKey,
  CorruptRecordError,
  type ActiveReleaseEntry,
  type ReleaseAmendment,
  type ReleasePage,
  type VerificationUpdate,
} from '../../core/model';
import type { Release, ReleaseStuck } from '../../core/model';
import type { OutboxEntry } from '../../core/notify';
import { decodeRow, defined, jsonText, rowKeys, stringList, type Entity } from './rows';
import { OUTBOX_PREFIX, outboxAction } from './outbox-table';
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

const releaseSchema = z.object({
  ...rowKeys,
  repository: z.string(),
  tag: z.string(),
  digest: z.string(),
  pushedAt: z.string(),
  version: z.string().optional(),
  mediaType: z.string().optional(),
  source: z.enum(['webhook', 'registry-scan', 'operator']),
  announcedBy: z.string().optional(),
  createdAt: z.string(),
  status: z.enum(['active', 'done']),
  completedAt: z.string().optional(),
  regions: jsonText(stringList),
  verification: z.enum(['verified', 'unverified', 'rejected']).optional(),
  verifiedAt: z.string().optional(),
  verificationReason: z.string().optional(),
  paused: z.boolean().optional(),
  pausedBy: z.string().optional(),
  pausedAt: z.string().optional(),
  pauseReason: z.string().optional(),
  pauseSeq: z.number().int().nonnegative().optional(),
  approvedWaves: jsonText(z.array(z.number().int())).optional(),
  rejection: z.string().optional(),
  rollbackOf: z.string().optional(),
  stuckReason: z.string().optional(),
  stuckAt: z.string().optional(),
});

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

export interface ReleaseQuery {
  repository?: string | undefined;
  status?: 'active' | 'done' | undefined;
  limit: number;
  continuationToken?: string | undefined;
}

function releaseEntity(r: Release): Entity {
  return { partitionKey: RELEASE, rowKey: r.id, ...releaseProperties(r) };
}

/** A release's columns (no keys): its row, and the pending record in the heads table. */
export function releaseProperties(r: Release): Record<string, unknown> {
  return {
    ...defined({
      repository: r.repository,
      tag: r.tag,
      digest: r.digest,
      pushedAt: r.pushedAt,
      version: r.version,
      mediaType: r.mediaType,
      source: r.source,
      announcedBy: r.announcedBy,
      createdAt: r.createdAt,
      status: r.status,
      completedAt: r.completedAt,
      regions: JSON.stringify(r.regions),
      verification: r.verification,
      verifiedAt: r.verifiedAt,
      verificationReason: r.verificationReason,
      paused: r.paused,
      pausedBy: r.pausedBy,
      pausedAt: r.pausedAt,
      pauseReason: r.pauseReason,
      pauseSeq: r.pauseSeq,
      approvedWaves: r.approvedWaves ? JSON.stringify(r.approvedWaves) : undefined,
      rejection: r.rejection,
      rollbackOf: r.rollbackOf,
      stuckReason: r.stuck?.reason,
      stuckAt: r.stuck?.at,
    }),
  };
}

/** Decodes a row holding releaseProperties; `id` where the row key is not the release id. */
export function decodeRelease(table: StoreTable, row: Row, id?: string): Release {
  const {
    partitionKey: _pk,
    rowKey,
    etag: _etag,
    stuckReason,
    stuckAt,
    ...rest
  } = decodeRow(table, row, releaseSchema);
  const stuck =
    stuckReason !== undefined && stuckAt !== undefined ? { reason: stuckReason, at: stuckAt } : undefined;
  return { id: id ?? rowKey, ...rest, ...(stuck ? { stuck } : {}) };
}

export class ReleasesTable {
  constructor(private readonly table: StoreTable) {}

  private toRelease(row: Row): Release {
    return decodeRelease(this.table, row);
  }

  private toActive(row: Row): ActiveReleaseEntry {
    const e = decodeRow(this.table, row, activeSchema);
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

  createReleaseIfAbsent(release: Release): Promise<void> {
    return createIfAbsent(this.table, releaseEntity(release));
  }

  createActiveIfAbsent(active: ActiveReleaseEntry): Promise<void> {
    return createIfAbsent(this.table, {
      partitionKey: ACTIVE,
      rowKey: activeRowKey(active.repository, active.releaseId),
      releaseId: active.releaseId,
      repository: active.repository,
      tag: active.tag,
      digest: active.digest,
      pushedAt: active.pushedAt,
      ...defined({ version: active.version, rollbackOf: active.rollbackOf }),
      targets: JSON.stringify(active.targets),
    });
  }

  async get(id: string): Promise<Release | undefined> {
    const row = await tryGet(this.table, RELEASE, id);
    return row ? this.toRelease(row) : undefined;
  }

  async markDone(
    release: Pick<Release, 'id' | 'repository'>,
    completedAt: string,
    outbox: readonly OutboxEntry[] = [],
  ): Promise<void> {
    const t = await this.table.client();
    if (outbox.length > 0) await this.completeWithOutbox(release.id, completedAt, outbox);
    else
      await t.upsertEntity(
        { partitionKey: RELEASE, rowKey: release.id, status: 'done', completedAt },
        'Merge',
      );
    try {
      await t.deleteEntity(ACTIVE, activeRowKey(release.repository, release.id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * The completion write with the release's notifications: one ETag-guarded transaction in the
   * release partition. A release already done wrote them with its own completion; a lost race
   * re-reads (the winner wrote the same rows, keyed by the same events).
   */
  private async completeWithOutbox(
    id: string,
    completedAt: string,
    outbox: readonly OutboxEntry[],
  ): Promise<void> {
    const t = await this.table.client();
    for (let attempt = 0; attempt < 4; attempt++) {
      const row = await tryGet(this.table, RELEASE, id);
      if (!row || row.status === 'done') return;
      try {
        await t.submitTransaction([
          [
            'update',
            { partitionKey: RELEASE, rowKey: id, status: 'done', completedAt },
            'Merge',
            { etag: row.etag },
          ],
          ...outbox.map(outboxAction),
        ]);
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(`release ${id}: the completion write kept losing races`);
  }

  /**
   * A final verdict (verified, rejected) stands: two runs may verify the same release at once (the
   * timer and a wake-up), and the later one must not move verifiedAt past a start the first one
   * allowed, nor turn it back to unverified. ETag-guarded, so a lost race re-reads.
   */
  async recordVerification(release: Pick<Release, 'id'>, update: VerificationUpdate): Promise<void> {
    const t = await this.table.client();
    for (let attempt = 0; attempt < 4; attempt++) {
      const row = await tryGet(this.table, RELEASE, release.id);
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
  async amend(
    id: string,
    change: (r: Release) => ReleaseAmendment | undefined,
  ): Promise<Release | undefined> {
    const t = await this.table.client();
    for (let attempt = 0; attempt < 6; attempt++) {
      const row = await tryGet(this.table, RELEASE, id);
      if (!row) return undefined;
      const current = this.toRelease(row);
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
  async markStuck(releaseId: string, stuck: ReleaseStuck): Promise<void> {
    const t = await this.table.client();
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
  async listActive(
    repository?: string,
    onCorrupt?: (err: CorruptRecordError) => void,
  ): Promise<ActiveReleaseEntry[]> {
    const filter = repository
      ? odata`PartitionKey eq ${ACTIVE} and RowKey gt ${`${encodeKey(repository)}~`} and RowKey lt ${`${encodeKey(repository)}~~`}`
      : odata`PartitionKey eq ${ACTIVE}`;
    const out: ActiveReleaseEntry[] = [];
    for (const row of await listAll(this.table, filter)) {
      try {
        out.push(this.toActive(row));
      } catch (err) {
        if (!(err instanceof CorruptRecordError) || !onCorrupt) throw err;
        onCorrupt(err);
      }
    }
    return out;
  }

  async list(query: ReleaseQuery): Promise<ReleasePage> {
    const t = await this.table.client();
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
      releases.push(...next.value.map((row) => this.toRelease(row)));
      token = next.value.continuationToken;
    } while (releases.length < query.limit && token);
    return { releases: releases.slice(0, query.limit), continuationToken: token };
  }
}
