// The queue wake-up use case: a message {releaseId, due[, repository]} arrived (at its due time);
// write the release out if the webhook left it pending, then reconcile that one release with the
// full checks, exactly as the timer would. A wake-up for a release that
// is gone or finished does nothing; an early or duplicate one changes nothing (the reconciler
// writes only what it decides, ETag-guarded). A malformed message is logged and dropped: retrying
// it cannot help. A storage failure throws, so the host retries the message and, after
// maxDequeueCount tries, moves it to the poison queue (the timer then reports the release stuck).
import { parseWakeup } from '../../core/wakeups';
import type { Deps, Logger } from '../platform';
import { writeOutRelease } from '../intake';
import { reconcileRelease } from '../rollout';

export interface WakeupResult {
  outcome: 'invalid' | 'missing' | 'finished' | 'advanced';
  releaseId?: string | undefined;
  transitions?: number | undefined;
}

/** Time one wake-up may spend (well inside the host's functionTimeout). */
const WAKEUP_BUDGET_MS = 60_000;

export async function advanceOnWakeup(
  deps: Deps,
  message: unknown,
  log: Logger,
  meta: { dequeueCount?: number | undefined } = {},
): Promise<WakeupResult> {
  const parsed = parseWakeup(message);
  if (!parsed.ok) {
    log.warn('wakeup.invalid', { problem: parsed.problem });
    return { outcome: 'invalid' };
  }
  const { releaseId, due, repository } = parsed.wakeup;
  const wlog = log.with({ releaseId });
  // The webhook's first wake-up of a release it claimed (it names the repository of the pending
  // record): written out here if nobody did yet.
  const found = await writeOutRelease(deps, { releaseId, repositories: repository ? [repository] : [] });
  const release = found?.release;
  if (!release) return { outcome: 'missing', releaseId };
  if (release.status === 'done') return { outcome: 'finished', releaseId };
  const lateMs = deps.clock.now().getTime() - Date.parse(due);
  const outcome = await reconcileRelease(deps, releaseId, wlog, {
    signal: AbortSignal.timeout(WAKEUP_BUDGET_MS),
  });
  // One line per wake-up: how late it ran against its due time (the queue's promptness).
  wlog.info('wakeup.advanced', {
    due,
    lateMs,
    transitions: outcome.transitions,
    dequeueCount: meta.dequeueCount,
  });
  return { outcome: 'advanced', releaseId, transitions: outcome.transitions };
}
