// The operator's ports: holds, rejected digests, the audit trail, and the amendments an action
// makes to a release (src/core/operator/controls.ts decides them).
import type { ActiveReleaseEntry, RegionGate, Release } from '../model';
import type { OutboxEntry } from '../notify';
import type { AuditEntry, Hold, Rejection } from './controls';

/** What an action's audit entry says once the action is done (it was written first, `pending`). */
export type AuditCompletion = Pick<AuditEntry, 'outcome' | 'detail'>;

/** The release fields an operator action changes (src/core/operator/controls.ts). */
export type ReleaseAmendment = Partial<
  Pick<
    Release,
    | 'paused'
    | 'pausedBy'
    | 'pausedAt'
    | 'pauseReason'
    | 'pauseSeq'
    | 'retrySeq'
    | 'approvedWaves'
    | 'rejection'
    | 'status'
    | 'completedAt'
  >
>;

export interface AuditAppendOptions {
  /** The entry's row key (src/core/operator/controls.ts auditRowKey); drawn by the store when absent. */
  key?: string | undefined;
  /** action.performed rows (scope audit), written in one transaction with the entry. */
  outbox?: readonly OutboxEntry[] | undefined;
}

/** Outcome of placing a hold: one hold per scope (a region, or one workload in it). */
export type HoldPlacement = { created: true } | { created: false; existing: Hold };

export interface AuditPage {
  entries: AuditEntry[];
  continuationToken?: string | undefined;
}

/** Holds, and each region's gate (what a start's claim guards on). */
export interface HoldStore {
  /** Creates the hold unless its scope is held already: then the hold that holds it. */
  putHold(hold: Hold): Promise<HoldPlacement>;
  /** The holds of these regions, oldest first. */
  listHolds(regions: readonly string[]): Promise<Hold[]>;
  /** One region's holds and its gate version, in one read (what a start's claim is decided on). */
  readGate(region: string): Promise<RegionGate>;
  /** Lifts the hold if it still stands (same id at its scope); false when it was not there. */
  deleteHold(hold: Pick<Hold, 'id' | 'region' | 'workload'>): Promise<boolean>;
}

/** Digests an operator rejected for a repository. */
export interface RejectionStore {
  putRejection(rejection: Rejection): Promise<'created' | 'duplicate'>;
  getRejection(repository: string, digest: string): Promise<Rejection | undefined>;
  listRejections(): Promise<Rejection[]>;
  deleteRejection(repository: string, digest: string): Promise<Rejection | undefined>;
}

/** The audit trail of operator actions. */
export interface AuditStore {
  appendAudit(entry: AuditEntry, opts?: AuditAppendOptions): Promise<void>;
  /** Fills in the outcome of the entry at `key`, with its action.performed rows in one transaction. */
  completeAudit(key: string, completion: AuditCompletion, outbox?: readonly OutboxEntry[]): Promise<void>;
  /** Newest first. */
  listAudit(query: { limit: number; continuationToken?: string | undefined }): Promise<AuditPage>;
}

/** An operator's change of a release. */
export interface ReleaseAmendStore {
  /**
   * Read, change, write back ETag-guarded (a lost race re-reads and re-applies). `change` returns
   * the fields to set (a key set to undefined removes that field), or undefined to leave it;
   * the result is the release as written (or as found), undefined when there is none.
   */
  amendRelease(
    id: string,
    change: (r: Release) => ReleaseAmendment | undefined,
  ): Promise<Release | undefined>;
  /**
   * A retry's reactivation, before it resets any region: the release active, its retrySeq
   * counted (ETag-guarded, so a completion decided before it fails), then its active entry written
   * anew (a completion that read the entry before leaves it). Undefined when there is no release.
   */
  reopenRelease(id: string, active: ActiveReleaseEntry): Promise<Release | undefined>;
}

/** Operator state: holds, rejections, the audit trail, and amendments of a release. */
export type OperatorStore = HoldStore & RejectionStore & AuditStore & ReleaseAmendStore;
