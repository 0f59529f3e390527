// The one race against a deadline: what the webhook answer and the operator's nudge must not
// wait past. A signal asks the work to stop; this belt answers in time whatever the work does.
import { setMaxListeners } from 'node:events';

/** What the answer may wait past a nudge budget: the reconcile stops claiming at the budget. */
export const NUDGE_GRACE_MS = 500;

/** work's value, or late()'s when work has not settled within ms; the timer never outlives it. */
export async function settleWithin<T, L>(work: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<L>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs work under one budget signal (every call in it listens on it), and says 'late' when it has
 * not finished NUDGE_GRACE_MS after the budget: what did not finish then is the timer's.
 */
export function nudgeWithin(
  budgetMs: number,
  work: (signal: AbortSignal) => Promise<unknown>,
): Promise<'done' | 'late'> {
  const budget = AbortSignal.timeout(budgetMs);
  setMaxListeners(0, budget);
  const done = work(budget).then(() => 'done' as const);
  return settleWithin(done, budgetMs + NUDGE_GRACE_MS, () => 'late' as const);
}
