// Push verification through the product's own path (local host, the real ACR and AKS adapters on
// the simulators, Table Storage on Azurite): the webhook alone never decides what is deployed.
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_SECRET, startStack, stackDeps, type Stack } from '../../dev/stack';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { isTerminal, type Release } from '../../src/core/model/records';
import { digestOf, digestOnlyPushPayload, newEventId, pushPayload } from '../support/acr-payloads';

const WORKLOAD = 'default/Deployment/my-app/my-app';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function post(stack: Stack, path: string, body: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${stack.host.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_SECRET}` },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    ms: performance.now() - t0,
  };
}

const releaseOf = async (stack: Stack, digest: string): Promise<Release | undefined> =>
  (await stackDeps(stack).store.listReleases({ limit: 100 })).releases.find((r) => r.digest === digest);

/** Steps the timer (scan + reconcile) until the release of `digest` is done. */
async function settle(stack: Stack, digest: string): Promise<ReleaseDetailView> {
  return until(`release of ${digest.slice(7, 19)} to finish`, async () => {
    await stack.host.runTimers();
    const release = await releaseOf(stack, digest);
    if (!release) return undefined;
    const view = await stack.api<ReleaseDetailView>(`/api/releases/${release.id}`);
    return view.status === 'done' && view.rollouts.every((r) => isTerminal(r.state)) ? view : undefined;
  });
}

/** Each cluster runs `digest`, the ledger says exactly what each cluster runs, one command per (release, region). */
async function expectInvariants(stack: Stack, digest: string): Promise<void> {
  const store = stackDeps(stack).store;
  for (const region of stack.regions) {
    const image = stack.aks.images(`aks-${region}`)[WORKLOAD];
    expect(image, region).toBe(`myregistry.azurecr.io/my-app@${digest}`);
    const ledger = await store.listLedger(region);
    expect(ledger.map((l) => [l.workload, l.digest, l.inFlightReleaseId])).toEqual([
      [WORKLOAD, digest, undefined],
    ]);
  }
  const starts = stack.aks
    .runCommands()
    .map((c) => `${c.cluster}|${/my-app@(sha256:[0-9a-f]{64})/.exec(c.script)?.[1] ?? '?'}`);
  expect(new Set(starts).size).toBe(starts.length);
  expect(stack.aks.pullFailures()).toBe(0);
}

async function deliveriesOf(stack: Stack, digest: string): Promise<Array<Record<string, unknown>>> {
  const table = TableClient.fromConnectionString(stack.settings.ROLLOUT_STORAGE!, 'rolloutdeliveries', {
    allowInsecureConnection: true,
  });
  const out: Array<Record<string, unknown>> = [];
  for await (const row of table.listEntities<Record<string, unknown>>())
    if (row.digest === digest) out.push(row);
  return out;
}

describe('registry verification of pushes', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      delays: { westeurope: 300, southeastasia: 600 },
      webhooks: 'home-only',
      timers: false,
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('when the registry cannot answer at intake, then the release is planned unverified, nothing starts while it stays so, and it rolls out once the reconciler verified it', async () => {
    // Every registry call on the home endpoint fails (the token endpoint still works).
    stack.acr.setFaults({ registry: { eastus: { kind: '503' } } });
    const push = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    const release = await until('the 1.0.0 webhook', () => releaseOf(stack, push.digest));
    const delivery = await until('the webhook answer', () =>
      Promise.resolve(
        stack.acr
          .deliveries()
          .find((d) => d.payload.target?.digest === push.digest && d.status !== undefined),
      ),
    );
    expect(delivery.status).toBe(202);
    expect(delivery.durationMs).toBeLessThan(5000);
    expect(release.verification).toBe('unverified');
    expect(release.verificationReason).toContain('503');
    expect(release.verifiedAt).toBeUndefined();

    // A timer run while the registry still fails: eastus is ready (its webhook) but waits.
    await stack.host.runTimers();
    const waiting = await stack.api<ReleaseDetailView>(`/api/releases/${release.id}`);
    const eastus = waiting.rollouts.find((r) => r.region === 'eastus')!;
    expect(eastus.state).toBe('replica-ready');
    expect(eastus.reason).toMatch(/waiting for the registry to confirm the push/);
    expect(waiting.verification).toBe('unverified');
    expect(stack.aks.runCommands()).toEqual([]);

    stack.acr.setFaults({ registry: { eastus: undefined } });
    const done = await settle(stack, push.digest);
    expect(done.verification).toBe('verified');
    expect(done.verifiedAt).toBeDefined();
    expect(done.verificationReason).toBeUndefined();
    for (const r of done.rollouts) {
      expect(r.state, `${r.region}: ${r.reason}`).toBe('succeeded');
      expect(Date.parse(r.startedAt!)).toBeGreaterThanOrEqual(Date.parse(done.verifiedAt!));
    }
    await expectInvariants(stack, push.digest);
  });

  it('when a push of a digest the registry tag does not point at is posted to every regional route, then nothing is planned or rolled out and each delivery is recorded rejected', async () => {
    const real = (await releaseOf(stack, stack.acr.pushes().at(-1)!.digest))!;
    const commandsBefore = stack.aks.runCommands().length;
    const forged = digestOf('forged 1.0.0');
    const answers = [];
    for (const region of stack.regions) {
      const body = pushPayload({
        id: newEventId(),
        timestamp: new Date().toISOString(),
        repository: 'my-app',
        tag: '1.0.0',
        digest: forged,
      });
      answers.push(await post(stack, `/api/acr/events/${region}`, body));
    }
    // A tag the registry never had, and a digest-only push of an unknown digest.
    const unknownTag = pushPayload({
      id: newEventId(),
      timestamp: new Date().toISOString(),
      repository: 'my-app',
      tag: '9.9.9',
      digest: forged,
    });
    answers.push(await post(stack, '/api/acr/events/westeurope', unknownTag));
    const digestOnly = digestOnlyPushPayload({
      id: newEventId(),
      timestamp: new Date().toISOString(),
      repository: 'my-app',
      digest: forged,
    });
    answers.push(await post(stack, '/api/acr/events/southeastasia', digestOnly));

    for (const a of answers) {
      expect(a.status).toBe(202);
      expect(a.body.status).toBe('rejected');
      expect(a.body.releases).toEqual([]);
      expect(String(a.body.reason)).toMatch(/^registry check: /);
      expect(a.ms).toBeLessThan(5000);
    }
    expect(String(answers[0]!.body.reason)).toContain(real.digest);

    await stack.host.runTimers();
    const store = stackDeps(stack).store;
    expect(await releaseOf(stack, forged)).toBeUndefined();
    expect((await store.getTagHead('my-app', '1.0.0'))?.digest).toBe(real.digest);
    expect(await store.getTagHead('my-app', '9.9.9')).toBeUndefined();
    expect(await store.listSignals('my-app', forged)).toEqual([]);
    const recorded = await deliveriesOf(stack, forged);
    expect(recorded).toHaveLength(answers.length);
    for (const d of recorded) expect(d.outcome).toBe('rejected');
    expect(stack.aks.runCommands()).toHaveLength(commandsBefore);
    await expectInvariants(stack, real.digest);
  });
});
