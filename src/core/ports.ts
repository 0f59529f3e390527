// Interfaces the core needs from the outside world. Adapters in src/adapters implement them;
// simulated ones live in dev/ and test/. Nothing here imports Azure.
import type { ReplicaPresence, RolloutHandle, Workload } from './model';

/** Is (repository, digest) present in region R's replica? Errors are 'unknown', never throws. */
export interface ReplicaStatusPort {
  check(region: string, repository: string, digest: string, signal?: AbortSignal): Promise<ReplicaPresence>;
}

export interface TagListing {
  tag: string;
  digest: string;
  /** ACR's lastUpdateTime of the tag, ISO-8601. */
  updatedAt: string;
}

/** Recent tags of a repository in the home registry, newest first (for lost webhooks). */
export interface RegistryListingPort {
  recentTags(repository: string, limit: number, signal?: AbortSignal): Promise<TagListing[]>;
}

/** Everything needed to roll one release out on one cluster. */
export interface RolloutRequest {
  releaseId: string;
  region: string;
  /** AKS managed cluster resource id. */
  cluster: string;
  workloads: Workload[];
  image: {
    /** Global login server (e.g. myregistry.azurecr.io): pulls go to the nearest replica. */
    loginServer: string;
    repository: string;
    digest: string;
    tag: string;
  };
  timeoutSeconds: number;
}

export type RolloutStartResult =
  | { kind: 'started'; handle: RolloutHandle }
  /** Not started. transient: retry later (429, 409, 5xx); otherwise permanent (403, disabled, not found). */
  | { kind: 'rejected'; transient: boolean; reason: string; retryAfterSeconds?: number | undefined };

export type RolloutStatus =
  | { kind: 'running' }
  | { kind: 'succeeded'; logs?: string | undefined }
  | { kind: 'failed'; reason: string; logs?: string | undefined; transient: boolean }
  /** Could not learn the outcome now (network, 5xx, throttling): ask again later. */
  | { kind: 'unknown'; reason: string; retryAfterSeconds?: number | undefined };

export interface RolloutExecutorPort {
  /** Returns as soon as the cluster accepted the command; never waits for the rollout itself. */
  start(request: RolloutRequest, signal?: AbortSignal): Promise<RolloutStartResult>;
  status(request: RolloutRequest, handle: RolloutHandle, signal?: AbortSignal): Promise<RolloutStatus>;
  /** The exact command start() would run (recorded by dry runs). */
  describe(request: RolloutRequest): string;
}

/** The clock, so the core and use cases never read Date.now() themselves. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
