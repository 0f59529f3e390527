// The timer's look at the poison queue: a wake-up that failed maxDequeueCount times was moved
// there by the host. Each such release is logged (`wakeup.poisoned`, an error) and shown as stuck
// in the status API (`stuck: {reason, at}`); the timer itself keeps advancing it. Peeked, never
// removed: an operator reads and clears the poison queue.
import type { ReleaseStore } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';

export const POISONED_REASON = 'wake-up poisoned';
/** Poison messages read per run (one peek). */
const PEEK_LIMIT = 32;

export async function reportPoisoned(
  deps: Deps<Pick<ReleaseStore, 'getRelease' | 'markReleaseStuck'>>,
  log: Logger,
  signal?: AbortSignal,
): Promise<number> {
  let poisoned;
  try {
    poisoned = await deps.wakeups.poisoned(PEEK_LIMIT, signal);
  } catch (err) {
    log.warn('wakeup.poison-peek-failed', { error: errorMessage(err) });
    deps.metrics.operationError({ operation: 'wakeup-poison-peek' });
    return 0;
  }
  const byRelease = new Map<string, string>();
  for (const p of poisoned) if (!byRelease.has(p.releaseId)) byRelease.set(p.releaseId, p.at);
  for (const [releaseId, at] of byRelease) {
    const release = await deps.store.getRelease(releaseId);
    log.error('wakeup.poisoned', {
      releaseId,
      at,
      repository: release?.repository,
      tag: release?.tag,
      digest: release?.digest,
      reason: 'a wake-up failed maxDequeueCount (5) times and sits in the poison queue',
    });
    if (release && release.stuck?.at !== at)
      await deps.store.markReleaseStuck(releaseId, { reason: POISONED_REASON, at });
  }
  return byRelease.size;
}
