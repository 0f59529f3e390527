// Shared by the status tests: bounded polling of the app's own JSON API (never timed assertions).
import type { Stack } from '../../dev/stack';
import type { ReleasesPageView } from '../../src/app/status/releases';
import type { ReleaseSummaryView } from '../../src/app/status/views';
import { isTerminal } from '../../src/core/model/records';

export { quietTimerStep } from '../support/quiet-steps';

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  /** Runs before each probe (e.g. one step of the timers when the test drives them). */
  step?: () => Promise<void>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (step) await step();
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function releaseOf(stack: Stack, digest: string): Promise<ReleaseSummaryView | undefined> {
  const page = await stack.api<ReleasesPageView>('/api/releases?limit=100');
  return page.releases.find((r) => r.digest === digest);
}

/** Waits until the release of `digest` has a rollout in `region` that satisfies `ok`. */
export function rolloutReaches(
  stack: Stack,
  digest: string,
  region: string,
  ok: (state: string) => boolean,
  what: string,
  step?: () => Promise<void>,
): Promise<ReleaseSummaryView> {
  return until(
    `${region} of ${digest.slice(7, 19)} ${what}`,
    async () => {
      const rel = await releaseOf(stack, digest);
      const state = rel?.rollouts.find((r) => r.region === region)?.state;
      return rel && state !== undefined && ok(state) ? rel : undefined;
    },
    60_000,
    step,
  );
}

/** Waits until every region of the release of `digest` is terminal and the release is done. */
export function releaseDone(
  stack: Stack,
  digest: string,
  step?: () => Promise<void>,
): Promise<ReleaseSummaryView> {
  return until(
    `release ${digest.slice(7, 19)} to finish`,
    async () => {
      const rel = await releaseOf(stack, digest);
      return rel &&
        rel.status === 'done' &&
        rel.rollouts.length === rel.regions.length &&
        rel.rollouts.every((r) => isTerminal(r.state))
        ? rel
        : undefined;
    },
    60_000,
    step,
  );
}
