// Wake-ups: after each reconcile of a release, one queue message for the earliest due time of its
// unfinished rollouts, so the release is advanced at that time instead of at the next timer run.
// Deduplicated per composition (its WakeupSchedule; one per process in Azure): a message is sent
// only when the new due time is earlier than the one already pending for the release (or that
// one has passed), so a release has a bounded number of pending wake-ups (duplicates across
// instances are harmless: the reconciler is idempotent and a wake-up that finds nothing due
// changes nothing). A failed send is logged and counted, never thrown: the timer is the safety net.
import type { RegionRollout } from '../../core/model';
import { nextDue, visibilitySeconds } from '../../core/wakeups';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';

/** Bound of one send where a caller waits on it (the webhook's answer, a reconcile's end). */
export const WAKEUP_SEND_BUDGET_MS = 1500;
/** A full run that left something overdue wakes again after this, not at once. */
export const OVERDUE_FLOOR_MS = 1000;
const MAX_TRACKED = 5000;
/** After a failed send, this process skips sends for a while (a down queue costs each run once). */
export const QUEUE_DOWN_MS = 10_000;

/**
 * What the wake-up sends of one composition (one per process in Azure) remember, in the times
 * of its injected clock: the due time pending per release, and until when a queue found down is
 * left alone.
 */
export class WakeupSchedule {
  readonly pending = new Map<string, number>();
  downUntilMs = -Infinity;

  /** Forget wake-ups whose time has passed, so the map stays small. */
  prune(nowMs: number): void {
    if (this.pending.size < MAX_TRACKED) return;
    for (const [id, due] of this.pending) if (due <= nowMs) this.pending.delete(id);
  }
}

/**
 * Schedules a wake-up of the release at `due` unless one at or before it is pending here.
 * Returns whether a message was sent.
 */
export async function scheduleWakeup(
  deps: Pick<Deps, 'wakeups' | 'wakeupSchedule' | 'clock' | 'metrics'>,
  releaseId: string,
  due: Date,
  log: Logger,
  budgetMs = WAKEUP_SEND_BUDGET_MS,
  /** A release still pending (claimed by the webhook): where its record is. */
  repository?: string,
): Promise<boolean> {
  const schedule = deps.wakeupSchedule;
  const nowMs = deps.clock.now().getTime();
  if (schedule.downUntilMs > nowMs) return false;
  const pending = schedule.pending;
  const known = pending.get(releaseId);
  if (known !== undefined && known > nowMs && known <= due.getTime()) return false;
  pending.set(releaseId, due.getTime());
  schedule.prune(nowMs);
  try {
    const delay = visibilitySeconds(due, new Date(nowMs));
    const wakeup = { releaseId, due: due.toISOString(), ...(repository ? { repository } : {}) };
    await deps.wakeups.send(wakeup, delay, AbortSignal.timeout(budgetMs));
    return true;
  } catch (err) {
    if (pending.get(releaseId) === due.getTime()) pending.delete(releaseId);
    schedule.downUntilMs = deps.clock.now().getTime() + QUEUE_DOWN_MS;
    log.warn('wakeup.send-failed', {
      releaseId,
      due: due.toISOString(),
      error: errorMessage(err),
      reason: `the timer advances the release instead; no sends from this process for ${QUEUE_DOWN_MS / 1000} s`,
    });
    deps.metrics.operationError({ operation: 'wakeup-send' });
    return false;
  }
}

/**
 * After a reconcile: wake the release when its earliest unfinished rollout is due. A full run
 * that left something overdue (a storage error, a lost race) waits OVERDUE_FLOOR_MS; a limited
 * run (the webhook's nudge, which checks no replica) wakes at once for what it left undone.
 */
export async function wakeWhenDue(
  deps: Pick<Deps, 'wakeups' | 'wakeupSchedule' | 'clock' | 'metrics'>,
  releaseId: string,
  rollouts: readonly RegionRollout[],
  log: Logger,
  opts: { limited: boolean },
): Promise<void> {
  const now = deps.clock.now();
  const floor = new Date(now.getTime() + (opts.limited ? 0 : OVERDUE_FLOOR_MS));
  const due = nextDue(rollouts, floor);
  if (due) await scheduleWakeup(deps, releaseId, due, log);
}
