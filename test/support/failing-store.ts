// A RolloutStore that forwards every call to a real store and fails chosen commitRegion calls on
// demand, as a storage outage would (it wraps the port; our modules' logic runs unchanged).
import type { LedgerEntry, RegionRollout } from '../../src/core/model';
import type { CommitResult, RolloutStore } from '../../src/core/store';

export class StorageDownError extends Error {
  constructor(readonly call: number) {
    super(`storage unavailable (injected failure of commitRegion call ${call})`);
    this.name = 'StorageDownError';
  }
}

export interface FailingStore {
  store: RolloutStore;
  /** Fail the next `times` commitRegion calls for which `when` holds (default: every call). */
  failCommits(times: number, when?: (rollout: RegionRollout) => boolean): void;
  /** commitRegion calls so far, and how many of them failed. */
  commits(): { calls: number; failed: number; pendingFailures: number };
  /** Resolves once `n` commits have failed in total (an explicit signal, not a pause). */
  whenFailed(n: number): Promise<void>;
}

export function failingStore(inner: RolloutStore): FailingStore {
  let calls = 0;
  let failed = 0;
  let remaining = 0;
  let match: (rollout: RegionRollout) => boolean = () => true;
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  const commitRegion = async (rollout: RegionRollout, ledger: LedgerEntry[]): Promise<CommitResult> => {
    calls++;
    if (remaining > 0 && match(rollout)) {
      remaining--;
      failed++;
      const ready = waiters.filter((w) => failed >= w.n);
      waiters = waiters.filter((w) => failed < w.n);
      for (const w of ready) w.resolve();
      throw new StorageDownError(calls);
    }
    return inner.commitRegion(rollout, ledger);
  };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commitRegion') return commitRegion;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    store,
    failCommits(times, when = () => true) {
      remaining = times;
      match = when;
    },
    commits: () => ({ calls, failed, pendingFailures: remaining }),
    whenFailed: (n) =>
      failed >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}
