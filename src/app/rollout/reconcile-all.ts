// One timer run: the level-triggered source of truth. Finds pushes whose webhook was lost, then
// advances every active release with bounded concurrency inside a total time budget.
import { setMaxListeners } from 'node:events';
import type { CorruptRecordError } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { deliverNotifications } from '../notify';
import { newRunCache, reconcileRelease } from './reconcile-release';
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
  const started = Date.now();
  const budget = AbortSignal.timeout(deps.config.reconcileBudgetSeconds * 1000);
  setMaxListeners(0, budget); // every call of the run listens on this one signal
  const summary = emptySummary();
  // Releases the webhook claimed and nobody wrote out (a lost wake-up, a crash): written now, so
  // this run lists and advances them.
  const pending = await materializeAllPending(deps, log);
  summary.pendingWritten = pending.written;
  summary.errors += pending.errors;
  if (opts.scan !== false) {
    const scan = await scanRegistry(deps, log, budget);
    summary.releasesFound = scan.releasesCreated;
    summary.errors += scan.errors;
  }
  summary.poisoned = await reportPoisoned(deps, log, budget);
  // A corrupt active entry is logged and counted, and must not stop the run. The shared list is
  // then incomplete, so each release re-lists its own repository's entries: those sharing the
  // corrupt entry's repository fail (supersession cannot be decided), the others advance.
  const corrupt: CorruptRecordError[] = [];
  const active = await deps.store.listActiveReleases(undefined, (err) => corrupt.push(err));
  for (const err of corrupt) {
    summary.errors++;
    log.error('release.corrupt-active-entry', { table: err.table, rowKey: err.rowKey, error: err.message });
  }
  summary.active = active.length;
  const cache = newRunCache(corrupt.length === 0 ? active : undefined);
  // Oldest first: earlier pushes settle (or get superseded) before newer ones claim workloads.
  const queue = [...active].sort((a, b) => Date.parse(a.pushedAt) - Date.parse(b.pushedAt));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (budget.aborted) {
        summary.skippedForBudget++;
        continue;
      }
      try {
        const o = await reconcileRelease(deps, next.releaseId, log, {
          cache,
          signal: budget,
          stuckCheck: true,
        });
        summary.advanced++;
        summary.transitions += o.transitions;
        summary.started += o.started;
        summary.finished += o.finished;
        summary.waiting += o.waiting;
        summary.errors += o.errors;
      } catch (err) {
        summary.errors++;
        log.error('release.error', { releaseId: next.releaseId, error: errorMessage(err) });
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(deps.config.reconcileConcurrency, Math.max(1, queue.length)) }, worker),
  );
  // Notifications last, on their own budget, so a busy run still delivers what it wrote.
  try {
    const sent = await deliverNotifications(deps, log, { signal: AbortSignal.timeout(NOTIFY_BUDGET_MS) });
    summary.errors += sent.errors;
  } catch (err) {
    summary.errors++;
    log.error('notifications.error', { error: errorMessage(err) });
  }
  summary.durationMs = Date.now() - started;
  // An idle run (nothing active, nothing found) is the common case every 30 s: it stays quiet.
  if (summary.errors > 0 || summary.skippedForBudget > 0) log.warn('reconcile.summary', { ...summary });
  else if (summary.transitions > 0 || summary.releasesFound > 0 || summary.pendingWritten > 0)
    log.info('reconcile.summary', { ...summary });
  return summary;
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
