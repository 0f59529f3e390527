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
import type { WakeupSchedule } from '../wakeups';

/** `S`: the store port a use case needs (default the whole store); a full Deps satisfies any. */
export interface Deps<S = RolloutStore> {
  config: AppConfig;
  store: S;
  replicaStatus: ReplicaStatusPort;
  registryListing: RegistryListingPort;
  /** Checks a webhook's push against the home registry before it is planned. */
  pushVerifier: PushVerifierPort;
  executor: RolloutExecutorPort;
  clock: Clock;
  /** Uniform [0, 1) source for backoff jitter. */
  random: () => number;
  /** Waits between retries (real timers in the app; tests may pass one that returns at once). */
  sleep: Sleep;
  /** The notification outbox the timer delivers from, and the sender it delivers with. */
  outbox: OutboxStore;
  notify: NotifySend;
  /**
   * The wake-up queue: each reconcile schedules the release's next due time on it (the queue
   * function `advance` then reconciles it). With no queue configured, a port that drops every
   * wake-up: the timer alone advances releases.
   */
  wakeups: WakeupPort;
  /** What this composition's wake-up sends remember: the due times pending, a queue found down. */
  wakeupSchedule: WakeupSchedule;
  /** Rollout, delivery and error metrics. */
  metrics: Metrics;
}
