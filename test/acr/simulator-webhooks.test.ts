// The simulator's webhooks and replication, as a consumer (our HTTP function) sees them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AcrSimulator, type WebhookConfig } from '../../dev/acr-simulator';
import { handToken, startReceiver, type WebhookReceiver } from './support';

const SECRET = 'a-webhook-secret-of-some-length';
const REGIONS = ['eastus', 'westeurope', 'southeastasia'];

// The documented push payload (container-registry-webhook-reference): exactly these fields.
const pushPayload = z.strictObject({
  id: z.uuid(),
  timestamp: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7,9}Z$/),
  action: z.literal('push'),
  target: z.strictObject({
    mediaType: z.string().min(1),
    size: z.number().int().positive(),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
    length: z.number().int().positive(),
    repository: z.string().min(1),
    tag: z.string(),
  }),
  request: z.strictObject({
    id: z.uuid(),
    host: z.string().min(1),
    method: z.literal('PUT'),
    useragent: z.string(),
  }),
});
const deletePayload = z.strictObject({
  id: z.uuid(),
  timestamp: z.string(),
  action: z.literal('delete'),
  target: z.strictObject({ mediaType: z.string(), digest: z.string(), repository: z.string() }),
  request: z.strictObject({
    id: z.uuid(),
    host: z.string(),
    method: z.literal('DELETE'),
    useragent: z.string(),
  }),
});

let sim: AcrSimulator;
let receiver: WebhookReceiver;

function hooks(extra: Partial<WebhookConfig> = {}): WebhookConfig[] {
  return REGIONS.map((region) => ({
    region,
    url: `${receiver.url}/api/acr/events/${region}`,
    headers: { Authorization: `Bearer ${SECRET}` },
    ...extra,
  }));
}

beforeEach(async () => {
  receiver = await startReceiver();
  sim = await AcrSimulator.start({
    regions: REGIONS,
    home: 'eastus',
    delays: { westeurope: 80, southeastasia: 500 },
    seed: 7,
  });
  sim.setWebhooks(hooks());
});
afterEach(async () => {
  await sim.stop();
  await receiver.close();
});

const regionOf = (path: string): string => path.split('/').pop() ?? '';

