// The webhook is lean on Table Storage. Counted with the store's own operation counter
// (TableRolloutStore.operations: one per request the SDK sends, the counter bench/ingest.ts and
// bench/queue-wake.ts report) over Azurite, nudge off, through the handler as the host calls it.
// What the webhook claimed is written out by the release's first wake-up (env.writeOut: the same
// module the wake-up and the timer call).
import { beforeEach, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { HOME_REGION, REGIONS, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { sender, type Send } from './support';

/**
 * The goal: a new push in at most 4 (read the delivery, read the tag head, claim the head
 * with its pending release, write the delivery); the release is written out by its wake-up.
 */
const NEW_PUSH_MAX = 4;

let env: IntakeEnv;
let send: Send;
let ops: () => number;
beforeEach(() => {
  env = setupIntakeEnv();
  const deps = appDeps(env.settings);
  send = sender(() => deps);
  ops = () => deps.store.operations;
});

function push(tag: string, id = newEventId()) {
  return pushPayload({
    id,
    repository: 'my-app',
    tag,
    digest: digestOf(`my-app ${tag}`),
    timestamp: new Date().toISOString(),
  });
}

/** The table operations one delivery costs, and its answer. */
async function counted(payload: unknown, region?: string) {
  const before = ops();
  const res = await send(payload, region === undefined ? {} : { region });
  return { ops: ops() - before, res };
}

describe('webhook table operations', () => {
  beforeEach(async () => {
    // The first call creates the tables (once per process): not a webhook's cost.
    expect((await counted(push('0.0.1'))).res.body.status).toBe('recorded');
    await env.writeOut();
  });

  it('when a delivery is repeated, then the repeat answers duplicate with the same release in one table operation and stores nothing', async () => {
    const payload = push('1.0.0');
    const first = await counted(payload, HOME_REGION);
    expect(first.res.body.status).toBe('recorded');
    const stored = await env.storedCounts();
    const again = await counted(payload, HOME_REGION);
    expect(again.res.status).toBe(202);
    expect(again.res.body).toMatchObject({ status: 'duplicate', releases: first.res.body.releases });
    expect(again.ops).toBeLessThanOrEqual(1);
    expect(await env.storedCounts()).toEqual(stored);
  });

  it(`when a new push arrives, then it is claimed in at most ${NEW_PUSH_MAX} table operations and its first wake-up writes the release out`, async () => {
    const { ops: n, res } = await counted(push('2.0.0'));
    expect(res.body.status).toBe('recorded');
    const id = res.body.releases?.[0];
    expect(id).toBeDefined();
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(NEW_PUSH_MAX);
    expect(await env.store.getPendingRelease('my-app', id!)).toMatchObject({ release: { tag: '2.0.0' } });
    expect(await env.writeOut()).toBe(1);
    expect(await env.store.getRelease(id!)).toMatchObject({ tag: '2.0.0', status: 'active' });
    expect(await env.store.listRollouts(id!, REGIONS)).toHaveLength(REGIONS.length);
    expect(await env.store.getPendingRelease('my-app', id!)).toBeUndefined();
  });

  it("when a new push arrives on the home region's URL, then its readiness signal costs no operation more (it rides in the claim), and a repeat still one", async () => {
    const payload = push('3.0.0');
    const first = await counted(payload, HOME_REGION);
    expect(first.res.body.status).toBe('recorded');
    expect(first.ops).toBeLessThanOrEqual(NEW_PUSH_MAX);
    const again = await counted(payload, HOME_REGION);
    expect(again.res.body.status).toBe('duplicate');
    expect(again.ops).toBeLessThanOrEqual(1);
    await env.writeOut();
    expect((await env.store.listSignals('my-app', digestOf('my-app 3.0.0'))).map((s) => s.region)).toEqual([
      HOME_REGION,
    ]);
  });

  it('when another region reports a known push, then its signal is kept in at most 4 operations and joins the same release', async () => {
    const tag = '3.1.0';
    const home = await counted(push(tag), HOME_REGION);
    const far = await counted(push(tag), 'westeurope');
    expect(far.res.body).toMatchObject({ status: 'recorded', releases: home.res.body.releases });
    expect(far.ops).toBeLessThanOrEqual(NEW_PUSH_MAX);
    await env.writeOut();
    const regions = (await env.store.listSignals('my-app', digestOf(`my-app ${tag}`))).map((s) => s.region);
    expect(regions.sort()).toEqual([HOME_REGION, 'westeurope'].sort());
  });

  it("when a tag that already has a release is pushed again with a new digest, then that too is at most 4 operations (the head remembers the tag's digests)", async () => {
    const first = await counted(push('stable'), HOME_REGION);
    const next = pushPayload({
      id: newEventId(),
      repository: 'my-app',
      tag: 'stable',
      digest: digestOf('my-app stable, second build'),
      timestamp: new Date(Date.now() + 1000).toISOString(),
    });
    const second = await counted(next, HOME_REGION);
    expect(second.res.body.status).toBe('recorded');
    expect(second.res.body.releases).not.toEqual(first.res.body.releases);
    expect(second.ops).toBeLessThanOrEqual(NEW_PUSH_MAX);
    expect(await env.writeOut()).toBe(2);
  });
});
