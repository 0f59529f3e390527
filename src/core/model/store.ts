// The persistence port. Every state change is guarded by an ETag: a write that lost a race
// returns 'conflict' and the caller re-reads and re-decides (never a blind overwrite).
import type { LedgerEntry, ReadinessSignal, RegionRollout, Release, ReleaseStuck } from './records';
import type { AuditEntry, Hold, Rejection } from '../operator';
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

/** One webhook call as received (the audit log). Never holds headers or secrets. */
export interface DeliveryRecord {
  /** Deterministic dedupe key of the delivery (region + event id + what it names). */
  key: string;
  /** Partition of the audit log: the event's day (yyyy-mm-dd). */
  day: string;
  region?: string | undefined;
  eventId: string;
  action: string;
  repository?: string | undefined;
  tag?: string | undefined;
  digest?: string | undefined;
  mediaType?: string | undefined;
  eventAt?: string | undefined;
  receivedAt: string;
  /** Filled once processing finished; absent means a crash mid-way (re-processed on repeat). */
  /** rejected: the registry does not hold the push the delivery claims (nothing was planned). */
  outcome?: 'recorded' | 'ignored' | 'rejected' | undefined;
  reason?: string | undefined;
  releaseIds: string[];
  /** The body as received, truncated to fit a table property. */
  payload: string;
}

/** The current release of one (repository, tag): how "same push" is told from "new push". */
export interface TagHead {
  repository: string;
  tag: string;
  digest: string;
  releaseId: string;
  pushedAt: string;
  generation: number;
  /**
   * The digests this tag has carried, newest first (the current one included), at most
   * TAG_HISTORY_LIMIT: tells a late replication event of an earlier push from a new push without
   * reading the tag->digest row. Undefined on a head written before it was kept.
   */
  recentDigests?: string[] | undefined;
  /** Older digests were dropped from recentDigests (or never listed): a miss there needs the row. */
  digestsDropped?: boolean | undefined;
  /** The release was claimed unverified (the registry could not be asked): a later sighting may verify it. */
  unverified?: boolean | undefined;
  etag?: string | undefined;
}

/** How many digests a tag head remembers (about 26 KB of one 32K-character property). */
export const TAG_HISTORY_LIMIT = 400;

/**
 * A release the webhook claimed with its tag head and has not written out yet: the intake
 * record, in the head's partition (the same transaction as the claim), until the release, its
 * rollouts and its active entry exist (src/app/intake/write-out-release.ts). Listed by the timer, so a
 * lost wake-up or a crash leaves it pending for at most one timer period.
 */
export interface PendingRelease {
  /** The release as it will be written (status active; regions = the targets' regions). */
  release: Release;
  /** region -> ledger keys, as planned at the claim. */
  targets: Record<string, string[]>;
  /** The announcing region's readiness signal, written with the release. */
  signal?: ReadinessSignal | undefined;
}

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

/** A region commit; on success the rollout's new ETag, so the caller need not read it back. */
export type CommitResult =
  | {
      outcome: 'ok';
      etag?: string | undefined;
      /** With a gate guard: the region's new gate version (the next claim guards on it). */
      gateVersion?: string | undefined;
    }
  | { outcome: 'conflict' };

/**
 * One region's operator holds as read, with the version of its gate: every hold placed there
 * changes the version (undefined: no hold was ever placed in the region).
 */
export interface RegionGate {
  holds: Hold[];
  version: string | undefined;
}

export interface CommitOptions {
  /**
   * A start's claim: the region's gate as read when the start was decided. The commit also
   * writes the gate guarded on that version, so a hold placed meanwhile fails it ('conflict')
   * and the caller re-reads and sees the hold; a hold placed after it finds the claim made.
   */
  gate?: Pick<RegionGate, 'version'> | undefined;
}

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

