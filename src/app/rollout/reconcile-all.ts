// One timer run: the level-triggered source of truth. Finds pushes whose webhook was lost, then
// advances every active release with bounded concurrency inside a total time budget.
import { setMaxListeners } from 'node:events';
import type { ActiveReleaseEntry, CorruptRecordError } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { deliverNotifications } from '../notify';
import { newRunCache, reconcileRelease, type ReleaseOutcome, type RunCache } from './reconcile-release';
import { materializeAllPending, scanRegistry } from '../intake';
import { reportPoisoned } from '../wakeups';

/** Wall-clock budget of the notification delivery that ends each run. */
const NOTIFY_BUDGET_MS = 30_000;

export interface RunSummary {
  active: number;
  advanced: number;
  transitions: number;
  started: number;
  finished: number;
  waiting: number;
  errors: number;
  releasesFound: number;
  /** Pending releases (claimed by a webhook) this run wrote out: their wake-up never came. */
  pendingWritten: number;
  /** Releases with a wake-up in the poison queue (logged, shown stuck). */
  poisoned: number;
  skippedForBudget: number;
  durationMs: number;
}

const emptySummary = (): RunSummary => ({
  active: 0,
  advanced: 0,
  transitions: 0,
  started: 0,
  finished: 0,
  waiting: 0,
  errors: 0,
  releasesFound: 0,
  pendingWritten: 0,
  poisoned: 0,
  skippedForBudget: 0,
  durationMs: 0,
});

export async function reconcileAll(
  deps: Deps,
  log: Logger,
  opts: { scan?: boolean } = {},
): Promise<RunSummary> {
  const started = deps.clock.now().getTime();
  const budget = AbortSignal.timeout(deps.config.reconcileBudgetSeconds * 1000);
  setMaxListeners(0, budget); // every call of the run listens on this one signal
  const summary = emptySummary();
  await catchUp(deps, log, summary, budget, opts.scan !== false);
  const { active, complete } = await listActive(deps, log, summary);
  const cache = newRunCache(complete ? active : undefined);
  await advanceAll(deps, log, summary, active, { cache, budget });
  // Notifications last, on their own budget, so a busy run still delivers what it wrote.
  await deliverAtEnd(deps, log, summary);
  summary.durationMs = deps.clock.now().getTime() - started;
  // An idle run (nothing active, nothing found) is the common case every 30 s: it stays quiet.
  if (summary.errors > 0 || summary.skippedForBudget > 0) log.warn('reconcile.summary', { ...summary });
  else if (summary.transitions > 0 || summary.releasesFound > 0 || summary.pendingWritten > 0)
    log.info('reconcile.summary', { ...summary });
  return summary;
}

/**
 * What the run picks up before advancing: releases the webhook claimed and nobody wrote out (a
 * lost wake-up, a crash), written now so this run lists and advances them; pushes whose webhook
 * was lost (the tag scan); and wake-ups in the poison queue.
 */
async function catchUp(
  deps: Deps,
  log: Logger,
  summary: RunSummary,
  budget: AbortSignal,
  scan: boolean,
): Promise<void> {
  const pending = await materializeAllPending(deps, log);
  summary.pendingWritten = pending.written;
  summary.errors += pending.errors;
  if (scan) {
    const found = await scanRegistry(deps, log, budget);
    summary.releasesFound = found.releasesCreated;
    summary.errors += found.errors;
  }
  summary.poisoned = await reportPoisoned(deps, log, budget);
}

/**
 * The active releases. A corrupt entry is logged and counted, and must not stop the run. The
 * shared list is then incomplete (`complete` false), so each release re-lists its own
 * repository's entries: those sharing the corrupt entry's repository fail (supersession cannot be
 * decided), the others advance.
 */
async function listActive(
  deps: Deps,
  log: Logger,
  summary: RunSummary,
): Promise<{ active: ActiveReleaseEntry[]; complete: boolean }> {
  const corrupt: CorruptRecordError[] = [];
  const active = await deps.store.listActiveReleases(undefined, (err) => corrupt.push(err));
  for (const err of corrupt) {
    summary.errors++;
    log.error('release.corrupt-active-entry', { table: err.table, rowKey: err.rowKey, error: err.message });
  }
  summary.active = active.length;
  return { active, complete: corrupt.length === 0 };
}

/** Every active release, oldest first, by reconcileConcurrency workers within the run's budget. */
async function advanceAll(
  deps: Deps,
  log: Logger,
  summary: RunSummary,
  active: readonly ActiveReleaseEntry[],
  run: { cache: RunCache; budget: AbortSignal },
): Promise<void> {
  // Oldest first: earlier pushes settle (or get superseded) before newer ones claim workloads.
  const queue = [...active].sort((a, b) => Date.parse(a.pushedAt) - Date.parse(b.pushedAt));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (run.budget.aborted) {
        summary.skippedForBudget++;
        continue;
      }
      try {
        const o = await reconcileRelease(deps, next.releaseId, log, {
          cache: run.cache,
          signal: run.budget,
          stuckCheck: true,
        });
        addOutcome(summary, o);
      } catch (err) {
        summary.errors++;
        log.error('release.error', { releaseId: next.releaseId, error: errorMessage(err) });
        deps.metrics.operationError({ operation: 'release-reconcile' });
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(deps.config.reconcileConcurrency, Math.max(1, queue.length)) }, worker),
  );
}

function addOutcome(summary: RunSummary, o: ReleaseOutcome): void {
  summary.advanced++;
  summary.transitions += o.transitions;
  summary.started += o.started;
  summary.finished += o.finished;
  summary.waiting += o.waiting;
  summary.errors += o.errors;
}

/** The notification delivery that ends each run. */
async function deliverAtEnd(deps: Deps, log: Logger, summary: RunSummary): Promise<void> {
  try {
    const sent = await deliverNotifications(deps, log, { signal: AbortSignal.timeout(NOTIFY_BUDGET_MS) });
    summary.errors += sent.errors;
  } catch (err) {
    summary.errors++;
    log.error('notifications.error', { error: errorMessage(err) });
    deps.metrics.operationError({ operation: 'notification-run' });
  }
}

/**
 * The error a trigger throws after a run that counted errors, so the Functions host records a
 * failed invocation (and alerts on it) instead of a success; undefined for a clean run.
 */
export function runFailure(summary: RunSummary): Error | undefined {
  if (summary.errors === 0) return undefined;
  return new Error(
    `reconcile run had ${summary.errors} error(s) (see the release.error / scan / replica.check-failed ` +
      `lines): ${summary.advanced}/${summary.active} active release(s) advanced, ` +
      `${summary.skippedForBudget} skipped for the time budget, ${summary.releasesFound} found by the scan`,
  );
}
