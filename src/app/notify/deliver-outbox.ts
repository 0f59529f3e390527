// Delivers the outbox: run by the timer after it advanced the releases, never in the webhook's
// answer path. Each due row is first claimed (an ETag-guarded write that moves its next attempt
// a lease ahead), so overlapping timer runs cannot both send it; then sent with a timeout and a
// few quick retries (the shared retry helper), and its status, attempts and last error recorded.
// A target that keeps failing is retried with back-off across runs up to MAX_DELIVERY_ATTEMPTS,
// then marked failed: it costs one row per event and never holds a rollout.
import { addSeconds, backoffDelay, retry } from '../../core/platform';
import {
  formatMessage,
  isDue,
  isFinished,
  prunable,
  type NotifySend,
  type OutboxRetention,
  type NotifySendResult,
  type OutboxEntry,
  type OutboxStore,
} from '../../core/notify';
import type { ReleaseStore } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { targetId } from './targets';

/** Tries of one row over all runs before it is marked failed. */
export const MAX_DELIVERY_ATTEMPTS = 8;
/** Quick tries within one run (then the row waits for a later run). */
export const TRIES_PER_RUN = 3;
export const SEND_TIMEOUT_MS = 5_000;
/** How long a claim keeps other runs off a row: longer than one run's tries and waits. */
export const CLAIM_LEASE_SECONDS = 120;
/** Back-off between runs: 30 s doubling, at most 30 min. */
const RUN_BACKOFF = { base: 30, cap: 1800, jitter: 'equal' as const };
const CONCURRENCY = 4;
/**
 * Retention of finished rows (delivered or failed): 7 days, and at most the 500 newest (what
 * GET /api/notifications can show at most), pruned by the timer, at most 100 per run.
 */
export const OUTBOX_RETENTION: OutboxRetention = { maxAgeMs: 7 * 86_400_000, keep: 500, maxPerRun: 100 };

export interface DeliverySummary {
  due: number;
  delivered: number;
  retrying: number;
  failed: number;
  /** Claimed by another run first. */
  skipped: number;
  /** Finished rows deleted by the retention rule. */
  pruned: number;
  errors: number;
}

/** What delivering reads of the store beside the outbox: which releases are still active. */
type DeliverDeps = Deps<Pick<ReleaseStore, 'listActiveReleases'>>;

interface Ctx {
  deps: DeliverDeps;
  store: OutboxStore;
  send: NotifySend;
  log: Logger;
  summary: DeliverySummary;
  signal?: AbortSignal | undefined;
}

export async function deliverNotifications(
  deps: DeliverDeps,
  log: Logger,
  opts: { signal?: AbortSignal; retention?: OutboxRetention } = {},
): Promise<DeliverySummary> {
  const summary: DeliverySummary = {
    due: 0,
    delivered: 0,
    retrying: 0,
    failed: 0,
    skipped: 0,
    pruned: 0,
    errors: 0,
  };
  const { outbox: store, notify: send } = deps;
  const now = deps.clock.now();
  const rows = await store.listOutbox(deps.config.regions.map((r) => r.name));
  const queue = rows.filter((r) => isDue(r, now)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  summary.due = queue.length;
  const ctx: Ctx = { deps, store, send, log, summary, signal: opts.signal };
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      if (opts.signal?.aborted) break;
      try {
        await deliverOne(ctx, row);
      } catch (err) {
        summary.errors++;
        log.error('notification.error', { ...eventFields(row), error: errorMessage(err) });
        deps.metrics.operationError({ operation: 'notification-delivery' });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, Math.max(1, queue.length)) }, worker));
  await prune(ctx, rows, now, opts.retention ?? OUTBOX_RETENTION);
  if (summary.due > 0 || summary.pruned > 0) log.info('notifications.summary', { ...summary });
  return summary;
}

/**
 * Deletes the finished rows the retention rule gives up (src/core/notify/outbox.ts `prunable`), ETag-guarded:
 * a row another run just deleted or changed is left alone. Rows that were pending when listed, and
 * rows of releases still active, are never among them.
 */
