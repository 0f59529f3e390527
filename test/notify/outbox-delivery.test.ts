// Exactly once per (event, target), end to end: ACR webhooks (repeated) into the intake, timer
// runs (two at a time, overlapping) on Azurite, the real sender posting to loopback sinks.
import { InvocationContext, HttpRequest } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS } from '../../src/app/notify/deliver-outbox';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { makeNotificationsHandler } from '../../src/functions/status/notifications';
import { expectSlackBody } from './shapes';
import { DIGEST, REGIONS, notifyWorld, startSink, type Sink } from './support';

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
async function sink(answer?: (n: number) => number, reply?: (path: string) => string): Promise<Sink> {
  const s = await startSink(answer, reply);
  sinks.push(s);
  return s;
}

type World = ReturnType<typeof notifyWorld>;

/** Invariants of a moved image: each region runs it, the ledger says so, each region started once. */
async function expectRolledOutOnce(w: World, regions = REGIONS) {
  for (const region of regions) {
    const ledger = await w.store.listLedger(region);
    expect(ledger.map((l) => l.digest)).toEqual([DIGEST]);
    expect(w.executor.started.filter((s) => s.region === region)).toHaveLength(1);
  }
  const pairs = w.executor.started.map((s) => `${s.releaseId}|${s.region}`);
  expect(new Set(pairs).size).toBe(pairs.length);
}

const events = (s: Sink) =>
  s.received.map((r) => [r.body.event, r.body.region].filter((x) => typeof x === 'string').join(' ')).sort();

async function getNotifications(w: World, query = '') {
  const res = await makeNotificationsHandler(() => w.deps)(
    new HttpRequest({ url: `http://localhost/api/notifications${query}`, method: 'GET' }),
    new InvocationContext({ functionName: 'notifications' }),
  );
  return {
    status: res.status,
    body: (res as { jsonBody?: unknown }).jsonBody as { deliveries: Array<Record<string, unknown>> },
  };
}

