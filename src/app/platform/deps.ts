// What the use cases need, assembled by the composition root (real adapters in Azure,
// simulators locally, in-memory fakes in tests).
import type { AppConfig } from '../config';
import type {
  Clock,
  PushVerifierPort,
  RegistryListingPort,
  ReplicaStatusPort,
  RolloutExecutorPort,
  WakeupPort,
  RolloutStore,
} from '../../core/model';
import type { Sleep } from '../../core/platform';
import type { NotifySend, OutboxStore } from '../../core/notify';
import type { Metrics } from './metrics';

/** `S`: the store port a use case needs (default the whole store); a full Deps satisfies any. */
export interface Deps<S = RolloutStore> {
  config: AppConfig;
  store: S;
  replicaStatus: ReplicaStatusPort;
  registryListing: RegistryListingPort;
  /**
   * Checks a webhook's push against the home registry before it is planned (the app always has
   * one; without it, as in tests of other concerns, pushes are planned without verification).
   */
  pushVerifier?: PushVerifierPort | undefined;
  executor: RolloutExecutorPort;
  clock: Clock;
  /** Uniform [0, 1) source for backoff jitter. */
  random: () => number;
  /** Waits between retries (real timers in the app; tests may pass one that returns at once). */
  sleep: Sleep;
  /** The notification outbox; without it (or notify) no notification is delivered. */
  outbox?: OutboxStore | undefined;
  notify?: NotifySend | undefined;
  /**
   * The wake-up queue: each reconcile schedules the release's next due time on it (the queue
   * function `advance` then reconciles it). Without it the timer alone advances releases.
   */
  wakeups?: WakeupPort | undefined;
  /** Rollout and delivery metrics; default: none recorded. */
  metrics?: Metrics | undefined;
}
