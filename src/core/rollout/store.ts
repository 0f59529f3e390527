// The rollout's ports: each region's rollouts of each release, committed ETag-guarded together
// with the region's ledger entries, and the ledger itself (what runs where).
import type { LedgerEntry, RegionGate, RegionRollout } from '../model';
import type { OutboxEntry } from '../notify';

/** A region commit; on success the rollout's new ETag, so the caller need not read it back. */
export type CommitResult =
  | {
      outcome: 'ok';
      etag?: string | undefined;
      /** With a gate guard: the region's new gate version (the next claim guards on it). */
      gateVersion?: string | undefined;
    }
  | { outcome: 'conflict' };

export interface CommitOptions {
  /**
   * A start's claim: the region's gate as read when the start was decided. The commit also
   * writes the gate guarded on that version, so a hold placed meanwhile fails it ('conflict')
   * and the caller re-reads and sees the hold; a hold placed after it finds the claim made.
   */
  gate?: Pick<RegionGate, 'version'> | undefined;
}

/** The region rollouts (one release in one region) and their commits. */
export interface RegionRolloutStore {
  getRollout(releaseId: string, region: string): Promise<RegionRollout | undefined>;
  listRollouts(releaseId: string, regions: readonly string[]): Promise<RegionRollout[]>;
  /**
   * Atomically writes one region rollout (ETag-guarded) and any ledger entries of the same region
   * (each ETag-guarded, or created when it has no etag), plus the transition's outbox rows (added
   * unless present), plus, for a claim, the region's gate guarded on its version. All or nothing.
   */
  commitRegion(
    rollout: RegionRollout,
    ledger: LedgerEntry[],
    outbox?: readonly OutboxEntry[],
    opts?: CommitOptions,
  ): Promise<CommitResult>;
}

/** Per (region, workload): the digest running there and the release that put it there. */
export interface LedgerStore {
  /** Written only by commitRegion, with the rollout that changes it. */
  listLedger(region: string): Promise<LedgerEntry[]>;
}
