// Metrics recorded where things happen, read back through a real OpenTelemetry SDK reader:
// each rollout's figures once at the transition that makes them known (however often webhooks
// repeat and timer runs overlap), webhook deliveries by outcome, notification tries by outcome.
// Also the telemetry wiring of the entry file and host.json, and the rollout.transition log fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { otelMetrics } from '../../src/app/platform/metrics';
import { recordTransitionMetrics } from '../../src/app/notify/transition-outbox';
import type { RegionRollout, Release } from '../../src/core/model/records';
import { DIGEST, REGIONS, notifyWorld, startSink, type Sink } from '../notify/support';

class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

interface Point {
  name: string;
  attributes: Record<string, unknown>;
  count: number;
  sum?: number | undefined;
}

function meter() {
  const reader = new CollectingReader();
  const metrics = otelMetrics(new MeterProvider({ readers: [reader] }));
  const read = async (): Promise<Point[]> =>
    (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((m) =>
        m.dataPoints.map((p) => {
          if (m.dataPointType === DataPointType.HISTOGRAM) {
            const h = p.value as { count: number; sum?: number };
            return { name: m.descriptor.name, attributes: p.attributes, count: h.count, sum: h.sum };
          }
          return { name: m.descriptor.name, attributes: p.attributes, count: p.value as number };
        }),
      ),
    );
  return { metrics, read };
}

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

describe('metrics at the transitions', () => {
  it('when webhooks repeat and runs overlap, then each region records its figures and outcome once', async () => {
    const s = await startSink();
    sinks.push(s);
    const w = notifyWorld([{ url: s.url, format: 'json', events: ['region.succeeded'] }]);
    const { metrics, read } = meter();
    w.deps.metrics = metrics;
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    await w.push(undefined);
    w.clock.advance(7); // the replicas announce themselves (or are checked) 7 s after the push
    for (const region of ['westeurope', 'southeastasia']) await w.push(region);
    await w.settle();

    const points = await read();
    const of = (name: string) => points.filter((p) => p.name === name);
    for (const name of ['rollout.replication_lag', 'rollout.reaction_delay', 'rollout.duration']) {
      const per = of(name);
      expect(per.map((p) => p.attributes.region).sort()).toEqual([...REGIONS].sort());
      expect(per.every((p) => p.count === 1 && p.attributes.repository === 'my-app')).toBe(true);
    }
    // The replica was there when we first looked, 7 s after the push.
    for (const p of of('rollout.replication_lag')) expect(p.sum).toBeGreaterThanOrEqual(7000);
    expect(of('rollout.outcomes').map((p) => [p.attributes.region, p.attributes.state, p.count])).toEqual(
      expect.arrayContaining(REGIONS.map((r) => [r, 'succeeded', 1])),
    );
    const webhooks = of('webhook.deliveries').map(
      (p) => `${String(p.attributes.region)} ${String(p.attributes.outcome)} ${p.count}`,
    );
    expect(webhooks.sort()).toEqual(
      ['home duplicate 1', 'home recorded 1', 'southeastasia recorded 1', 'westeurope recorded 1'].sort(),
    );
    expect(
      of('notifications.deliveries').map((p) => [p.attributes.format, p.attributes.outcome, p.count]),
    ).toEqual([['json', 'ok', 3]]);

    // Every rollout.transition line names release, region and digest.
    const transitions = w.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === 'rollout.transition');
    expect(transitions.length).toBeGreaterThanOrEqual(REGIONS.length * 2);
    for (const t of transitions) {
      expect(t.releaseId).toMatch(/^\d{13}-[0-9a-f]{12}$/);
      expect(REGIONS).toContain(t.region);
      expect(t.digest).toBe(DIGEST);
    }
  });

  it('when a push is found after its replica was ready, then reaction delay counts from when we knew', async () => {
    const { metrics, read } = meter();
    const release = {
      id: '1',
      repository: 'my-app',
      pushedAt: '2026-11-27T10:00:00.000Z',
      createdAt: '2026-11-27T10:05:00.000Z',
    } as Release;
    const prev = {
      region: 'eastus',
      state: 'replica-ready',
      replicaReadyAt: '2026-11-27T10:01:00.000Z',
    } as RegionRollout;
    recordTransitionMetrics(metrics, release, prev, {
      ...prev,
      state: 'rolling-out',
      startedAt: '2026-11-27T10:05:02.000Z',
    });
    const points = await read();
    expect(points.find((p) => p.name === 'rollout.reaction_delay')?.sum).toBe(2000);
    expect(points.find((p) => p.name === 'rollout.replication_lag')).toBeUndefined();
  });
});

describe('telemetry wiring', () => {
  const root = join(__dirname, '..', '..');
  it('when the entry file loads, then telemetry-start is its first import', () => {
    const index = readFileSync(join(root, 'src/functions/index.ts'), 'utf8');
    const imports = [...index.matchAll(/^import .*$/gm)].map((m) => m[0]);
    expect(imports[0]).toBe("import './telemetry-start';");
  });

  it('when APPLICATIONINSIGHTS_CONNECTION_STRING is absent, then importing telemetry-start starts nothing', async () => {
    expect(process.env.APPLICATIONINSIGHTS_CONNECTION_STRING).toBeUndefined();
    const mod = await import('../../src/functions/telemetry-start.js');
    expect(mod.telemetry.started).toBe(false);
  });

  it('when host.json is read, then it uses OpenTelemetry and never samples traces or events away', () => {
    const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
      telemetryMode?: string;
      logging: { applicationInsights: { samplingSettings: { isEnabled: boolean; excludedTypes: string } } };
    };
    expect(host.telemetryMode).toBe('OpenTelemetry');
    const excluded = host.logging.applicationInsights.samplingSettings.excludedTypes.split(';');
    expect(excluded).toEqual(expect.arrayContaining(['Trace', 'Event', 'Request', 'Exception']));
  });
});