describe('notifications through the outbox', () => {
  it('when webhooks repeat and timer runs overlap, then each (event, target) arrives exactly once', async () => {
    const json = await sink();
    const slack = await sink();
    const w = notifyWorld([
      { url: json.url, format: 'json' },
      { url: slack.url, format: 'slack', events: ['release.completed'] },
    ]);
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    for (let i = 0; i < 3; i++) {
      await w.push(undefined);
      for (const region of REGIONS) await w.push(region);
    }
    // The webhook only records: nothing is sent in its answer path.
    expect(json.received).toHaveLength(0);

    await w.settle();
    await expectRolledOutOnce(w);
    expect(events(json)).toEqual([
      'region.succeeded eastus',
      'region.succeeded southeastasia',
      'region.succeeded westeurope',
      'release.completed',
    ]);
    expect(slack.received).toHaveLength(1);
    expectSlackBody(slack.received[0]!.body);
    expect(String(slack.received[0]!.body.text)).toContain('finished in every region');
    const completed = json.received.find((r) => r.body.event === 'release.completed')!;
    expect(completed.body).toMatchObject({ version: 1, state: 'succeeded', release: { digest: DIGEST } });
    expect(String(completed.body.link)).toMatch(/^https:\/\/status\.example\/api\/dashboard#release=/);
    // One Idempotency-Key per (event, target): a receiver could drop a repeat by it.
    const keys = [...json.received, ...slack.received].map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);

    // More runs later change nothing.
    w.clock.advance(3600);
    await Promise.all([
      reconcileAll(w.deps, w.log, { scan: false }),
      reconcileAll(w.deps, w.log, { scan: false }),
    ]);
    expect(json.received).toHaveLength(4);
    expect(slack.received).toHaveLength(1);

    const view = await getNotifications(w);
    expect(view.status).toBe(200);
    expect(view.body.deliveries).toHaveLength(5);
    expect(view.body.deliveries.every((d) => d.status === 'delivered' && d.attempts === 1)).toBe(true);
    const ats = view.body.deliveries.map((d) => Date.parse(String(d.at)));
    expect([...ats].sort((a, b) => b - a)).toEqual(ats);
    expect(JSON.stringify(view.body)).not.toContain('S3CRET');
    expect(w.logs.lines.join('\n')).not.toContain('S3CRET');
    expect(w.logs.lines.join('\n')).not.toContain('SIGs3cr3t');
  });

  it('when a sink answers 500 then 200, then it gets one delivery after a retry', async () => {
    const flaky = await sink((n) => (n === 0 ? 500 : 200));
    const w = notifyWorld([{ url: flaky.url, format: 'json', events: ['release.completed'] }]);
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    await w.settle();
    await expectRolledOutOnce(w);
    expect(flaky.refused).toBe(1);
    expect(events(flaky)).toEqual(['release.completed']);
    const [row] = (await getNotifications(w)).body.deliveries;
    expect(row).toMatchObject({
      event: 'release.completed',
      status: 'delivered',
      attempts: 2,
      format: 'json',
      targetHost: new URL(flaky.url).host,
    });
  });

  it('when a target keeps failing, then rollouts finish and the failure is visible, bounded and URL-free', async () => {
    const broken = await sink(() => 503);
    const w = notifyWorld([{ url: broken.url, format: 'teams' }]);
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    for (let i = 0; i < 30 && (await w.store.listActiveReleases()).length > 0; i++) {
      await reconcileAll(w.deps, w.log, { scan: false });
      w.clock.advance(10);
    }
    await expectRolledOutOnce(w);
    // Later runs retry with back-off until the bound, then give up.
    for (let i = 0; i < 20; i++) {
      w.clock.advance(1800);
      await reconcileAll(w.deps, w.log, { scan: false });
    }
    const rows = (await getNotifications(w)).body.deliveries;
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r).toMatchObject({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS, lastStatus: 503 });
      expect(String(r.lastError)).toMatch(/^HTTP 503/);
    }
    expect(broken.refused).toBe(4 * MAX_DELIVERY_ATTEMPTS);
    expect(w.logs.lines.join('\n')).not.toContain('S3CRET');
  });

  it('when a target answers 500 echoing its URL (percent-encoded, and its token as a bare path segment), then neither lastError nor a log line holds the token', async () => {
    const echoing = await sink(
      () => 500,
      (path) =>
        `upstream error for ${encodeURIComponent(`http://127.0.0.1${path}`)}; token ${path.split('/')[2]!.split('?')[0]}`,
    );
    const w = notifyWorld([{ url: echoing.url, format: 'slack' }]);
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    for (let i = 0; i < 30 && (await w.store.listActiveReleases()).length > 0; i++) {
      await reconcileAll(w.deps, w.log, { scan: false });
      w.clock.advance(10);
    }
    await expectRolledOutOnce(w);
    expect(echoing.refused).toBeGreaterThan(0);
    const rows = (await getNotifications(w)).body.deliveries;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r).toMatchObject({ lastStatus: 500, lastError: 'HTTP 500' });
    const logged = w.logs.lines.filter((l) => l.includes('notification.failed'));
    expect(logged.length).toBeGreaterThan(0);
    for (const text of [JSON.stringify(rows), ...w.logs.lines]) {
      expect(text).not.toContain('S3CRET');
      expect(text).not.toContain('SIGs3cr3t');
    }
  });

  it('when a region fails, then region.failed, release.halted and release.completed go out once each', async () => {
    const json = await sink();
    const w = notifyWorld([{ url: json.url, format: 'json' }], { policy: { maxAttempts: 1 } });
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    w.executor.outcome = (cmd) =>
      cmd.region === 'eastus'
        ? { kind: 'failed', reason: 'ImagePullBackOff', transient: false }
        : { kind: 'succeeded' };
    await w.push(undefined);
    await w.settle();
    expect(events(json)).toEqual(['region.failed eastus', 'release.completed', 'release.halted']);
    const completed = json.received.find((r) => r.body.event === 'release.completed')!;
    expect(completed.body.state).toBe('failed');
    expect(w.executor.started.map((s) => s.region)).toEqual(['eastus']);
  });

  it('when a region makes no progress for stuckAfterSeconds, then region.stuck goes out once', async () => {
    const json = await sink();
    const w = notifyWorld([{ url: json.url, format: 'json', events: ['region.stuck'] }], {
      policy: { replicationTimeoutSeconds: 7200, stuckAfterSeconds: 900 },
    });
    w.registry.hold('eastus', 'my-app', DIGEST);
    w.registry.hold('westeurope', 'my-app', DIGEST);
    await w.push(undefined);
    for (let i = 0; i < 12; i++) {
      await Promise.all([
        reconcileAll(w.deps, w.log, { scan: false }),
        reconcileAll(w.deps, w.log, { scan: false }),
      ]);
      w.clock.advance(120);
    }
    expect(events(json)).toEqual(['region.stuck southeastasia']);
    expect(json.received[0]!.body).toMatchObject({ state: 'waiting-for-replica' });
    expect(String(json.received[0]!.body.reason)).toContain('no progress for 15 min');
    // The stuck-region alert counts these warnings; they name release, region and digest.
    const stuck = w.logs.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.event === 'rollout.stuck');
    expect(stuck.length).toBeGreaterThan(0);
    expect(
      stuck.every(
        (l) => l.region === 'southeastasia' && l.digest === DIGEST && typeof l.releaseId === 'string',
      ),
    ).toBe(true);
  });

  it('when ?limit= is not a number in range, then 400 names the parameter', async () => {
    const w = notifyWorld([]);
    const res = await getNotifications(w, '?limit=abc');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ parameter: 'limit' });
  });
});
