// The notification outbox: one row per (event, target), written in the same store transaction
// as the transition that caused the event (region events in the region's partition with the
// rollout; release events with the release's completion write). The row key is derived from the
// event's dedupeKey and the target id, so however often a transition is derived or replayed, one
// logical event owns one row per target and is delivered at most once (the claim is ETag-guarded).
// Rows never hold the target URL (a secret): delivery finds the target again by its id.
import { createHash } from 'node:crypto';
import type { NotifyEvent } from './notify-event';
import type { NotifyFormat } from './format';
import type { WriteResult } from '../model';

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/**
 * Where a row lives: the region partition of its rollout, the release partition (release events,
 * approval.required), or the audit partition (action.performed, with its audit entry).
 */
export type OutboxScope = { kind: 'region'; region: string } | { kind: 'release' } | { kind: 'audit' };

export interface OutboxEntry {
  scope: OutboxScope;
  /** `<hash of dedupeKey>~<targetId>`: the row key below the outbox prefix. */
  key: string;
  targetId: string;
  /** Shown by GET /api/notifications; never the path or query. */
  targetHost: string;
  format: NotifyFormat;
  event: NotifyEvent;
  createdAt: string;
  /** Absent on a freshly written row: it reads as pending, due at once. */
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt?: string | undefined;
  lastAttemptAt?: string | undefined;
  deliveredAt?: string | undefined;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
  etag?: string | undefined;
}

export interface OutboxTarget {
  targetId: string;
  targetHost: string;
  format: NotifyFormat;
}

/** The row key of (event, target): stable across processes and replays. */
export function outboxKey(dedupeKey: string, targetId: string): string {
  return `${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}~${targetId}`;
}

/** Fresh outbox rows for an event, one per target that wants it. */
export function outboxEntries(
  scope: OutboxScope,
  event: NotifyEvent,
  targets: readonly OutboxTarget[],
  createdAt: string,
): OutboxEntry[] {
  return targets.map((t) => ({
    scope,
    key: outboxKey(event.dedupeKey, t.targetId),
    targetId: t.targetId,
    targetHost: t.targetHost,
    format: t.format,
    event,
    createdAt,
    status: 'pending',
    attempts: 0,
  }));
}

/** Whether the delivery pass should try this row now. */
export function isDue(e: OutboxEntry, now: Date): boolean {
  if (e.status !== 'pending') return false;
  return !e.nextAttemptAt || Date.parse(e.nextAttemptAt) <= now.getTime();
}

/** How long and how many finished rows (delivered or failed) the outbox keeps. */
export interface OutboxRetention {
  /** Finished rows older than this (by their last attempt) are pruned. */
  maxAgeMs: number;
  /** At most this many finished rows are kept (the newest); pending rows are never pruned. */
  keep: number;
  /** Deletes per timer run, so a backlog is worked off over a few runs. */
  maxPerRun: number;
}

/** When a finished row was last touched (its age for retention). */
const finishedAt = (e: OutboxEntry) => Date.parse(e.deliveredAt ?? e.lastAttemptAt ?? e.createdAt) || 0;

export const isFinished = (e: OutboxEntry) => e.status === 'delivered' || e.status === 'failed';

/**
 * The finished rows to prune, oldest first: those older than the age bound, and those beyond the
 * newest `keep` finished rows. Pending rows (not yet delivered, or retrying) always stay, and so do
 * the rows of releases still active: a transition or stall of those may derive the same event again,
 * and only its row (create-if-absent) keeps that from being a second delivery.
 */
export function prunable(
  rows: readonly OutboxEntry[],
  now: Date,
  r: OutboxRetention,
  activeReleaseIds: ReadonlySet<string>,
): OutboxEntry[] {
  const finished = rows
    .filter((e) => isFinished(e) && !(e.event.release && activeReleaseIds.has(e.event.release.id)))
    .sort((a, b) => finishedAt(b) - finishedAt(a) || b.key.localeCompare(a.key));
  const cutoff = now.getTime() - r.maxAgeMs;
  const out = finished.filter((e, i) => i >= r.keep || finishedAt(e) < cutoff).reverse();
  return out.slice(0, Math.max(0, r.maxPerRun));
}

/** The outbox side of the store: listing and ETag-guarded updates of existing rows. */
export interface OutboxStore {
  /** Every outbox row of these regions' partitions and of the release partition. */
  listOutbox(regions: readonly string[]): Promise<OutboxEntry[]>;
  /** Idempotent: writes rows that are absent, leaves existing rows (and their status) alone. */
  putOutbox(entries: readonly OutboxEntry[]): Promise<void>;
  /** Replaces one row if its ETag still matches; on success the row's new ETag. */
  updateOutbox(entry: OutboxEntry): Promise<{ result: WriteResult; etag?: string | undefined }>;
  /** Deletes one row if its ETag still matches ('conflict' when it changed or is gone). */
  deleteOutbox(entry: OutboxEntry): Promise<WriteResult>;
}

/** One POST's result as the sender reports it (src/adapters/notify/sender.ts). */
export interface NotifySendResult {
  ok: boolean;
  status?: number | undefined;
  error?: string | undefined;
  retryable: boolean;
  retryAfterSeconds?: number | undefined;
}

export interface NotifySendLog {
  info(event: string, fields: Record<string, unknown>): void;
  warn(event: string, fields: Record<string, unknown>): void;
}

/** Sends one formatted message once; never throws. */
export type NotifySend = (
  target: { url: string; format: NotifyFormat },
  message: { contentType: 'application/json'; body: string },
  options: {
    timeoutMs?: number | undefined;
    idempotencyKey?: string | undefined;
    logger?: NotifySendLog | undefined;
    onOutcome?: ((format: NotifyFormat, outcome: 'ok' | 'retryable' | 'permanent') => void) | undefined;
  },
) => Promise<NotifySendResult>;
