// Issue 15: the webhook is lean on Table Storage. Counted with the store's own operation counter
// (TableRolloutStore.operations: one per request the SDK sends, the counter bench/ingest.ts and
// bench/queue-wake.ts report) over Azurite, nudge off, through the handler as the host calls it.
import { beforeEach, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { HOME_REGION, REGIONS, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { sender, type Send } from './support';

/** Today's floor with the rows the planning writes (see README "Choices"); the goal is 4. */
const NEW_PUSH_MAX = 7 + REGIONS.length;

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

  it(`when a new push arrives, then it is planned (release, rollouts, delivery) in at most ${NEW_PUSH_MAX} table operations`, async () => {
    const { ops: n, res } = await counted(push('2.0.0'));
    expect(res.body.status).toBe('recorded');
    const id = res.body.releases?.[0];
    expect(id).toBeDefined();
    expect(await env.store.getRelease(id!)).toMatchObject({ tag: '2.0.0', status: 'active' });
    expect(await env.store.listRollouts(id!, REGIONS)).toHaveLength(REGIONS.length);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(NEW_PUSH_MAX);
  });

  it("when a new push arrives on the home region's URL, then its readiness signal costs one table operation more, and a repeat still one", async () => {
    const payload = push('3.0.0');
    const first = await counted(payload, HOME_REGION);
    expect(first.res.body.status).toBe('recorded');
    expect(first.ops).toBeLessThanOrEqual(NEW_PUSH_MAX + 1);
    expect((await env.store.listSignals('my-app', digestOf('my-app 3.0.0'))).map((s) => s.region)).toEqual([
      HOME_REGION,
    ]);
    const again = await counted(payload, HOME_REGION);
    expect(again.res.body.status).toBe('duplicate');
    expect(again.ops).toBeLessThanOrEqual(1);
  });
});
