// The product's own metrics, behind a small port so use cases never touch OpenTelemetry:
//   histograms (ms)  rollout.replication_lag, rollout.reaction_delay, rollout.duration  {region, repository}
//   counters         rollout.outcomes {region, state}, webhook.deliveries {region, outcome},
//                    notifications.deliveries {format, outcome}, operation.errors {operation}
// Implemented with @opentelemetry/api. Instruments are created on first use from the global
// MeterProvider, so startTelemetry (src/app/platform/telemetry.ts) must run before the first record:
// the API has no proxy meter, and a meter taken earlier stays a no-op forever.
import {
  metrics as otel,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api';
import type { RegionRollout, Release } from '../../core/model';
import { regionFigures } from '../../core/notify';

export const METER_NAME = 'acr-geo-rollout';

export interface RegionAttributes {
  region: string;
  repository: string;
}

/** Outcome of one notification try, as the sender classifies it. */
export type DeliveryOutcome = 'ok' | 'retryable' | 'permanent';

/**
 * What failed when an error was caught and handled (logged, then carried on): a fixed set, so the
 * counter's cardinality stays bounded.
 */
export type ErrorOperation =
  | 'rollout-status'
  | 'rollout-start'
  | 'rollout-step'
  | 'replica-check'
  | 'push-verify'
  | 'release-reconcile'
  | 'registry-scan'
  | 'wakeup-send'
  | 'wakeup-poison-peek'
  | 'notification-delivery'
  | 'notification-prune'
  | 'notification-run'
  | 'notification-write'
  | 'operator-audit'
  | 'operator-nudge'
  | 'operator-answer'
  | 'webhook-nudge'
  | 'webhook-audit'
  | 'release-write-out';

export interface Metrics {
  replicationLag(ms: number, a: RegionAttributes): void;
  reactionDelay(ms: number, a: RegionAttributes): void;
  rolloutDuration(ms: number, a: RegionAttributes): void;
  rolloutOutcome(a: { region: string; state: string }): void;
  /** One ACR webhook delivery as answered (outcome: accepted, duplicate, rejected, …). */
  webhookDelivery(a: { region: string; outcome: string }): void;
  notificationDelivery(a: { format: string; outcome: DeliveryOutcome }): void;
  /** One error caught and handled without a throw (its log line says which and why). */
  operationError(a: { operation: ErrorOperation }): void;
}

export const noopMetrics: Metrics = {
  replicationLag: () => {},
  reactionDelay: () => {},
  rolloutDuration: () => {},
  rolloutOutcome: () => {},
  webhookDelivery: () => {},
  notificationDelivery: () => {},
  operationError: () => {},
};

/** Millisecond buckets from 100 ms to 1 h: replication takes seconds to tens of minutes. */
export const DURATION_BUCKETS_MS = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
];

interface Instruments {
  replicationLag: Histogram;
  reactionDelay: Histogram;
  duration: Histogram;
  outcomes: Counter;
  webhooks: Counter;
  notifications: Counter;
  errors: Counter;
}

function instruments(meter: Meter): Instruments {
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 'ms',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
    });
  return {
    replicationLag: histogram('rollout.replication_lag', 'Push to the region replica holding the digest'),
    reactionDelay: histogram('rollout.reaction_delay', 'Replica ready to the rollout starting'),
    duration: histogram('rollout.duration', 'Rollout start to finish in one region'),
    outcomes: meter.createCounter('rollout.outcomes', { description: 'Region rollouts by final state' }),
    webhooks: meter.createCounter('webhook.deliveries', { description: 'ACR webhook deliveries by outcome' }),
    notifications: meter.createCounter('notifications.deliveries', {
      description: 'Notification delivery attempts by format and outcome',
    }),
    errors: meter.createCounter('operation.errors', {
      description: 'Errors caught and handled (logged, not thrown) by operation',
    }),
  };
}

/** A negative or non-finite figure is a clock problem, not a measurement. */
function valid(ms: number): boolean {
  return Number.isFinite(ms) && ms >= 0;
}

/** Metrics on an OpenTelemetry MeterProvider (default: the global one, set by startTelemetry). */
export function otelMetrics(provider?: MeterProvider): Metrics {
  let i: Instruments | undefined;
  const get = (): Instruments =>
    (i ??= instruments((provider ?? otel.getMeterProvider()).getMeter(METER_NAME)));
  const record = (h: (x: Instruments) => Histogram, ms: number, a: RegionAttributes): void => {
    if (valid(ms)) h(get()).record(ms, { region: a.region, repository: a.repository });
  };
  return {
    replicationLag: (ms, a) => record((x) => x.replicationLag, ms, a),
    reactionDelay: (ms, a) => record((x) => x.reactionDelay, ms, a),
    rolloutDuration: (ms, a) => record((x) => x.duration, ms, a),
    rolloutOutcome: (a) => get().outcomes.add(1, { ...a }),
    webhookDelivery: (a) => get().webhooks.add(1, { ...a }),
    notificationDelivery: (a) => get().notifications.add(1, { ...a }),
    operationError: (a) => get().errors.add(1, { ...a }),
  };
}

/**
 * Record what a region rollout's end says: its outcome and the figures its timestamps hold.
 * Call once per terminal transition (the same place its notification events are derived).
 */
export function recordRegionFinished(
  m: Metrics,
  release: Pick<Release, 'repository' | 'pushedAt'> & Partial<Pick<Release, 'createdAt'>>,
  r: RegionRollout,
): void {
  const a = { region: r.region, repository: release.repository };
  const f = regionFigures(release, r);
  if (f?.replicationLagMs !== undefined) m.replicationLag(f.replicationLagMs, a);
  if (f?.reactionDelayMs !== undefined) m.reactionDelay(f.reactionDelayMs, a);
  if (f?.durationMs !== undefined) m.rolloutDuration(f.durationMs, a);
  m.rolloutOutcome({ region: r.region, state: r.state });
}
