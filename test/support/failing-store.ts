// A RolloutStore that forwards every call to a real store and fails chosen calls on demand, as a
// storage outage would (it wraps the port; our modules' logic runs unchanged): commitRegion calls
// by a predicate on the rollout, or the next calls of any other method.
import type { RegionRollout } from '../../src/core/model/records';
import type { RolloutStore } from '../../src/core/model/store';
import type { CommitResult } from '../../src/core/rollout/store';

export class StorageDownError extends Error {
  constructor(
    readonly call: number,
    method = 'commitRegion',
  ) {
    super(`storage unavailable (injected failure of ${method} call ${call})`);
    this.name = 'StorageDownError';
  }
}

export interface FailingStore {
  store: RolloutStore;
  /** Fail the next `times` commitRegion calls for which `when` holds (default: every call). */
  failCommits(times: number, when?: (rollout: RegionRollout) => boolean): void;
  /** Fail the next `times` calls of `method` (any method but commitRegion). */
  failCalls(method: Exclude<keyof RolloutStore, 'commitRegion'>, times: number): void;
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
  const failing = new Map<string, number>();
  const methodCalls = new Map<string, number>();
  const commitRegion = async (...args: Parameters<RolloutStore['commitRegion']>): Promise<CommitResult> => {
    calls++;
    if (remaining > 0 && match(args[0])) {
      remaining--;
      failed++;
      const ready = waiters.filter((w) => failed >= w.n);
      waiters = waiters.filter((w) => failed < w.n);
      for (const w of ready) w.resolve();
      throw new StorageDownError(calls);
    }
    return inner.commitRegion(...args);
  };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commitRegion') return commitRegion;
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      const name = String(prop);
      return (...a: unknown[]) => {
        const n = (methodCalls.get(name) ?? 0) + 1;
        methodCalls.set(name, n);
        const left = failing.get(name) ?? 0;
        if (left > 0) {
          failing.set(name, left - 1);
          return Promise.reject(new StorageDownError(n, name));
        }
        return fn(...a);
      };
    },
  });
  return {
    store,
    failCommits(times, when = () => true) {
      remaining = times;
      match = when;
    },
    failCalls(method, times) {
      failing.set(method, times);
    },
    commits: () => ({ calls, failed, pendingFailures: remaining }),
    whenFailed: (n) =>
      failed >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
  };
}
