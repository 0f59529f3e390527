// <p>heads: per repository, PK = <repository>. RK = 'tag~<tag>' (the tag's current release),
// 'digest~<tag>~<digest>' (which release carried a digest), 'pending~<release id>' (a release
// claimed by the webhook and not written out yet) or '~watch' (when watching began).
import { odata, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { PendingRelease, TagHead, WriteResult } from '../../core/model';
import { decodeRelease, releaseProperties } from './releases-table';
import { decodeRow, defined, jsonText, rowKeys, stringList, type Entity } from './rows';
import {
  isAlreadyThere,
  isConflict,
  isNotFound,
  listAll,
  tryGet,
  type Row,
  type StoreTable,
} from './table-set';

const tagRowKey = (tag: string) => `tag~${encodeKey(tag)}`;
const digestRowKey = (tag: string, digest: string) => `digest~${encodeKey(tag)}~${digest}`;
const WATCH_ROW = '~watch';
const PENDING = 'pending~';
const pendingRowKey = (releaseId: string) => `${PENDING}${releaseId}`;

const headSchema = z.object({
  ...rowKeys,
  digest: z.string(),
  releaseId: z.string(),
  pushedAt: z.string(),
  generation: z.number().int(),
  recentDigests: jsonText(stringList).optional(),
  digestsDropped: z.boolean().optional(),
  unverified: z.boolean().optional(),
});
const pendingSchema = z.object({
  ...rowKeys,
  targets: jsonText(z.record(z.string(), stringList)),
  signalRegion: z.string().optional(),
  signalReceivedAt: z.string().optional(),
  signalEventAt: z.string().optional(),
});
const tagDigestSchema = z.object({ ...rowKeys, releaseId: z.string() });
const watchSchema = z.object({ ...rowKeys, since: z.string() });

export class HeadsTable {
  constructor(private readonly table: StoreTable) {}

  async getTagHead(repository: string, tag: string): Promise<TagHead | undefined> {
    const row = await tryGet(this.table, encodeKey(repository), tagRowKey(tag));
    if (!row) return undefined;
    const e = decodeRow(this.table, row, headSchema);
    return {
      repository,
      tag,
      digest: e.digest,
      releaseId: e.releaseId,
      pushedAt: e.pushedAt,
      generation: e.generation,
      recentDigests: e.recentDigests,
      digestsDropped: e.digestsDropped,
      unverified: e.unverified,
      etag: e.etag,
    };
  }

  /**
   * With withDigestRow, the tag->digest row is written in the same transaction (one partition),
   * and the pending release with it when given.
   */
  async putTagHead(
    head: TagHead,
    opts: { withDigestRow?: boolean; pending?: PendingRelease | undefined } = {},
  ): Promise<WriteResult> {
    const t = await this.table.client();
    const entity = headEntity(head);
    try {
      if (opts.withDigestRow) {
        const digestRow = {
          partitionKey: entity.partitionKey,
          rowKey: digestRowKey(head.tag, head.digest),
          releaseId: head.releaseId,
        };
        const actions: TransactionAction[] = [
          head.etag ? ['update', entity, 'Replace', { etag: head.etag }] : ['create', entity],
          ['upsert', digestRow, 'Replace'],
        ];
        if (opts.pending) actions.push(['upsert', pendingEntity(opts.pending), 'Replace']);
        await t.submitTransaction(actions);
      } else if (head.etag) await t.updateEntity(entity, 'Replace', { etag: head.etag });
      else await t.createEntity(entity);
      return 'ok';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw err;
    }
  }

  async getPending(repository: string, releaseId: string): Promise<PendingRelease | undefined> {
    const row = await tryGet(this.table, encodeKey(repository), pendingRowKey(releaseId));
    return row ? this.toPending(row) : undefined;
  }

  async listPending(repository: string): Promise<PendingRelease[]> {
    const rows = await listAll(
      this.table,
      odata`PartitionKey eq ${encodeKey(repository)} and RowKey gt ${PENDING} and RowKey lt ${`${PENDING}~`}`,
    );
    return rows.map((row) => this.toPending(row));
  }

  async clearPending(repository: string, releaseId: string): Promise<void> {
    const t = await this.table.client();
    try {
      await t.deleteEntity(encodeKey(repository), pendingRowKey(releaseId));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private toPending(row: Row): PendingRelease {
    const e = decodeRow(this.table, row, pendingSchema);
    const release = decodeRelease(this.table, row, e.rowKey.slice(PENDING.length));
    const signal =
      e.signalRegion !== undefined && e.signalReceivedAt !== undefined && e.signalEventAt !== undefined
        ? {
            repository: release.repository,
            digest: release.digest,
            region: e.signalRegion,
            receivedAt: e.signalReceivedAt,
            eventAt: e.signalEventAt,
          }
        : undefined;
    return { release, targets: e.targets, ...(signal ? { signal } : {}) };
  }

  async recordTagDigest(repository: string, tag: string, digest: string, releaseId: string): Promise<void> {
    const t = await this.table.client();
    await t.upsertEntity(
      { partitionKey: encodeKey(repository), rowKey: digestRowKey(tag, digest), releaseId },
      'Replace',
    );
  }

  async getTagDigestRelease(repository: string, tag: string, digest: string): Promise<string | undefined> {
    const row = await tryGet(this.table, encodeKey(repository), digestRowKey(tag, digest));
    return row ? decodeRow(this.table, row, tagDigestSchema).releaseId : undefined;
  }

  async setWatchStartIfAbsent(repository: string, at: string): Promise<string> {
    // Read first: the row exists on every run but the first (one operation, not a failed create
    // and a read), and each timer run does this once per watched repository.
    const found = await tryGet(this.table, encodeKey(repository), WATCH_ROW);
    if (found) return decodeRow(this.table, found, watchSchema).since;
    const t = await this.table.client();
    try {
      await t.createEntity({ partitionKey: encodeKey(repository), rowKey: WATCH_ROW, since: at });
      return at;
    } catch (err) {
      if (!isAlreadyThere(err)) throw err;
      // Created between our read and now: the stored start wins.
      const row = await tryGet(this.table, encodeKey(repository), WATCH_ROW);
      return row ? decodeRow(this.table, row, watchSchema).since : at;
    }
  }
}

function headEntity(head: TagHead): Entity {
  return {
    partitionKey: encodeKey(head.repository),
    rowKey: tagRowKey(head.tag),
    repository: head.repository,
    tag: head.tag,
    digest: head.digest,
    releaseId: head.releaseId,
    pushedAt: head.pushedAt,
    generation: head.generation,
    ...defined({
      recentDigests: head.recentDigests ? JSON.stringify(head.recentDigests) : undefined,
      digestsDropped: head.digestsDropped,
      unverified: head.unverified,
    }),
  };
}

function pendingEntity(p: PendingRelease): Entity {
  return {
    partitionKey: encodeKey(p.release.repository),
    rowKey: pendingRowKey(p.release.id),
    ...releaseProperties(p.release),
    targets: JSON.stringify(p.targets),
    ...defined({
      signalRegion: p.signal?.region,
      signalReceivedAt: p.signal?.receivedAt,
      signalEventAt: p.signal?.eventAt,
    }),
  };
}
