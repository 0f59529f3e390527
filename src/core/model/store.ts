// The persistence ports shared by the capabilities (releases, the region gate, row errors) and
// the whole store the composition root builds. Each capability's own port is in its core folder
// (core/intake/store.ts, core/rollout/store.ts, core/operator/store.ts, core/notify/outbox.ts);
// a use case takes the narrowest port it needs. Every state change is guarded by an ETag: a write
// that lost a race returns 'conflict' and the caller re-reads and re-decides (never a blind
// overwrite). Reads throw CorruptRecordError for a row that fails validation; nothing is defaulted.
import type { RegionRollout, Release, ReleaseStuck } from './records';
import type { IntakeStore, PendingReleaseStore } from '../intake';
import type { Hold, OperatorStore } from '../operator';
import type { LedgerStore, RegionRolloutStore } from '../rollout';
import type { OutboxEntry } from '../notify';

/** A verification outcome recorded on an existing release. */
export type VerificationUpdate = Required<Pick<Release, 'verification'>> &
  Pick<Release, 'verifiedAt' | 'verificationReason'>;

/**
 * The table-name prefix: a letter, then letters and digits, at most 40 characters. Table names
 * are 3-63 letters and digits, and the longest suffix the store appends is `deliveries` (10),
 * so 40 leaves room (50) while staying short enough to read in the portal.
 */
export const TABLE_PREFIX_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,39}$/;

/** A compact copy of each active release, listed in one query by every reconcile run. */
export interface ActiveReleaseEntry {
  releaseId: string;
  repository: string;
  tag: string;
  digest: string;
  pushedAt: string;
  /** Release.version and Release.rollbackOf: what the release order of a workload reads. */
  version?: string | undefined;
  rollbackOf?: string | undefined;
  /** region -> ledger keys of the workloads the release targets there. */
  targets: Record<string, string[]>;
}

export interface ReleaseQuery {
  repository?: string | undefined;
  status?: 'active' | 'done' | undefined;
  limit: number;
  continuationToken?: string | undefined;
}

export interface ReleasePage {
  releases: Release[];
  continuationToken?: string | undefined;
}

export type WriteResult = 'ok' | 'conflict';

/**
 * A stored row that does not match its schema. Never turned into a default: a rollout whose
 * `workloads` or `state` cannot be read must stop that release, not pass as superseded or endless.
 */
export class CorruptRecordError extends Error {
  readonly table: string;
  readonly partitionKey: string;
  readonly rowKey: string;
  /** The first failing property (dotted path inside JSON values), e.g. `workloads` or `state`. */
  readonly field: string;
  constructor(where: {
    table: string;
    partitionKey: string;
    rowKey: string;
    field: string;
    problem: string;
  }) {
    super(
      `corrupt row in table ${where.table} (PartitionKey '${where.partitionKey}', RowKey '${where.rowKey}'): ` +
        `${where.field}: ${where.problem}`,
    );
    this.name = 'CorruptRecordError';
    this.table = where.table;
    this.partitionKey = where.partitionKey;
    this.rowKey = where.rowKey;
    this.field = where.field;
  }
}

/**
 * One region's operator holds as read, with the version of its gate: every hold placed there
 * changes the version (undefined: no hold was ever placed in the region). A start's claim guards
 * on the version (core/rollout/store.ts CommitOptions); holds change it (core/operator/store.ts).
 */
export interface RegionGate {
  holds: Hold[];
  version: string | undefined;
}

/** The releases: written by the intake (and a rollback), advanced and ended by the reconciler. */
export interface ReleaseStore {
  /**
   * Idempotent: creates whichever of the rollouts, the active entry and the release are missing,
   * in that order, so an existing release implies the rest exists too.
   */
  ensureRelease(release: Release, rollouts: RegionRollout[], active: ActiveReleaseEntry): Promise<void>;
  getRelease(id: string): Promise<Release | undefined>;
  /**
   * The completion and the release's notifications, one ETag-guarded write, then its active entry
   * removed. 'conflict' (nothing written) when a retry counted since the caller read the release:
   * its retrySeq is the one the caller read before its rollouts. A release already done is left
   * as it is ('ok'). The entry is removed only if unchanged since before the completion, so an
   * entry a retry wrote back after it stays.
   */
  markReleaseDone(
    release: Pick<Release, 'id' | 'repository' | 'retrySeq'>,
    completedAt: string,
    outbox?: readonly OutboxEntry[],
  ): Promise<WriteResult>;
  /** Records what the registry said about the release's push (a merge of those fields only). */
  recordVerification(release: Pick<Release, 'id'>, update: VerificationUpdate): Promise<void>;
  /** Shows the release as stuck (its wake-up was poisoned); a missing release is ignored. */
  markReleaseStuck(releaseId: string, stuck: ReleaseStuck): Promise<void>;
  /**
   * Every active release, or only those of one repository (what supersession can involve).
   * A corrupt entry throws CorruptRecordError, unless onCorrupt is given: then that entry is left
   * out and reported to onCorrupt (the timer run uses this to carry on with the other releases).
   */
  listActiveReleases(
    repository?: string,
    onCorrupt?: (err: CorruptRecordError) => void,
  ): Promise<ActiveReleaseEntry[]>;
  listReleases(query: ReleaseQuery): Promise<ReleasePage>;
}

/** What the status API reads: releases, their rollouts, the ledger, a release still pending. */
export type StatusStore = Pick<ReleaseStore, 'getRelease' | 'listReleases'> &
  Pick<RegionRolloutStore, 'listRollouts'> &
  LedgerStore &
  Pick<PendingReleaseStore, 'getPendingRelease'>;

/** The whole store: every capability's port, as the composition root builds it. */
export type RolloutStore = IntakeStore & ReleaseStore & RegionRolloutStore & LedgerStore & OperatorStore;
