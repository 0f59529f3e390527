// The cross-tag ordering gap (docs/choices.md "Same push vs new push"), through the product's own path (local host, the
// real ACR and AKS adapters on the simulators, Table Storage on Azurite). With landing-time
// regional stamps, a far region announces a push with the time the image landed there. When the
// home webhook of push X (tag 1.0.0) is lost and a later push Y (tag 1.0.1) was announced by home,
// X's regional delivery carries a time after Y's push: ordered by it, X would look newer and roll
// every cluster back from Y to X. Releases are ordered by the home registry's push time instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_SECRET, startStack, stackDeps, type Stack } from '../../dev/stack';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { isTerminal, type Release } from '../../src/core/model/records';
import { newEventId, pushPayload } from '../support/acr-payloads';

const WORKLOAD = 'default/Deployment/my-app/my-app';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** One ACR delivery of `push` as `region`'s webhook would send it, with the given timestamp. */
async function deliver(
  stack: Stack,
  region: string,
  push: { repository: string; tag: string; digest: string },
  timestamp: string,
) {
  const res = await fetch(`${stack.host.url}/api/acr/events/${region}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_SECRET}` },
    body: JSON.stringify(pushPayload({ id: newEventId(), timestamp, ...push })),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
}

const releaseOf = async (stack: Stack, digest: string): Promise<Release | undefined> =>
  (await stackDeps(stack).store.listReleases({ limit: 100 })).releases.find((r) => r.digest === digest);

/** Steps the timer (scan + reconcile) until the release of `digest` is done. */
const settle = (stack: Stack, digest: string) =>
  until(`release of ${digest.slice(7, 19)} to finish`, async () => {
    await stack.host.runTimers();
    const release = await releaseOf(stack, digest);
    if (!release) return undefined;
    const view = await stack.api<ReleaseDetailView>(`/api/releases/${release.id}`);
    return view.status === 'done' && view.rollouts.every((r) => isTerminal(r.state)) ? view : undefined;
  });

/** Every cluster runs `digest`, the ledger says so, and no applied command went back in push order. */
async function expectNewest(stack: Stack, digest: string, order: string[]): Promise<void> {
  await stack.aks.idle();
  const store = stackDeps(stack).store;
  for (const region of stack.regions) {
    expect(stack.aks.images(`aks-${region}`)[WORKLOAD], region).toBe(
      `myregistry.azurecr.io/my-app@${digest}`,
    );
    const ledger = await store.listLedger(region);
    expect(ledger.map((l) => [l.workload, l.digest, l.inFlightReleaseId])).toEqual([
      [WORKLOAD, digest, undefined],
    ]);
  }
  const ran = (stack.aks.state() as { runCommands: Array<{ commandId: string; exitCode?: number }> })
    .runCommands;
  const applied = new Set(ran.filter((r) => r.exitCode === 0).map((r) => r.commandId));
  for (const region of stack.regions) {
    const seq = stack.aks
      .runCommands()
      .filter((c) => c.cluster === `aks-${region}` && applied.has(c.commandId))
      .map((c) => order.indexOf(/my-app@(sha256:[0-9a-f]{64})/.exec(c.script)?.[1] ?? ''));
    expect(seq, `${region}: pushes applied in this order`).toEqual([...seq].sort((a, b) => a - b));
  }
}

describe('cross-tag ordering under landing-time regional stamps', () => {
  let stack: Stack;
  const order: string[] = [];
  beforeAll(async () => {
    // No webhooks of its own: the test posts each delivery, with the timestamp it names.
    stack = await startStack({
      delays: { westeurope: 200, southeastasia: 200 },
      webhooks: 'none',
      timers: false,
    });
  }, 60_000);
  afterAll(async () => stack?.stop());

  it('when an older push of another tag is first announced by a far region after a newer push, then it is ordered by the registry push time and rolls nothing back', async () => {
    const x = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    await new Promise((r) => setTimeout(r, 20)); // two pushes, 20 ms apart on the registry's clock
    const y = stack.acr.push({ repository: 'my-app', tag: '1.0.1' });
    order.push(x.digest, y.digest);
    await stack.acr.whenReplicated('my-app', y.digest);
    // Y by the home webhook; X's home webhook was lost, westeurope announces X with its landing time.
    expect((await deliver(stack, 'eastus', y, y.pushedAt)).body.status).toBe('recorded');
    const landing = new Date(Date.parse(y.pushedAt) + 3_000).toISOString();
    const late = await deliver(stack, 'westeurope', x, landing);
    expect(late.body.status).toBe('recorded');

    const relX = (await releaseOf(stack, x.digest))!;
    expect(relX.pushedAt, 'X is ordered by the registry push time, not its landing time').toBe(
      new Date(x.pushedAt).toISOString(),
    );
    await settle(stack, y.digest);
    await settle(stack, x.digest);
    const viewX = await stack.api<ReleaseDetailView>(`/api/releases/${relX.id}`);
    for (const r of viewX.rollouts) expect(r.state, `${r.region}: ${r.reason}`).not.toBe('succeeded');
    await expectNewest(stack, y.digest, order);
  }, 90_000);

  it('when the home registry cannot give the push time of a far region’s new push, then it is not planned from that delivery, and the tag scan plans it by the registry time', async () => {
    const z = stack.acr.push({ repository: 'my-app', tag: '1.0.2' });
    order.push(z.digest);
    // Every registry call on the home endpoint hangs for a while: the intake check gets no answer.
    stack.acr.setFaults({ registry: { eastus: { kind: 'hang', count: 4 } } });
    const landing = new Date(Date.parse(z.pushedAt) + 2_000).toISOString();
    const answer = await deliver(stack, 'westeurope', z, landing);
    expect(answer.status).toBe(202);
    expect(answer.body.status).toBe('ignored');
    expect(answer.body.reason).toMatch(/push time could not be read/);
    expect(await releaseOf(stack, z.digest)).toBeUndefined();
    stack.acr.setFaults({ registry: { eastus: undefined } });

    const view = await settle(stack, z.digest);
    expect(view.source).toBe('registry-scan');
    expect(view.pushedAt).toBe(new Date(z.pushedAt).toISOString());
    await expectNewest(stack, z.digest, order);
  }, 90_000);
});
