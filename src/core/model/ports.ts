// Interfaces the core needs from the outside world. Adapters in src/adapters implement them;
// simulated ones live in dev/ and test/. Nothing here imports Azure.
import type { ReplicaPresence, RolloutHandle, Workload } from './records';

/** A replica check's answer and, when the check itself failed, why (for logs and the rollout's reason). */
export interface ReplicaCheck {
  presence: ReplicaPresence;
  /**
   * Set only when the check failed (e.g. "ACR answered 403 ..." for an identity without AcrPull,
   * a refused token exchange, 5xx after retries), so a broken check does not pass for "not
   * replicated yet". Absent for present/absent and for "no regional endpoint configured".
   */
  cause?: string | undefined;
}

/** Is (repository, digest) present in region R's replica? Errors are 'unknown', never throws. */
export interface ReplicaStatusPort {
  check(region: string, repository: string, digest: string, signal?: AbortSignal): Promise<ReplicaPresence>;
  /** The same check with the cause of an 'unknown' that is a failure of the check itself. */
  checkWithCause(
    region: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
  ): Promise<ReplicaCheck>;
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

/** What the home registry says about a pushed (repository, tag, digest). */
export type PushVerification =
  /** The tag (or, for a push by digest only, the digest) resolves to exactly this digest. */
  | {
      outcome: 'verified';
      /**
       * When asked for it: the home registry's `lastUpdateTime` of the tag (still on this digest),
       * the push time every region orders the release by. Absent when it could not be read.
       */
      pushedAt?: string | undefined;
    }
  /** The registry answered, and not with this digest (404, or the tag points elsewhere). */
  | { outcome: 'mismatch'; reason: string }
  /** No usable answer (network, timeout, 401/403, 5xx): the push is neither confirmed nor refuted. */
  | { outcome: 'unreachable'; reason: string };

/** Checks a push announced by a webhook against the home registry. Never throws. */
export interface PushVerifierPort {
  verify(
    repository: string,
    tag: string,
    digest: string,
    signal?: AbortSignal,
    opts?: { pushTime?: boolean },
  ): Promise<PushVerification>;
}

/** A workload of a rollout, with what its fence tests (src/core/rollout/fence.ts). */
export interface RolloutWorkload extends Workload {
  /** The release id the ledger last recorded for this workload; undefined = none (absent annotation). */
  expectedRelease?: string | undefined;
  /** Index of the container in the pod template (Run Command patches address it; default 0). */
  containerIndex?: number | undefined;
}

/** Everything needed to roll one release out on one cluster. */
export interface RolloutRequest {
  releaseId: string;
  region: string;
  /** AKS managed cluster resource id. */
  cluster: string;
  workloads: RolloutWorkload[];
  /** ISO-8601 push time of the release, written into the fence's pushed-at annotation. */
  pushedAt?: string | undefined;
  image: {
    /** Global login server (e.g. myregistry.azurecr.io): pulls go to the nearest replica. */
    loginServer: string;
    repository: string;
    digest: string;
    tag: string;
  };
  timeoutSeconds: number;
  /**
   * onFailure revert: the failed release this change puts the workloads back from (`releaseId`
   * and `image` are then the last good release). The fence expects this release's annotation.
   */
  revertOf?: string | undefined;
}

export type RolloutStartResult =
  | { kind: 'started'; handle: RolloutHandle }
  /** Not started. transient: retry later (429, 409, 5xx); otherwise permanent (403, disabled, not found). */
  | {
      kind: 'rejected';
      transient: boolean;
      reason: string;
      retryAfterSeconds?: number | undefined;
      /** ARM itself failed (5xx, unreachable): counted toward the ARM error budget, not as "busy". */
      armError?: boolean | undefined;
    }
  /** The request may have reached the cluster (timeout, reset after send): the claim is kept. */
  | { kind: 'ambiguous'; reason: string };

export type RolloutStatus =
  | { kind: 'running' }
  | { kind: 'succeeded'; logs?: string | undefined }
  | {
      kind: 'failed';
      reason: string;
      logs?: string | undefined;
      transient: boolean;
      /**
       * The command never ran its script (its pod was not scheduled, or it was canceled first):
       * the cluster is unchanged, so the ledger records no failed change for this attempt.
       */
      notRun?: true | undefined;
    }
  /** The fence's `test` failed (422): a newer change is already on the workload; nothing changed. */
  | { kind: 'fenced'; reason: string; logs?: string | undefined }
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

/** A wake-up as it travels on the queue: advance this release at (or after) `due`. */
export interface Wakeup {
  releaseId: string;
  /** ISO-8601 time the release has something due. */
  due: string;
  /**
   * The release's repository, on the webhook's first wake-up of a release it claimed and did not
   * write out: where its pending record is (src/core/intake/store.ts PendingRelease).
   */
  repository?: string | undefined;
}

/** A wake-up that failed maxDequeueCount times and sits in the poison queue. */
export interface PoisonedWakeup {
  releaseId: string;
  /** When the host moved it there (the message's insertion time), ISO-8601. */
  at: string;
}

/**
 * Schedules a queue-triggered reconcile of one release at its due time (Storage Queue with a
 * visibility delay). Duplicate or early wake-ups are harmless: the reconciler is idempotent.
 */
export interface WakeupPort {
  /**
   * Sends one wake-up that becomes visible after `delaySeconds` (the caller's due - now, clamped
   * to [0, 7 days] by visibilitySeconds). Throws on failure.
   */
  send(wakeup: Wakeup, delaySeconds: number, signal?: AbortSignal): Promise<void>;
  /** The wake-ups in the poison queue (peeked, not removed), at most `limit`. */
  poisoned(limit: number, signal?: AbortSignal): Promise<PoisonedWakeup[]>;
}
