// A RolloutStore that forwards every call to a real store and holds a chosen call at the port
// until the test lets it go (it wraps the port; our modules' logic runs unchanged), so a race
// between two use cases is driven step by step: no timing, every step an explicit promise.
import type { RolloutStore } from '../../src/core/model/store';

type Method = {
  [K in keyof RolloutStore]: RolloutStore[K] extends (...a: never[]) => unknown ? K : never;
}[keyof RolloutStore];

export interface PausedCall {
  /** Resolves when the call arrived (it has not reached the store yet). */
  reached: Promise<void>;
  /** Lets the call through to the store. */
  release(): void;
}

export interface PausingStore {
  store: RolloutStore;
  /** Holds the next call of `method` whose arguments `when` accepts (default: the next call). */
  pauseNext<M extends Method>(
    method: M,
    when?: (...args: Parameters<RolloutStore[M]>) => boolean,
  ): PausedCall;
}

interface Pause {
  method: string;
  when: (...args: never[]) => boolean;
  arrived: () => void;
  gate: Promise<void>;
}

export function pausingStore(inner: RolloutStore): PausingStore {
  const pauses: Pause[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const fn = (v as (...a: unknown[]) => unknown).bind(target);
      return async (...a: never[]) => {
        const i = pauses.findIndex((p) => p.method === prop && p.when(...a));
        const pause = i >= 0 ? pauses.splice(i, 1)[0] : undefined;
        if (pause) {
          pause.arrived();
          await pause.gate;
        }
        return fn(...a);
      };
    },
  });
  return {
    store,
    pauseNext(method, when = () => true) {
      let arrived!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (arrived = r));
      const gate = new Promise<void>((r) => (release = r));
      pauses.push({ method, when: when as (...args: never[]) => boolean, arrived, gate });
      return { reached, release };
    },
  };
}
