// The webhook's nudge: after the answer's record, run the reconciler for the releases a delivery
// claimed, within what is left of the answer's budget; what does not finish is the timer's, and
// a claimed release the nudge did not write out gets its queue wake-up now.
import type { Deps } from '../platform';
import { errorMessage, nudgeWithin, type Logger } from '../platform';
import { reconcileRelease } from '../rollout';
import { scheduleWakeup } from '../wakeups';
import type { Processed } from './apply-registry-event';
import { writeOutRelease } from './pending-release';

/**
 * The nudge's budget for these releases: the registry check spent part of the answer's time, the
 * nudge gets what is left; 0 = no nudge (the queue advances them at once); -1 = nothing to advance.
 */
export function nudgeBudgetOf(deps: Pick<Deps, 'config'>, processed: Processed): number {
  if (processed.releases.length === 0) return -1;
  const { nudgeBudgetMs } = deps.config;
  const left = nudgeBudgetMs - processed.verifyMs;
  return nudgeBudgetMs > 0 && left > 0 ? left : 0;
}

/** A wake-up now for each release; a pending one's names its repository (where its record is). */
export async function wakeNow(
  deps: Deps,
  processed: Pick<Processed, 'releases' | 'pending'>,
  log: Logger,
): Promise<void> {
  const now = deps.clock.now();
  await Promise.all(
    processed.releases.map((id) =>
      scheduleWakeup(deps, id, now, log, undefined, pendingOf(processed, id)?.release.repository),
    ),
  );
}

const pendingOf = (processed: Pick<Processed, 'pending'>, id: string) =>
  processed.pending?.release.id === id ? processed.pending : undefined;

/**
 * Run the reconciler for these releases now; what does not finish in the budget is the timer's.
 * A regional delivery speaks for its own region, so only that region is advanced: the other
 * regions announce themselves by their own webhooks (the timer checks those that stay silent,
 * and starts later waves when earlier ones finish). A delivery without a region checks them all.
 */
export async function nudgeDelivery(
  deps: Deps,
  processed: Pick<Processed, 'releases' | 'pending'>,
  log: Logger,
  region: string | undefined,
  budgetMs: number,
): Promise<void> {
  let written = processed.pending === undefined;
  const one = async (id: string, budget: AbortSignal): Promise<void> => {
    try {
      // The release this delivery claimed is written out first (the answer did not wait for it).
      const pending = pendingOf(processed, id);
      if (pending) {
        await writeOutRelease(deps, { claimed: pending });
        written = true;
      }
      await reconcileRelease(deps, id, log, {
        signal: budget,
        checkReplicas: region === undefined,
        onlyRegions: region === undefined ? undefined : [region],
      });
    } catch (err) {
      log.warn('nudge.error', { releaseId: id, error: errorMessage(err) });
      deps.metrics.operationError({ operation: 'webhook-nudge' });
    }
  };
  const first = await nudgeWithin(budgetMs, (budget) =>
    Promise.all(processed.releases.map((id) => one(id, budget))),
  );
  if (first === 'late') log.info('nudge.deferred', { reason: 'budget spent; the timer continues' });
  // Not written out (an error, the budget): the queue does it now, the timer if the queue is down.
  if (!written) await wakeNow(deps, processed, log);
}
