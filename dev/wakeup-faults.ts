// Queue faults for the chaos suite, at the boundary where the app meets the queue (as the ACR
// simulator drops and duplicates webhooks): wake-ups lost (the send "succeeds" but nothing is
// queued), duplicated, or delayed past their due time; and, in the local queue trigger, messages
// whose every invocation fails (the host retries them maxDequeueCount times, then poisons them).
import type { PoisonedWakeup, Wakeup, WakeupPort } from '../src/core/model/ports';
import { seededRandom } from './prng';

export interface WakeupFaults {
  /** Share of sends silently lost. */
  dropRate?: number;
  /** Extra copies of each send that is not lost. */
  duplicates?: number;
  /** Extra visibility delay added to each send (s). */
  delaySeconds?: number;
}

export class FaultyWakeups implements WakeupPort {
  dropped = 0;
  duplicated = 0;
  private faultySends = 0;
  private readonly random: () => number;

  constructor(
    private readonly inner: WakeupPort,
    public faults: WakeupFaults = {},
    seed = 1,
  ) {
    this.random = seededRandom(seed);
  }

  async send(wakeup: Wakeup, delaySeconds: number, signal?: AbortSignal): Promise<void> {
    const f = this.faults;
    // The first send under faults is lost and the second duplicated, whatever the draws: a run
    // with few sends in its fault window (a busy machine) still exercises both faults.
    const forced = f.dropRate ? this.faultySends++ : -1;
    if (f.dropRate && (forced === 0 || (forced > 1 && this.random() < f.dropRate))) {
      this.dropped++;
      return;
    }
    const delay = delaySeconds + (f.delaySeconds ?? 0);
    for (let i = 0; i <= (f.duplicates ?? 0); i++) {
      await this.inner.send(wakeup, delay, signal);
      if (i > 0) this.duplicated++;
    }
  }

  poisoned(limit: number, signal?: AbortSignal): Promise<PoisonedWakeup[]> {
    return this.inner.poisoned(limit, signal);
  }
}

/** Fails every invocation of roughly `rate` of the messages (picked by message id), always. */
export function poisonSome(rate: number): (messageId: string) => boolean {
  return (messageId) => {
    let h = 2166136261;
    for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 16777619);
    return (h >>> 0) / 4294967296 < rate;
  };
}
