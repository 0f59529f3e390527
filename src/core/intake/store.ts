// The intake's ports: the webhook's audit log (deliveries), the regional readiness signals, the
// tag heads that tell a new push from a known one, and the releases the webhook claimed and has
// not written out yet (pending releases). Every write is create-if-absent or ETag-guarded.
import type { ReadinessSignal, Release, WriteResult } from '../model';

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
 * A release claimed with its tag head and not written out yet: the intake record, in the head's
 * partition (the same transaction as the claim), until the release, its rollouts and its active
 * entry exist (src/app/intake/pending-release.ts). Listed by the timer, so a lost wake-up or a
 * crash leaves it pending for at most one timer period.
 */
export interface PendingRelease {
  /** The release as it will be written (status active; regions = the targets' regions). */
  release: Release;
  /** region -> ledger keys, as planned at the claim. */
  targets: Record<string, string[]>;
  /** The announcing region's readiness signal, written with the release. */
  signal?: ReadinessSignal | undefined;
}

/** The webhook's audit log. */
export interface DeliveryStore {
  /** The audit record of a delivery (one point read), if any. */
  getDelivery(day: string, key: string): Promise<DeliveryRecord | undefined>;
  /** Creates the audit record; 'duplicate' when the same delivery was recorded before. */
  recordDelivery(
    delivery: DeliveryRecord,
  ): Promise<{ result: 'created' } | { result: 'duplicate'; existing: DeliveryRecord }>;
  /** Writes the outcome into an existing record (or creates it). */
  completeDelivery(delivery: DeliveryRecord): Promise<void>;
}

/** Regional webhooks saying "this region's replica holds the digest". */
export interface SignalStore {
  /** 'created' the first time a region reports (repository, digest); 'duplicate' afterwards. */
  recordSignal(signal: ReadinessSignal): Promise<'created' | 'duplicate'>;
  listSignals(repository: string, digest: string): Promise<ReadinessSignal[]>;
}

/** Per (repository, tag): its current release, the digests it carried, when watching began. */
export interface TagHeadStore {
  getTagHead(repository: string, tag: string): Promise<TagHead | undefined>;
  /** Create (no etag) or replace (etag) a tag head. */
  putTagHead(head: TagHead): Promise<WriteResult>;
  /** Remembers that a release of repository:tag carried digest (tells re-pushes from late replication). */
  recordTagDigest(repository: string, tag: string, digest: string, releaseId: string): Promise<void>;
  /**
   * putTagHead and recordTagDigest of the same head in one atomic write (one table round trip),
   * with the pending release when given (it is written out later).
   */
  claimTagHead(head: TagHead, pending?: PendingRelease): Promise<WriteResult>;
  getTagDigestRelease(repository: string, tag: string, digest: string): Promise<string | undefined>;
  /** When the app first watched a repository (the scan never plans tags older than this). */
  setWatchStartIfAbsent(repository: string, at: string): Promise<string>;
}

/** The pending records a claim wrote (claimTagHead), until their release is written out. */
export interface PendingReleaseStore {
  /** The pending release of that id, if it is still pending. */
  getPendingRelease(repository: string, releaseId: string): Promise<PendingRelease | undefined>;
  /** Every release of the repository still pending (one query). */
  listPendingReleases(repository: string): Promise<PendingRelease[]>;
  /** Removes the pending record once its release is written (absent: nothing to do). */
  clearPendingRelease(repository: string, releaseId: string): Promise<void>;
}

/** Everything the intake keeps of its own. */
export type IntakeStore = DeliveryStore & SignalStore & TagHeadStore & PendingReleaseStore;
