// <p>heads: per repository, PK = <repository>. RK = 'tag~<tag>' (the tag's current release),
// 'digest~<tag>~<digest>' (which release carried a digest) or '~watch' (when watching began).
import { z } from 'zod';
import { encodeKey } from '../../core/keys';
import type { TagHead, WriteResult } from '../../core/store';
import { decodeRow, rowKeys } from './rows';
import { isAlreadyThere, isConflict, tryGet, type StoreTable } from './table-set';

const tagRowKey = (tag: string) => `tag~${encodeKey(tag)}`;
const digestRowKey = (tag: string, digest: string) => `digest~${encodeKey(tag)}~${digest}`;
const WATCH_ROW = '~watch';

const headSchema = z.object({
  ...rowKeys,
  digest: z.string(),
  releaseId: z.string(),
  pushedAt: z.string(),
  generation: z.number().int(),
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
      etag: e.etag,
    };
  }

  /** With withDigestRow, the tag->digest row is written in the same transaction (one partition). */
  async putTagHead(head: TagHead, opts: { withDigestRow?: boolean } = {}): Promise<WriteResult> {
    const t = await this.table.client();
    const entity = {
      partitionKey: encodeKey(head.repository),
      rowKey: tagRowKey(head.tag),
      repository: head.repository,
      tag: head.tag,
      digest: head.digest,
      releaseId: head.releaseId,
      pushedAt: head.pushedAt,
      generation: head.generation,
    };
    try {
      if (opts.withDigestRow) {
        const digestRow = {
          partitionKey: entity.partitionKey,
          rowKey: digestRowKey(head.tag, head.digest),
          releaseId: head.releaseId,
        };
        await t.submitTransaction([
          head.etag ? ['update', entity, 'Replace', { etag: head.etag }] : ['create', entity],
          ['upsert', digestRow, 'Replace'],
        ]);
      } else if (head.etag) await t.updateEntity(entity, 'Replace', { etag: head.etag });
      else await t.createEntity(entity);
      return 'ok';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw err;
    }
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
    const t = await this.table.client();
    try {
      await t.createEntity({ partitionKey: encodeKey(repository), rowKey: WATCH_ROW, since: at });
      return at;
    } catch (err) {
      if (!isAlreadyThere(err)) throw err;
      // Created between our attempt and now, or earlier: the stored start wins.
      const row = await tryGet(this.table, encodeKey(repository), WATCH_ROW);
      return row ? decodeRow(this.table, row, watchSchema).since : at;
    }
  }
}
