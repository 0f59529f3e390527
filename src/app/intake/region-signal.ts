// A regional delivery's readiness signal ("this region's replica holds the digest"), written at
// most once per delivery: by the planning when it must know whether the region reported the
// digest before, inside the pending release of a claim (written out with the release), or by
// the webhook after planning. One write, never two: each is a table operation of the answer.
import type { ReadinessSignal, RolloutStore } from '../../core/model';

export class RegionSignal {
  private written: Promise<'created' | 'duplicate'> | undefined;
  private inPending = false;

  constructor(
    private readonly store: RolloutStore,
    readonly signal: ReadinessSignal,
  ) {}

  /** Writes it (once): 'created' the first time this region reports the digest. */
  write(): Promise<'created' | 'duplicate'> {
    this.written ??= this.store.recordSignal(this.signal);
    return this.written;
  }

  /** The signal, when it is still unwritten and may travel in a pending release instead. */
  carriable(): ReadinessSignal | undefined {
    return this.written || this.inPending ? undefined : this.signal;
  }

  /** The claim that carried it committed: the release's writing-out records it. */
  carried(): void {
    this.inPending = true;
  }

  /** Writes it unless it was written or carried; the result when this call wrote it. */
  async settle(): Promise<'created' | 'duplicate' | 'carried'> {
    if (this.inPending) return 'carried';
    return this.write();
  }
}