/** Operator state: holds, rejections, the audit trail, and amendments of a release. */
export interface OperatorStore {
  /**
   * Read, change, write back ETag-guarded (a lost race re-reads and re-applies). `change` returns
   * the fields to set (a key set to undefined removes that field), or undefined to leave it;
   * the result is the release as written (or as found), undefined when there is none.
   */
  amendRelease(
    id: string,
    change: (r: Release) => ReleaseAmendment | undefined,
  ): Promise<Release | undefined>;
  /** Creates the hold unless its scope is held already: then the hold that holds it. */
  putHold(hold: Hold): Promise<HoldPlacement>;
  /** The holds of these regions, oldest first. */
  listHolds(regions: readonly string[]): Promise<Hold[]>;
  /** One region's holds and its gate version, in one read (what a start's claim is decided on). */
  readGate(region: string): Promise<RegionGate>;
  /** Lifts the hold if it still stands (same id at its scope); false when it was not there. */
  deleteHold(hold: Pick<Hold, 'id' | 'region' | 'workload'>): Promise<boolean>;
  putRejection(rejection: Rejection): Promise<'created' | 'duplicate'>;
  getRejection(repository: string, digest: string): Promise<Rejection | undefined>;
  listRejections(): Promise<Rejection[]>;
  deleteRejection(repository: string, digest: string): Promise<Rejection | undefined>;
  appendAudit(entry: AuditEntry, opts?: AuditAppendOptions): Promise<void>;
  /** Fills in the outcome of the entry at `key`, with its action.performed rows in one transaction. */
  completeAudit(key: string, completion: AuditCompletion, outbox?: readonly OutboxEntry[]): Promise<void>;
  /** Newest first. */
  listAudit(query: { limit: number; continuationToken?: string | undefined }): Promise<AuditPage>;
}

/** Reads throw CorruptRecordError for a row that fails validation; nothing is defaulted. */
export interface RolloutStore extends OperatorStore {
  /** The audit record of a delivery (one point read), if any. */
  getDelivery(day: string, key: string): Promise<DeliveryRecord | undefined>;
  /** Creates the audit record; 'duplicate' when the same delivery was recorded before. */
  recordDelivery(
    delivery: DeliveryRecord,
  ): Promise<{ result: 'created' } | { result: 'duplicate'; existing: DeliveryRecord }>;
  /** Writes the outcome into an existing record (or creates it). */
  completeDelivery(delivery: DeliveryRecord): Promise<void>;

  /** 'created' the first time a region reports (repository, digest); 'duplicate' afterwards. */
  recordSignal(signal: ReadinessSignal): Promise<'created' | 'duplicate'>;
  listSignals(repository: string, digest: string): Promise<ReadinessSignal[]>;

  getTagHead(repository: string, tag: string): Promise<TagHead | undefined>;
  /** Create (no etag) or replace (etag) a tag head. */
  putTagHead(head: TagHead): Promise<WriteResult>;

  /** Remembers that a release of repository:tag carried digest (tells re-pushes from late replication). */
  recordTagDigest(repository: string, tag: string, digest: string, releaseId: string): Promise<void>;
  /**
   * putTagHead and recordTagDigest of the same head in one atomic write (one table round trip),
   * with the pending release when given (the webhook's claim; it is written out later).
   */
  claimTagHead(head: TagHead, pending?: PendingRelease): Promise<WriteResult>;
  /** The pending release of that id, if it is still pending. */
  getPendingRelease(repository: string, releaseId: string): Promise<PendingRelease | undefined>;
  /** Every release of the repository still pending (one query). */
  listPendingReleases(repository: string): Promise<PendingRelease[]>;
  /** Removes the pending record once its release is written (absent: nothing to do). */
  clearPendingRelease(repository: string, releaseId: string): Promise<void>;
  getTagDigestRelease(repository: string, tag: string, digest: string): Promise<string | undefined>;

  /** When the app first watched a repository (the scan never plans tags older than this). */
  setWatchStartIfAbsent(repository: string, at: string): Promise<string>;

  /**
   * Idempotent: creates whichever of the rollouts, the active entry and the release are missing,
   * in that order, so an existing release implies the rest exists too.
   */
  ensureRelease(release: Release, rollouts: RegionRollout[], active: ActiveReleaseEntry): Promise<void>;
  getRelease(id: string): Promise<Release | undefined>;
  /** With outbox rows: one ETag-guarded write of the completion and the release's notifications. */
  markReleaseDone(
    release: Pick<Release, 'id' | 'repository'>,
    completedAt: string,
    outbox?: readonly OutboxEntry[],
  ): Promise<void>;
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
  listReleases(query: {
    repository?: string | undefined;
    status?: 'active' | 'done' | undefined;
    limit: number;
    continuationToken?: string | undefined;
  }): Promise<ReleasePage>;

  getRollout(releaseId: string, region: string): Promise<RegionRollout | undefined>;
  listRollouts(releaseId: string, regions: readonly string[]): Promise<RegionRollout[]>;
  listLedger(region: string): Promise<LedgerEntry[]>;

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
