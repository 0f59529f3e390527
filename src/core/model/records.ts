// Domain records. Times are ISO-8601 strings (UTC) so records survive Table Storage unchanged.
import type { WorkloadKind } from './names';
import type { VersionPolicySettings } from './versions';
import type { ReasonCode } from '../rollout';

/** One configured workload: a container of a Kubernetes object fed by one repository. */
export interface Workload extends VersionPolicySettings {
  repository: string;
  /** Tag globs (`*`, `?`) that select which pushes roll out to this workload. */
  tags: string[];
  namespace: string;
  kind: WorkloadKind;
  name: string;
  container: string;
  /** Regions this workload runs in; undefined means every configured region. */
  regions?: string[] | undefined;
}

/** Stable identity of a workload inside one cluster, used as ledger key. */
export function workloadKey(w: Pick<Workload, 'namespace' | 'kind' | 'name' | 'container'>): string {
  return `${w.namespace}/${w.kind}/${w.name}/${w.container}`;
}

export interface RegionConfig {
  name: string;
  wave: number;
  /** AKS managed cluster resource id. */
  cluster: string;
  /** How the product reaches the cluster: its Kubernetes API (default) or AKS Run Command. */
  access?: RegionAccess | undefined;
  /** kubernetes-api: accept a local-accounts (admin-equivalent) kubeconfig user (default false). */
  allowLocalAccounts?: boolean | undefined;
}

export const REGION_ACCESS_MODES = ['kubernetes-api', 'run-command'] as const;
export type RegionAccess = (typeof REGION_ACCESS_MODES)[number];

export interface RolloutPolicy {
  replicationTimeoutSeconds: number;
  rolloutTimeoutSeconds: number;
  bakeSeconds: number;
  maxAttempts: number;
  continueOnFailure: boolean;
  /** First retry delay after a failed attempt; doubles per attempt, with jitter. */
  retryBaseSeconds: number;
  /** How often a waiting region re-checks its replica when no webhook came. */
  replicaCheckIntervalSeconds: number;
  /** How often a running rollout is polled. */
  rolloutPollIntervalSeconds: number;
  /**
   * What a region does after its rollout failed for good having changed the spec: `stop` leaves
   * it there (the ledger says so), `revert` puts it back on the ledger's last good release.
   */
  onFailure?: 'stop' | 'revert' | undefined;
  /** No progress this long while waiting or rolling out raises region.stuck (default 900). */
  stuckAfterSeconds?: number | undefined;
  /** Waves whose regions wait (awaiting-approval) until an operator approves that wave of the release. */
  approvalWaves?: readonly number[] | undefined;
  /**
   * kubernetes-api regions: a new-revision pod stuck in ImagePullBackOff, ErrImagePull,
   * CrashLoopBackOff or CreateContainerConfigError this long fails the attempt (default 120).
   */
  failFastSeconds?: number | undefined;
}

