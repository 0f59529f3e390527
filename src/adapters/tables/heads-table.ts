// <p>heads: per repository, PK = <repository>. RK = 'tag~<tag>' (the tag's current release),
// 'digest~<tag>~<digest>' (which release carried a digest), '~watch' (when watching began), and
// 'pending~<release id>', the pending records a claim writes with its head (pending-table.ts).
import { type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { encodeKey } from '../../core/model';
import type { PendingRelease, TagHead, TagHeadStore } from '../../core/intake';
import { pendingEntity } from './pending-table';
import { decodeRow, defined, jsonText, rowKeys, stringList, type Entity } from './rows';
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
  recentDigests: jsonText(stringList).optional(),
  digestsDropped: z.boolean().optional(),
  unverified: z.boolean().optional(),
});
const tagDigestSchema = z.object({ ...rowKeys, releaseId: z.string() });
const watchSchema = z.object({ ...rowKeys, since: z.string() });

/** The tag heads, their tag->digest rows and the watch start of the heads table. */
export function headsStore(table: StoreTable): TagHeadStore {
  return {
    async getTagHead(repository, tag) {
      const row = await tryGet(table, encodeKey(repository), tagRowKey(tag));
      if (!row) return undefined;
      const e = decodeRow(table, row, headSchema);
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
    },
    putTagHead: (head) => putHead(table, head),
    claimTagHead: (head, pending) => putHead(table, head, { withDigestRow: true, pending }),
    async recordTagDigest(repository, tag, digest, releaseId) {
      const t = await table.client();
      await t.upsertEntity(
        { partitionKey: encodeKey(repository), rowKey: digestRowKey(tag, digest), releaseId },
        'Replace',
      );
    },
    async getTagDigestRelease(repository, tag, digest) {
      const row = await tryGet(table, encodeKey(repository), digestRowKey(tag, digest));
      return row ? decodeRow(table, row, tagDigestSchema).releaseId : undefined;
    },
    setWatchStartIfAbsent: (repository, at) => setWatchStartIfAbsent(table, repository, at),
  };
}

/**
 * With withDigestRow, the tag->digest row is written in the same transaction (one partition),
 * and the pending release with it when given.
 */
async function putHead(
  table: StoreTable,
  head: TagHead,
  opts: { withDigestRow?: boolean; pending?: PendingRelease | undefined } = {},
): Promise<'ok' | 'conflict'> {
  const t = await table.client();
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

async function setWatchStartIfAbsent(table: StoreTable, repository: string, at: string): Promise<string> {
  // Read first: the row exists on every run but the first (one operation, not a failed create
  // and a read), and each timer run does this once per watched repository.
  const found = await tryGet(table, encodeKey(repository), WATCH_ROW);
  if (found) return decodeRow(table, found, watchSchema).since;
  const t = await table.client();
  try {
    await t.createEntity({ partitionKey: encodeKey(repository), rowKey: WATCH_ROW, since: at });
    return at;
  } catch (err) {
    if (!isAlreadyThere(err)) throw err;
    // Created between our read and now: the stored start wins.
    const row = await tryGet(table, encodeKey(repository), WATCH_ROW);
    return row ? decodeRow(table, row, watchSchema).since : at;
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