describe('AcrSimulator webhooks', () => {
  it('when an image is pushed, then each region webhook fires once as replication lands there, receiving region first', async () => {
    const push = sim.push({ repository: 'team/my-app', tag: '1.4.0' });
    await receiver.waitFor(3);
    await sim.deliveriesSettled();

    expect(receiver.received.map((r) => regionOf(r.path))).toEqual(['eastus', 'westeurope', 'southeastasia']);
    for (const r of receiver.received) {
      const region = regionOf(r.path);
      const landed = sim.replicatedAt(region, 'team/my-app', push.digest);
      expect(landed).toBeDefined();
      expect(landed!.getTime()).toBeLessThanOrEqual(r.receivedAt);
    }
    expect(sim.deliveries().map((d) => [d.region, d.status, d.dropped, d.duplicate])).toEqual([
      ['eastus', 200, false, false],
      ['westeurope', 200, false, false],
      ['southeastasia', 200, false, false],
    ]);
  });

  it('when a webhook fires, then the body is the documented push payload and only the configured headers are added', async () => {
    const push = sim.push({ repository: 'my-app', tag: 'v1' });
    await receiver.waitFor(1);
    const first = receiver.received[0]!;

    expect(first.method).toBe('POST');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(first.headers['user-agent']).toMatch(/^AzureContainerRegistry\//);
    const allowed = ['host', 'content-type', 'content-length', 'authorization', 'user-agent', 'connection'];
    expect(first.rawHeaderNames.filter((h) => !allowed.includes(h))).toEqual([]);

    const body = pushPayload.parse(JSON.parse(first.body));
    expect(body.target).toEqual({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      size: push.size,
      digest: push.digest,
      length: push.size,
      repository: 'my-app',
      tag: 'v1',
    });
    expect(body.request.host).toBe(sim.loginServer);
  });

  it('when pushed by digest only, then the payload tag is empty', async () => {
    sim.push({ repository: 'my-app', mediaType: 'application/vnd.oci.image.index.v1+json' });
    await receiver.waitFor(1);
    const body = pushPayload.parse(JSON.parse(receiver.received[0]!.body));
    expect(body.target.tag).toBe('');
    expect(body.target.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('when the drop rate is 1, then nothing is sent and the log says every delivery was dropped', async () => {
    sim.setFaults({ dropRate: 1 });
    const push = sim.push({ repository: 'my-app', tag: 'v1' });
    await sim.whenReplicated('my-app', push.digest);
    await sim.deliveriesSettled();
    expect(receiver.received).toEqual([]);
    expect(sim.deliveries().map((d) => [d.region, d.dropped])).toEqual(REGIONS.map((r) => [r, true]));
  });

  it('when some deliveries are dropped, then exactly the ones not dropped arrive', async () => {
    sim.setFaults({ dropRate: 0.5 });
    const pushes = [0, 1, 2, 3].map((i) => sim.push({ repository: 'my-app', tag: `v${i}` }));
    await Promise.all(pushes.map((p) => sim.whenReplicated('my-app', p.digest)));
    await sim.deliveriesSettled();
    const sent = sim.deliveries().filter((d) => !d.dropped);
    expect(sim.deliveries()).toHaveLength(12);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThan(12);
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { id: string }).id).sort()).toEqual(
      sent.map((d) => d.eventId).sort(),
    );
  });

  it('when duplicates are switched on, then each region receives the same event several times', async () => {
    sim.setFaults({ duplicates: 2 });
    sim.push({ repository: 'my-app', tag: 'v1' });
    await receiver.waitFor(9);
    await sim.deliveriesSettled();
    for (const region of REGIONS) {
      const bodies = receiver.received.filter((r) => regionOf(r.path) === region).map((r) => r.body);
      expect(bodies).toHaveLength(3);
      expect(new Set(bodies).size).toBe(1);
    }
    expect(sim.deliveries().filter((d) => d.duplicate)).toHaveLength(6);
  });

  it('when reorder is switched on, then every delivery still arrives, in a shuffled order', async () => {
    // Several webhooks in the home region, so one landing is a batch of deliveries.
    const home = Array.from({ length: 6 }, (_, i) => ({
      region: 'eastus',
      url: `${receiver.url}/hook/${i}`,
    }));
    sim.setWebhooks(home);
    sim.setFaults({ reorder: true, reorderWindowMs: 100 });
    sim.push({ repository: 'my-app', tag: 'v1' });
    await receiver.waitFor(6);
    await sim.deliveriesSettled();
    const arrived = receiver.received.map((r) => regionOf(r.path));
    expect([...arrived].sort()).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(sim.deliveries().map((d) => d.url.split('/').pop())).not.toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('when the receiver does not answer within the webhook timeout, then the delivery is logged as timed out', async () => {
    await sim.stop();
    sim = await AcrSimulator.start({ regions: REGIONS, home: 'eastus', webhookTimeoutMs: 200 });
    const silent = http.createServer(() => undefined); // never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as AddressInfo).port;
      sim.setWebhooks([{ region: 'eastus', url: `http://127.0.0.1:${port}/api/acr/events/eastus` }]);
      sim.push({ repository: 'my-app', tag: 'v1' });
      await sim.deliveriesSettled();
      expect(sim.deliveries()[0]?.error).toMatch(/timed out after 200 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('when a webhook scope names another repository, then it does not fire', async () => {
    sim.setWebhooks(hooks({ scope: 'other-app:*' }));
    const push = sim.push({ repository: 'my-app', tag: 'v1' });
    await sim.whenReplicated('my-app', push.digest);
    await sim.deliveriesSettled();
    expect(receiver.received).toEqual([]);
  });

  it('when the receiver is down, then the delivery is logged with its error and not retried', async () => {
    sim.setWebhooks([{ region: 'eastus', url: 'http://127.0.0.1:9/api/acr/events/eastus' }]);
    sim.push({ repository: 'my-app', tag: 'v1' });
    await sim.deliveriesSettled();
    expect(sim.deliveries()).toHaveLength(1);
    expect(sim.deliveries()[0]!.error).toBeDefined();
    expect(sim.deliveries()[0]!.status).toBeUndefined();
  });

  it('when a manifest is deleted, then each region fires the documented delete payload', async () => {
    const push = sim.push({ repository: 'my-app', tag: 'v1' });
    await sim.whenReplicated('my-app', push.digest);
    await receiver.waitFor(3);
    expect(sim.deleteManifest('my-app', push.digest)).toBe(true);
    await receiver.waitFor(6);
    const deletes = receiver.received.slice(3).map((r) => deletePayload.parse(JSON.parse(r.body)));
    expect(deletes.map((d) => d.target.digest)).toEqual([push.digest, push.digest, push.digest]);
    expect(REGIONS.some((r) => sim.holds(r, 'my-app', push.digest))).toBe(false);
  });
});

describe('AcrSimulator replication', () => {
  it('when a tag is pushed again, then each replica moves the tag only as the new push lands there', async () => {
    const first = sim.push({ repository: 'my-app', tag: 'stable' });
    await sim.whenReplicated('my-app', first.digest);
    // southeastasia is held back (not raced against its replication delay) while it is checked.
    sim.setFaults({ stuckRegions: ['southeastasia'] });
    const second = sim.push({ repository: 'my-app', tag: 'stable' });

    const resolve = async (region: string): Promise<string | null> => {
      const base = `${sim.url}/${region}`;
      const res = await fetch(`${base}/v2/my-app/manifests/stable`, {
        method: 'HEAD',
        headers: {
          Accept: 'application/vnd.docker.distribution.manifest.v2+json',
          Authorization: `Bearer ${await handToken(base, sim.loginServer, 'repository:my-app:pull')}`,
        },
      });
      return res.headers.get('docker-content-digest');
    };
    expect(await resolve('eastus')).toBe(second.digest);
    await sim.whenParked('southeastasia', second.digest);
    expect(await resolve('southeastasia')).toBe(first.digest);
    sim.setFaults({ stuckRegions: [] });
    await sim.whenReplicated('my-app', second.digest);
    expect(await resolve('southeastasia')).toBe(second.digest);
  });

  it('when a region is stuck, then replication there waits until it is released', async () => {
    sim.setFaults({ stuckRegions: ['southeastasia'] });
    const push = sim.push({ repository: 'my-app', tag: 'v1' });
    // Explicit signals, not a pause: the landing came due there and was held back, and every
    // delivery started so far has finished.
    await sim.whenParked('southeastasia', push.digest);
    await sim.deliveriesSettled();
    expect(sim.holds('southeastasia', 'my-app', push.digest)).toBe(false);
    expect(receiver.received.map((r) => regionOf(r.path)).sort()).toEqual(['eastus', 'westeurope']);

    sim.setFaults({ stuckRegions: [] });
    await sim.whenReplicated('my-app', push.digest);
    await receiver.waitFor(3);
    expect(regionOf(receiver.received[2]!.path)).toBe('southeastasia');
  });

  it('when driven over the control API, then push, state, faults and deliveries work over HTTP', async () => {
    const pushed = await fetch(`${sim.url}/_control/push`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ repository: 'my-app', tag: 'v9' }),
    });
    expect(pushed.status).toBe(201);
    const record = (await pushed.json()) as { digest: string };
    await sim.whenReplicated('my-app', record.digest);

    const state = (await (await fetch(`${sim.url}/_control/state`)).json()) as {
      pushes: Array<{ digest: string; regions: Record<string, { landedAt?: string }> }>;
    };
    expect(state.pushes[0]?.digest).toBe(record.digest);
    expect(Object.values(state.pushes[0]!.regions).every((r) => r.landedAt !== undefined)).toBe(true);

    const faults = await fetch(`${sim.url}/_control/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ dropRate: 1 }),
    });
    expect(((await faults.json()) as { dropRate: number }).dropRate).toBe(1);

    await sim.deliveriesSettled();
    const deliveries = (await (await fetch(`${sim.url}/_control/deliveries`)).json()) as unknown[];
    expect(deliveries).toHaveLength(3);

    const bad = await fetch(`${sim.url}/_control/push`, {
      method: 'POST',
      body: JSON.stringify({ repository: 'Bad Name' }),
    });
    expect(bad.status).toBe(400);
  });
});
