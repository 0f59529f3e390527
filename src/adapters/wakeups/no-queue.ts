// The wake-up port when the storage names no queue endpoint (a table-only emulator, an identity
// without ROLLOUT_STORAGE__queueServiceUri): every wake-up is dropped and nothing is ever
// poisoned, so the timer alone advances releases.
import type { PoisonedWakeup, WakeupPort } from '../../core/model';

export const noWakeQueue: WakeupPort = {
  send: () => Promise.resolve(),
  poisoned: (): Promise<PoisonedWakeup[]> => Promise.resolve([]),
};
