// A release's row columns: its row in the releases table and the pending record in the heads
// table (src/adapters/tables/pending-table.ts) hold the same columns, decoded the same way.
import { z } from 'zod';
import type { Release } from '../../core/model';
import { decodeRow, defined, jsonText, rowKeys, stringList } from './rows';
import type { Row, StoreTable } from './table-set';

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
  retrySeq: z.number().int().nonnegative().optional(),
  approvedWaves: jsonText(z.array(z.number().int())).optional(),
  rejection: z.string().optional(),
  rollbackOf: z.string().optional(),
  stuckReason: z.string().optional(),
  stuckAt: z.string().optional(),
});

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
      retrySeq: r.retrySeq,
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