async function prune(
  { deps, store, log, summary, signal }: Ctx,
  rows: readonly OutboxEntry[],
  now: Date,
  retention: OutboxRetention,
) {
  if (!rows.some(isFinished)) return;
  const active = new Set((await deps.store.listActiveReleases()).map((a) => a.releaseId));
  for (const row of prunable(rows, now, retention, active)) {
    if (signal?.aborted) break;
    try {
      if ((await store.deleteOutbox(row)) === 'ok') summary.pruned++;
    } catch (err) {
      summary.errors++;
      log.error('notification.prune-error', { ...eventFields(row), error: errorMessage(err) });
      deps.metrics.operationError({ operation: 'notification-prune' });
    }
  }
}

/** Log fields of a row: what it is about and where it goes (the host only, never the URL). */
function eventFields(row: OutboxEntry): Record<string, unknown> {
  return {
    notification: row.event.event,
    releaseId: row.event.release?.id,
    repository: row.event.release?.repository,
    digest: row.event.release?.digest,
    region: row.event.region,
    targetHost: row.targetHost,
    format: row.format,
  };
}

async function deliverOne(ctx: Ctx, row: OutboxEntry): Promise<void> {
  const { deps, store, log, summary } = ctx;
  const elog = log.with(eventFields(row));
  const now = deps.clock.now();
  const target = deps.config.notify.targets.find((t) => targetId(t) === row.targetId);
  if (!target) {
    const gone = {
      ...row,
      status: 'failed' as const,
      lastError: 'the target is no longer in NOTIFY_TARGETS',
    };
    if ((await store.updateOutbox(gone)).result === 'ok') summary.failed++;
    elog.warn('notification.target-removed');
    return;
  }
  const claim: OutboxEntry = {
    ...row,
    lastAttemptAt: now.toISOString(),
    nextAttemptAt: addSeconds(now, CLAIM_LEASE_SECONDS).toISOString(),
  };
  const claimed = await store.updateOutbox(claim);
  if (claimed.result === 'conflict') {
    summary.skipped++;
    return;
  }
  let tries = 0;
  const message = formatMessage(target.format, row.event, {
    statusPageUrl: deps.config.notify.statusPageUrl,
  });
  const result: NotifySendResult = await retry(
    () => {
      tries++;
      return ctx.send(target, message, {
        timeoutMs: SEND_TIMEOUT_MS,
        idempotencyKey: row.key,
        logger: elog,
        onOutcome: (format, outcome) => deps.metrics.notificationDelivery({ format, outcome }),
      });
    },
    {
      attempts: Math.max(1, Math.min(TRIES_PER_RUN, MAX_DELIVERY_ATTEMPTS - row.attempts)),
      baseMs: 1_000,
      capMs: 8_000,
      jitter: 'equal',
      retryable: (o) => o.ok && !o.value.ok && o.value.retryable,
      retryAfterMs: (o) => (o.ok && o.value.retryAfterSeconds ? o.value.retryAfterSeconds * 1000 : undefined),
      // A target asking for more than this waits for a later run instead of holding this one.
      maxWaitMs: 30_000,
      sleep: deps.sleep,
      random: deps.random,
      signal: ctx.signal,
    },
  );
  await record(ctx, { ...claim, etag: claimed.etag }, result, row.attempts + tries, elog);
}

async function record(
  { deps, store, summary }: Ctx,
  claim: OutboxEntry,
  result: NotifySendResult,
  attempts: number,
  log: Logger,
): Promise<void> {
  const at = deps.clock.now();
  const base = { ...claim, attempts, lastStatus: result.status, lastAttemptAt: at.toISOString() };
  let next: OutboxEntry;
  if (result.ok) next = { ...base, status: 'delivered', deliveredAt: at.toISOString(), lastError: undefined };
  else if (result.retryable && attempts < MAX_DELIVERY_ATTEMPTS) {
    const wait = Math.max(
      backoffDelay(attempts, RUN_BACKOFF, deps.random()),
      Math.min(result.retryAfterSeconds ?? 0, RUN_BACKOFF.cap),
    );
    next = {
      ...base,
      status: 'pending',
      nextAttemptAt: addSeconds(at, wait).toISOString(),
      lastError: result.error,
    };
  } else next = { ...base, status: 'failed', lastError: result.error };
  const written = await store.updateOutbox(next);
  if (written.result === 'conflict') {
    // Our lease ran out and another run claimed the row: its record stands.
    log.warn('notification.record-lost', { attempts, status: next.status });
    return;
  }
  if (next.status === 'delivered') summary.delivered++;
  else if (next.status === 'pending') summary.retrying++;
  else {
    summary.failed++;
    log.warn('notification.gave-up', { attempts, error: result.error });
  }
}