export const REGION_ROLLOUT_STATES = [
  'waiting-for-replica',
  'replica-ready',
  /** Replica ready, earlier waves done: waiting for an operator to approve this wave. */
  'awaiting-approval',
  'rolling-out',
  /** Failed for good; putting the workloads back on their last good release (onFailure revert). */
  'reverting',
  'succeeded',
  'failed',
  'superseded',
  /** Not rolled out: a higher version (order semver) runs or is pending here for every workload. */
  'skipped',
  'replication-timed-out',
  'halted',
  'dry-run',
  'rejected',
  /** Ended by an operator (cancel, reject) or by a rejection of the digest before it started. */
  'canceled',
] as const;
export type RegionRolloutState = (typeof REGION_ROLLOUT_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<RegionRolloutState> = new Set([
  'succeeded',
  'failed',
  'superseded',
  'skipped',
  'replication-timed-out',
  'halted',
  'dry-run',
  'rejected',
  'canceled',
]);
export function isTerminal(state: RegionRolloutState): boolean {
  return TERMINAL_STATES.has(state);
}

export type ReadinessSource = 'webhook' | 'check';

/** One (repository, tag, digest) push as the registry announced it. */
export interface Release {
  id: string;
  repository: string;
  tag: string;
  digest: string;
  /** When ACR says the push happened; orders releases ("newer" means later pushedAt). */
  pushedAt: string;
  /** The tag's version (normalized semver: `v2.0.0` is `2.0.0`), if it is one; absent on older rows. */
  version?: string | undefined;
  mediaType?: string | undefined;
  /** How the release became known: a webhook delivery, the timer's registry scan, or an operator's rollback. */
  source: 'webhook' | 'registry-scan' | 'operator';
  /** Region the announcing delivery came from, if any. */
  announcedBy?: string | undefined;
  createdAt: string;
  /** active until every region rollout is terminal. */
  status: 'active' | 'done';
  completedAt?: string | undefined;
  /** Region names targeted by this release. */
  regions: string[];
  /**
   * The push checked against the home registry (a manifest HEAD by tag): `verified` (the tag points
   * at this digest), `unverified` (the registry could not be asked in time: no rollout starts until
   * it is verified) or `rejected` (the registry does not hold this push). Absent on older records.
   */
  verification?: ReleaseVerification | undefined;
  /** When the registry confirmed the push (the scan reads it from the registry: at planning). */
  verifiedAt?: string | undefined;
  /** Why the release is unverified or rejected, in words. */
  verificationReason?: string | undefined;
  /** Paused by an operator: no region starts a new attempt until resumed. */
  paused?: boolean | undefined;
  pausedBy?: string | undefined;
  pausedAt?: string | undefined;
  pauseReason?: string | undefined;
  /** Counts the pauses and resumes of this release: orders their marks on the rollout rows. */
  pauseSeq?: number | undefined;
  /**
   * Counts the operator's retries of this release, each counted before it resets a region: a
   * completion decided on rollouts read before a retry does not land (ReleaseStore.markReleaseDone).
   */
  retrySeq?: number | undefined;
  /** Waves of policy.approvalWaves an operator approved for this release. */
  approvedWaves?: number[] | undefined;
  /** The digest was rejected for the repository: nothing of this release starts (in words). */
  rejection?: string | undefined;
  /** source 'operator': the older release this rollback re-releases. */
  rollbackOf?: string | undefined;
  /**
   * Set by the timer when a wake-up of this release failed maxDequeueCount times and sits in the
   * poison queue (`reason` says so; `at` is when it was poisoned). The timer still advances it.
   */
  stuck?: ReleaseStuck | undefined;
}

export interface ReleaseStuck {
  reason: string;
  at: string;
}

export type ReleaseVerification = 'verified' | 'unverified' | 'rejected';

/** The durable reference to an executing rollout, as the executor returned it. */
export interface RolloutHandle {
  /** Executor-specific serialized handle (e.g. the AKS command id). */
  value: string;
  /** Human-readable id for the status API. */
  commandId?: string | undefined;
}

/** One release in one region. */
export interface RegionRollout {
  releaseId: string;
  region: string;
  wave: number;
  state: RegionRolloutState;
  reason: string;
  /** Stable machine-readable form of `reason` (src/core/rollout/reasons.ts); absent on older records. */
  reasonCode?: ReasonCode | undefined;
  /** Ledger keys of the workloads this rollout covers in this region. */
  workloads: string[];
  createdAt: string;
  updatedAt: string;
  replicaReadyAt?: string | undefined;
  replicaReadySource?: ReadinessSource | undefined;
  /** When the replica was last checked and what it said (for the status API). */
  lastCheckAt?: string | undefined;
  lastCheckResult?: ReplicaPresence | undefined;
  /** Attempts started so far. */
  attempts: number;
  /** Attempts already spent when an operator last retried (the budget counts from here). */
  budgetFrom?: number | undefined;
  /** When an operator last retried: the replication deadline counts from here. */
  retriedAt?: string | undefined;
  /** Re-sends of the same fenced change after an ambiguous or unconfirmed start (same attempt). */
  resends?: number | undefined;
  /** Starts the cluster turned away as busy or throttled (429/409); bounded separately. */
  throttled?: number | undefined;
  /** Starts ARM answered with a 5xx (or could not be reached); bounded by count and deadline. */
  armErrors?: number | undefined;
  /** Set at the first ARM error: after it, the next ARM error fails the rollout. */
  armErrorDeadline?: string | undefined;
  /** Earliest time the reconciler should look at this rollout again. */
  nextCheckAt: string;
  /** Set when a start has been claimed; the handle arrives once the executor accepted it. */
  attemptStartedAt?: string | undefined;
  handle?: RolloutHandle | undefined;
  /** When the first attempt started (reaction delay = startedAt - max(replicaReadyAt, release createdAt)). */
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  lastError?: string | undefined;
  /** The last 32 KiB of the executor's logs. */
  logsTail?: string | undefined;
  /** Dry run: the exact command that would have run. */
  command?: string | undefined;
  /** Workloads skipped because something newer already runs there. */
  skippedWorkloads?: string[] | undefined;
  /** onFailure revert: the last good release the workloads are being (or were) put back on. */
  revertTo?: LastGood | undefined;
  /**
   * Newer releases that targeted these workloads here but ended without rolling out (halted,
   * timed out, ...), so this release went ahead in their place: "<release id> (<state>)".
   */
  newerEnded?: string[] | undefined;
  /** The newer release this pending rollout last waited for (see newerEnded). */
  waitingForNewer?: string | undefined;
  /**
   * The release's pause as its pause or resume marked it on this row before answering (a start's
   * claim is decided on, and ETag-guarded by, this row: a pause marked meanwhile fails it).
   */
  pause?: RolloutPauseMark | undefined;
  /** Optimistic-concurrency token from the store; opaque to the core. */
  etag?: string | undefined;
}

/** A pause (or resume) of the release, as marked on one of its rollouts; a higher seq wins. */
export interface RolloutPauseMark {
  /** The release's pauseSeq this mark came from. */
  seq: number;
  paused: boolean;
  by?: string | undefined;
  at?: string | undefined;
  reason?: string | undefined;
}

/** The release a workload last ran successfully (what a revert goes back to). */
export interface LastGood {
  releaseId: string;
  tag: string;
  digest: string;
  pushedAt: string;
}

/** The newest attempt on a workload failed after changing it: its spec points at this digest. */
export interface LedgerFailure {
  releaseId: string;
  tag: string;
  digest: string;
  at: string;
  reason: string;
}

/**
 * For one (region, workload): the release that last succeeded there (digest, releaseId, ...) and,
 * when the newest attempt failed after changing the spec, that failure (status 'failed').
 */
export interface LedgerEntry {
  region: string;
  workload: string;
  repository: string;
  digest: string;
  tag: string;
  releaseId: string;
  pushedAt: string;
  /** That release's version (Release.version); absent when it has none and on older entries. */
  version?: string | undefined;
  /** That release was an operator's rollback (Release.rollbackOf): it outranks what came before it. */
  rollbackOf?: string | undefined;
  updatedAt: string;
  /** A rollout currently changing this workload (a per-workload lock). */
  inFlightReleaseId?: string | undefined;
  inFlightPushedAt?: string | undefined;
  /** 'failed' while `failed` is set; absent means 'ok' (the status API always shows it). */
  status?: 'ok' | 'failed' | undefined;
  failed?: LedgerFailure | undefined;
  etag?: string | undefined;
}

export type ReplicaPresence = 'present' | 'absent' | 'unknown';

/** Regional webhook evidence that a replica holds a digest. */
export interface ReadinessSignal {
  repository: string;
  digest: string;
  region: string;
  /** When the webhook reached us. */
  receivedAt: string;
  /** The event timestamp ACR put in that regional delivery. */
  eventAt: string;
}
