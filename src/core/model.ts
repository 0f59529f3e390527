// Domain records. Times are ISO-8601 strings (UTC) so records survive Table Storage unchanged.
import type { WorkloadKind } from './names';
import type { ReasonCode } from './reasons';

/** One configured workload: a container of a Kubernetes object fed by one repository. */
export interface Workload {
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
}

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
}

export const REGION_ROLLOUT_STATES = [
  'waiting-for-replica',
  'replica-ready',
  'rolling-out',
  'succeeded',
  'failed',
  'superseded',
  'replication-timed-out',
  'halted',
  'dry-run',
] as const;
export type RegionRolloutState = (typeof REGION_ROLLOUT_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<RegionRolloutState> = new Set([
  'succeeded',
  'failed',
  'superseded',
  'replication-timed-out',
  'halted',
  'dry-run',
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
  mediaType?: string | undefined;
  /** How the release became known: a webhook delivery, or the timer's registry scan. */
  source: 'webhook' | 'registry-scan';
  /** Region the announcing delivery came from, if any. */
  announcedBy?: string | undefined;
  createdAt: string;
  /** active until every region rollout is terminal. */
  status: 'active' | 'done';
  completedAt?: string | undefined;
  /** Region names targeted by this release. */
  regions: string[];
}

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
  /** Stable machine-readable form of `reason` (src/core/reasons.ts); absent on older records. */
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
  /** Re-sends of the same fenced change after an ambiguous or unconfirmed start (same attempt). */
  resends?: number | undefined;
  /** Starts the cluster turned away as busy or throttled (429/409); bounded separately. */
  throttled?: number | undefined;
  /** Earliest time the reconciler should look at this rollout again. */
  nextCheckAt: string;
  /** Set when a start has been claimed; the handle arrives once the executor accepted it. */
  attemptStartedAt?: string | undefined;
  handle?: RolloutHandle | undefined;
  /** When the first attempt started (reaction delay = startedAt - replicaReadyAt). */
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  lastError?: string | undefined;
  /** The last 32 KiB of the executor's logs. */
  logsTail?: string | undefined;
  /** Dry run: the exact command that would have run. */
  command?: string | undefined;
  /** Workloads skipped because something newer already runs there. */
  skippedWorkloads?: string[] | undefined;
  /** Optimistic-concurrency token from the store; opaque to the core. */
  etag?: string | undefined;
}

/** For one (region, workload): what runs there now and which release put it there. */
export interface LedgerEntry {
  region: string;
  workload: string;
  repository: string;
  digest: string;
  tag: string;
  releaseId: string;
  pushedAt: string;
  updatedAt: string;
  /** A rollout currently changing this workload (a per-workload lock). */
  inFlightReleaseId?: string | undefined;
  inFlightPushedAt?: string | undefined;
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
