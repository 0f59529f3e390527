// Outbox retention: finished rows (delivered or failed) are pruned by the timer after a
// bounded age and beyond a bounded count, counted in the run's notification summary; pending rows
// and rows of releases still active stay, and pruning never makes an event go out twice.
import { afterEach, describe, expect, it } from 'vitest';
import { deliverNotifications, OUTBOX_RETENTION } from '../../src/app/notify/deliver-outbox';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { prunable, type OutboxEntry, type OutboxRetention } from '../../src/core/notify/outbox';
import { DIGEST, REGIONS, notifyWorld, startSink, type Sink } from './support';

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

const DAY = 86_400_000;
const NOW = new Date('2026-03-10T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

function row(
  key: string,
  status: OutboxEntry['status'],
  lastAt: string,
  releaseId = 'rel-done',
): OutboxEntry {
  return {
    scope: { kind: 'release' },
    key,
    targetId: 't1',
    targetHost: 'hooks.example',
    format: 'json',
    event: {
      event: 'release.completed',
      at: lastAt,
      release: { id: releaseId, repository: 'my-app', tag: '1.0.0', digest: DIGEST },
      dedupeKey: key,
    },
    createdAt: lastAt,
    status,
    attempts: status === 'pending' ? 0 : 1,
    lastAttemptAt: status === 'pending' ? undefined : lastAt,
    deliveredAt: status === 'delivered' ? lastAt : undefined,
    etag: `W/"${key}"`,
  };
}

describe('prunable (the retention rule)', () => {
  const rule: OutboxRetention = { maxAgeMs: 7 * DAY, keep: 3, maxPerRun: 100 };
  const keys = (rows: OutboxEntry[]) => rows.map((r) => r.key);

  it.each([
    ['a delivered row younger than the age bound stays', [row('a', 'delivered', ago(DAY))], []],
    ['a delivered row older than the age bound goes', [row('a', 'delivered', ago(8 * DAY))], ['a']],
    ['a failed row older than the age bound goes', [row('a', 'failed', ago(8 * DAY))], ['a']],
    ['a pending row stays however old', [row('a', 'pending', ago(30 * DAY))], []],
    [
      'beyond the newest `keep` finished rows, the oldest go first',
      ['a', 'b', 'c', 'd', 'e'].map((k, i) => row(k, 'delivered', ago((5 - i) * 60_000))),
      ['a', 'b'],
    ],
    [
      'pending rows do not count toward `keep`',
      [row('p1', 'pending', ago(1)), row('p2', 'pending', ago(1)), row('a', 'delivered', ago(DAY))],
      [],
    ],
  ])('%s', (_name, rows, expected) => {
    expect(keys(prunable(rows, NOW, rule, new Set()))).toEqual(expected);
  });

  it('rows of an active release stay, old or beyond the count', () => {
    const rows = [row('a', 'delivered', ago(9 * DAY), 'rel-active'), row('b', 'delivered', ago(9 * DAY))];
    expect(keys(prunable(rows, NOW, rule, new Set(['rel-active'])))).toEqual(['b']);
  });

  it('one run deletes at most maxPerRun rows, the oldest', () => {
    const rows = ['a', 'b', 'c'].map((k, i) => row(k, 'failed', ago((10 - i) * DAY)));
    expect(keys(prunable(rows, NOW, { ...rule, maxPerRun: 2 }, new Set()))).toEqual(['a', 'b']);
  });

  it('the shipped bounds: 7 days, the 500 newest (what GET /api/notifications shows at most), 100 per run', () => {
    expect(OUTBOX_RETENTION).toEqual({ maxAgeMs: 7 * DAY, keep: 500, maxPerRun: 100 });
  });
});

describe('outbox retention on Azurite, by the timer', () => {
  it('when finished rows pass the bounds, then the timer prunes them (counted), keeps active releases’ rows, and nothing is delivered twice', async () => {
    const json = await startSink();
    sinks.push(json);
    const w = notifyWorld([{ url: json.url, format: 'json' }]);
    const OTHER = `sha256:${'d'.repeat(64)}`;
    // Release A rolls out everywhere: region.succeeded x3 and release.completed, all delivered.
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    await w.settle();
    expect(json.received).toHaveLength(4);
    // Release B (a newer tag of my-app) only reaches eastus: it stays active, its
    // region.succeeded row delivered.
    w.clock.advance(60_000);
    w.registry.hold('eastus', 'my-app', OTHER);
    await w.push(undefined, 'push-2', '1.1.0', OTHER);
    for (let i = 0; i < 20 && json.received.length < 5; i++) {
      await reconcileAll(w.deps, w.log, { scan: false });
      w.clock.advance(10);
    }
    expect(json.received.map((r) => `${String(r.body.event)} ${String(r.body.region)}`)).toContain(
      'region.succeeded eastus',
    );
    const [active] = await w.store.listActiveReleases();
    expect(active?.digest).toBe(OTHER);

    // The count bound (keep 1): A's oldest three go; B's row (active) and A's newest stay.
    const counted = await deliverNotifications(w.deps, w.log, {
      retention: { maxAgeMs: 365 * DAY, keep: 1, maxPerRun: 100 },
    });
    expect(counted.pruned).toBe(3);
    const left = await w.store.listOutbox(REGIONS);
    expect(left.map((r) => r.event.release?.id).sort()).toEqual(
      [
        active!.releaseId,
        left.find((r) => r.event.release?.id !== active!.releaseId)!.event.release?.id,
      ].sort(),
    );
    expect(left.find((r) => r.event.release?.id !== active!.releaseId)?.event.event).toBe(
      'release.completed',
    );

    // The age bound, on the timer: 8 days later B's other regions time out (B ends), the timer
    // delivers those events and prunes every row finished before this run (B's now that it ended).
    w.clock.advance(8 * DAY);
    const before = json.received.length;
    await reconcileAll(w.deps, w.log, { scan: false });
    expect(json.received.length).toBeGreaterThan(before); // the time-outs and release.completed
    const summary = w.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === 'notifications.summary')
      .at(-1);
    expect(summary).toMatchObject({ pruned: 2 });
    const rows = await w.store.listOutbox(REGIONS);
    expect(rows.every((r) => r.status === 'delivered' && r.event.release?.id === active!.releaseId)).toBe(
      true,
    );

    // Later runs redeliver nothing (a pruned row's event is never derived again).
    const sent = json.received.length;
    for (let i = 0; i < 3; i++) {
      w.clock.advance(8 * DAY);
      await reconcileAll(w.deps, w.log, { scan: false });
    }
    expect(json.received).toHaveLength(sent);
    expect(await w.store.listOutbox(REGIONS)).toEqual([]);
    const keys = json.received.map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
