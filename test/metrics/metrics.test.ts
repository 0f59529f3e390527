// Each instrument records through a real OpenTelemetry SDK MeterProvider, read back with a
// MetricReader we collect() from: names, units, kinds, attributes and values as exported.
import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS_MS,
  noopMetrics,
  otelMetrics,
  recordRegionFinished,
} from '../../src/app/platform/metrics';
import type { RegionRollout } from '../../src/core/model/records';

class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    metrics: otelMetrics(provider),
    read: async () => flatten((await reader.collect()).resourceMetrics),
  };
}

interface Point {
  name: string;
  unit: string;
  type: DataPointType;
  attributes: Record<string, unknown>;
  value: unknown;
}

function flatten(rm: ResourceMetrics): Point[] {
  return rm.scopeMetrics.flatMap((sm) => {
    expect(sm.scope.name).toBe('acr-geo-rollout');
    return sm.metrics.flatMap((m) =>
      m.dataPoints.map((p) => ({
        name: m.descriptor.name,
        unit: m.descriptor.unit,
        type: m.dataPointType,
        attributes: p.attributes,
        value: p.value,
      })),
    );
  });
}

describe('Metrics on OpenTelemetry', () => {
  it('records the three histograms in ms with region and repository', async () => {
    const { metrics, read } = setup();
    const a = { region: 'westeurope', repository: 'team/my-app' };
    metrics.replicationLag(42_000, a);
    metrics.replicationLag(8_000, a);
    metrics.reactionDelay(800, a);
    metrics.rolloutDuration(95_000, { region: 'eastus', repository: 'team/my-app' });
    const points = await read();
    const lag = points.filter((p) => p.name === 'rollout.replication_lag');
    expect(lag).toHaveLength(1);
    expect(lag[0]).toMatchObject({ unit: 'ms', type: DataPointType.HISTOGRAM, attributes: a });
    expect(lag[0]!.value).toMatchObject({ count: 2, sum: 50_000, min: 8_000, max: 42_000 });
    expect((lag[0]!.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual(
      DURATION_BUCKETS_MS,
    );
    expect(points.find((p) => p.name === 'rollout.reaction_delay')).toMatchObject({
      attributes: a,
      value: { count: 1, sum: 800 },
    });
    expect(points.find((p) => p.name === 'rollout.duration')).toMatchObject({
      attributes: { region: 'eastus', repository: 'team/my-app' },
      value: { count: 1, sum: 95_000 },
    });
  });

  it('counts outcomes, webhook deliveries and notification deliveries by their attributes', async () => {
    const { metrics, read } = setup();
    metrics.rolloutOutcome({ region: 'westeurope', state: 'succeeded' });
    metrics.rolloutOutcome({ region: 'westeurope', state: 'succeeded' });
    metrics.rolloutOutcome({ region: 'eastus', state: 'failed' });
    metrics.webhookDelivery({ region: 'eastus', outcome: 'accepted' });
    metrics.webhookDelivery({ region: 'eastus', outcome: 'duplicate' });
    metrics.notificationDelivery({ format: 'slack', outcome: 'retryable' });
    metrics.notificationDelivery({ format: 'slack', outcome: 'ok' });
    metrics.notificationDelivery({ format: 'teams', outcome: 'ok' });
    const points = await read();
    const by = (name: string) =>
      points
        .filter((p) => p.name === name)
        .map((p) => ({ ...p.attributes, value: p.value }))
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    expect(points.every((p) => !p.name.startsWith('rollout.o') || p.type === DataPointType.SUM)).toBe(true);
    expect(by('rollout.outcomes')).toEqual([
      { region: 'eastus', state: 'failed', value: 1 },
      { region: 'westeurope', state: 'succeeded', value: 2 },
    ]);
    expect(by('webhook.deliveries')).toEqual([
      { region: 'eastus', outcome: 'accepted', value: 1 },
      { region: 'eastus', outcome: 'duplicate', value: 1 },
    ]);
    expect(by('notifications.deliveries')).toEqual([
      { format: 'slack', outcome: 'ok', value: 1 },
      { format: 'slack', outcome: 'retryable', value: 1 },
      { format: 'teams', outcome: 'ok', value: 1 },
    ]);
  });

  it('counts the errors caught and handled by their operation', async () => {
    const { metrics, read } = setup();
    metrics.operationError({ operation: 'rollout-status' });
    metrics.operationError({ operation: 'rollout-status' });
    metrics.operationError({ operation: 'wakeup-send' });
    const points = (await read()).filter((p) => p.name === 'operation.errors');
    expect(points.every((p) => p.type === DataPointType.SUM)).toBe(true);
    expect(
      points
        .map((p) => ({ ...p.attributes, value: p.value }))
        .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
    ).toEqual([
      { operation: 'rollout-status', value: 2 },
      { operation: 'wakeup-send', value: 1 },
    ]);
  });

  it('drops negative or non-finite figures instead of recording a clock error', async () => {
    const { metrics, read } = setup();
    metrics.replicationLag(-5, { region: 'eastus', repository: 'r' });
    metrics.replicationLag(Number.NaN, { region: 'eastus', repository: 'r' });
    expect((await read()).filter((p) => p.name === 'rollout.replication_lag')).toEqual([]);
  });

  it('recordRegionFinished records the figures the rollout timestamps hold, and its outcome', async () => {
    const { metrics, read } = setup();
    const r: RegionRollout = {
      releaseId: 'r1',
      region: 'westeurope',
      wave: 1,
      state: 'succeeded',
      reason: 'rollout succeeded',
      workloads: [],
      createdAt: '2026-11-27T10:00:00.000Z',
      updatedAt: '2026-11-27T10:02:00.000Z',
      replicaReadyAt: '2026-11-27T10:00:40.000Z',
      startedAt: '2026-11-27T10:00:41.000Z',
      finishedAt: '2026-11-27T10:02:00.000Z',
      attempts: 1,
      nextCheckAt: '2026-11-27T10:02:00.000Z',
    };
    recordRegionFinished(metrics, { repository: 'team/my-app', pushedAt: '2026-11-27T10:00:00.000Z' }, r);
    const points = await read();
    const sumOf = (name: string) =>
      (points.find((p) => p.name === name)?.value as { sum: number } | undefined)?.sum;
    expect(sumOf('rollout.replication_lag')).toBe(40_000);
    expect(sumOf('rollout.reaction_delay')).toBe(1_000);
    expect(sumOf('rollout.duration')).toBe(79_000);
    expect(points.find((p) => p.name === 'rollout.outcomes')).toMatchObject({
      attributes: { region: 'westeurope', state: 'succeeded' },
      value: 1,
    });
  });

  it('the no-op port accepts every call', () => {
    expect(() =>
      recordRegionFinished(noopMetrics, { repository: 'r', pushedAt: 'x' }, {} as RegionRollout),
    ).not.toThrow();
  });
});
