// The Event Grid intake through the product's own path: the local host's Event Grid endpoint
// (/runtime/webhooks/eventgrid?functionName=acrEventGrid, as the Functions host serves it), the
// ACR simulator delivering pushes as the registry's Event Grid subscription (retried until 2xx),
// the real ACR and AKS adapters on the simulators, Azurite. Invariants at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, stackDeps, type Stack } from '../../dev/stack';
import { releaseDone } from '../status/support';
import { expectInvariants } from '../support/invariants';
import { eventGridPushEvent } from '../support/acr-payloads';

const WORKLOAD = 'default/Deployment/my-app/my-app';
const EVENT_GRID = '/runtime/webhooks/eventgrid?functionName=acrEventGrid';

async function postEventGrid(stack: Stack, eventType: string, body: unknown) {
  const res = await fetch(`${stack.host.url}${EVENT_GRID}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': eventType },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const releasesOf = async (stack: Stack, digest: string) =>
  (await stackDeps(stack).store.listReleases({ limit: 100 })).releases.filter((r) => r.digest === digest);

describe('Event Grid as the only intake (no webhooks)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ webhooks: 'none', eventGrid: true, rolloutMs: 100, defaultDelayMs: 200 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers the subscription validation handshake with its code', async () => {
    const code = '512d38b6-c7b8-40c8-89fe-f46f9e9622b6';
    const res = await postEventGrid(stack, 'SubscriptionValidation', [
      {
        id: '2d1781af-3a4c-4d7c-bd0c-e34b19da4e66',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        subject: '',
        eventTime: new Date().toISOString(),
        data: { validationCode: code },
        dataVersion: '2',
        metadataVersion: '1',
      },
    ]);
    expect(res).toEqual({ status: 200, body: { validationResponse: code } });
  });

  it('when a push arrives only by Event Grid, then every region rolls it out once its replica holds it', async () => {
    const { digest } = stack.acr.push({ repository: 'my-app', tag: '2.0.0' });
    await releaseDone(stack, digest);
    expect(await releasesOf(stack, digest)).toHaveLength(1);
    const delivered = stack.acr.deliveries().filter((d) => d.payload.target?.digest === digest);
    expect(delivered.map((d) => [d.status, d.attempts])).toEqual([[202, 1]]);
    await expectInvariants(stack, { [WORKLOAD]: digest });
  });

  it('when the same event is delivered twice and a malformed one arrives, then one release, and the malformed one is answered without a retry', async () => {
    const { digest } = stack.acr.push({ repository: 'my-app', tag: '2.1.0', webhooks: false });
    const event = eventGridPushEvent({
      repository: 'my-app',
      tag: '2.1.0',
      digest,
      timestamp: new Date().toISOString(),
    });
    const [a, b] = await Promise.all([
      postEventGrid(stack, 'Notification', [event]),
      postEventGrid(stack, 'Notification', [event]),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const bad = {
      ...eventGridPushEvent(),
      data: { action: 'push', target: { repository: 'UPPER', digest: 'x' } },
    };
    expect((await postEventGrid(stack, 'Notification', [bad])).status).toBe(202);
    await releaseDone(stack, digest);
    expect(await releasesOf(stack, digest)).toHaveLength(1);
    await expectInvariants(stack, { [WORKLOAD]: digest });
  });
});

describe('both intakes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ eventGrid: true, rolloutMs: 100, defaultDelayMs: 200 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('when a push arrives by the regional webhooks and by Event Grid, then it is one release, rolled out once per region', async () => {
    const { digest } = stack.acr.push({ repository: 'my-app', tag: '3.0.0' });
    await releaseDone(stack, digest);
    await stack.acr.deliveriesSettled();
    const kinds = stack.acr
      .deliveries()
      .filter((d) => d.payload.target?.digest === digest)
      .map((d) => (d.url.includes('eventgrid') ? 'event-grid' : 'webhook'));
    expect(kinds.filter((k) => k === 'event-grid')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'webhook')).toHaveLength(stack.regions.length);
    expect(await releasesOf(stack, digest)).toHaveLength(1);
    await expectInvariants(stack, { [WORKLOAD]: digest });
  });
});
