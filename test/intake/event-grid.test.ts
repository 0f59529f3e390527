// The Event Grid trigger `acrEventGrid` through its registered handler over Azurite: a push is the
// webhook's push (one delivery per event id, one release per (repository, tag, digest) across both
// intakes); a malformed event leaves only the record of its rejection; a storage failure throws,
// so Event Grid redelivers.
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeAcrEventGridHandler } from '../../src/functions/intake/acr-event-grid';
import type { ResolveDeps } from '../../src/functions/platform/registration';
import { digestOf, eventGridPushEvent } from '../support/acr-payloads';
import { failingStore, StorageDownError } from '../support/failing-store';
import { HOME_REGION, REGIONS, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { readDeliveries } from '../support/table-rows';
import { sender } from './support';

let env: IntakeEnv;
beforeEach(() => {
  env = setupIntakeEnv();
});

const T0 = '2026-03-01T10:00:00.1234567Z';

async function deliver(resolveDeps: ResolveDeps, event: unknown): Promise<string[]> {
  const logs: string[] = [];
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'acrEventGrid',
    logHandler: (level, ...args) => logs.push(`${level} ${args.map((a) => String(a)).join(' ')}`),
  });
  await makeAcrEventGridHandler(resolveDeps)(event as never, context);
  return logs;
}

const push = (o: { eventId?: string; digest?: string; tag?: string } = {}) =>
  eventGridPushEvent({
    repository: 'my-app',
    tag: o.tag ?? '1.4.0',
    digest: o.digest ?? digestOf('my-app 1.4.0'),
    timestamp: T0,
    eventId: o.eventId,
  });

describe('the Event Grid intake', () => {
  it('when ImagePushed arrives, then one release waits for every replica, and its redelivery is a duplicate', async () => {
    const event = push();
    await deliver(env.resolveDeps, event);
    const logs = await deliver(env.resolveDeps, event);
    expect(logs.join('\n')).toMatch(/webhook\.duplicate/);
    await env.writeOut();
    const { releases } = await env.store.listReleases({ limit: 10 });
    expect(releases.map((r) => [r.repository, r.tag, r.digest])).toEqual([
      ['my-app', '1.4.0', digestOf('my-app 1.4.0')],
    ]);
    const rollouts = await env.store.listRollouts(releases[0]!.id, REGIONS);
    expect(rollouts.map((r) => r.state)).toEqual(REGIONS.map(() => 'waiting-for-replica'));
    // Event Grid names no replica: no region counts as ready from it.
    expect(await env.store.listSignals('my-app', digestOf('my-app 1.4.0'))).toEqual([]);
    const deliveries = await readDeliveries(env, '2026-03-01');
    expect(deliveries.map((d) => [d.eventId, d.outcome])).toEqual([[String(event.id), 'recorded']]);
  });

  it('when the same push comes by the webhook and by Event Grid, then it is one release', async () => {
    const digest = digestOf('both paths');
    const viaWebhook = await sender(env.resolveDeps)(
      { ...(push({ digest }).data as object), id: randomUUID() },
      { region: HOME_REGION },
    );
    expect(viaWebhook.body.status).toBe('recorded');
    await deliver(env.resolveDeps, push({ digest }));
    await env.writeOut();
    const { releases } = await env.store.listReleases({ limit: 10 });
    expect(releases.map((r) => r.id)).toEqual(viaWebhook.body.releases);
  });

  it('when an event is malformed, then it is answered with a log line naming the problem, and only the record of its rejection is stored', async () => {
    const bad = push();
    (bad.data as { target: { digest: string } }).target.digest = 'sha256:not-a-digest';
    const logs = await deliver(env.resolveDeps, bad);
    expect(logs.join('\n')).toMatch(/eventgrid\.rejected.*data\.target\.digest/);
    expect(await env.storedCounts()).toMatchObject({
      deliveries: 1,
      releases: 0,
      regions: 0,
      signals: 0,
      heads: 0,
    });
    const today = new Date().toISOString().slice(0, 10);
    expect((await readDeliveries(env, today)).map((d) => [d.outcome, d.reason?.slice(0, 40)])).toEqual([
      ['rejected', 'invalid-event: data.target.digest: must '],
    ]);
  });

  it('when another ACR event type arrives, then it is ignored with a log line and nothing is stored', async () => {
    const logs = await deliver(env.resolveDeps, {
      ...push(),
      eventType: 'Microsoft.ContainerRegistry.ImageDeleted',
    });
    expect(logs.join('\n')).toMatch(/eventgrid\.ignored.*ImageDeleted/);
    expect((await env.storedCounts()).total).toBe(0);
  });

  it('when the store fails, then the invocation throws (Event Grid redelivers) and the redelivery records it', async () => {
    const deps = env.resolveDeps();
    const failing = failingStore(deps.store);
    failing.failCalls('claimTagHead', 1);
    const event = push({ digest: digestOf('after an outage') });
    await expect(deliver(() => ({ ...deps, store: failing.store }), event)).rejects.toBeInstanceOf(
      StorageDownError,
    );
    await deliver(() => ({ ...deps, store: failing.store }), event);
    await env.writeOut();
    const { releases } = await env.store.listReleases({ limit: 10 });
    expect(releases.map((r) => r.digest)).toEqual([digestOf('after an outage')]);
  });
});
