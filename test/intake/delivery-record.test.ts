// The delivery record is written once, with its outcome, before the answer (the lean
// webhook). A processing that fails (storage down mid-way) still leaves the record for audit,
// without an outcome, and ACR's redelivery completes it and plans the release once.
import { beforeEach, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import type { Deps } from '../../src/app/platform/deps';
import { dayOf, digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { REGIONS, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { readDeliveries } from '../support/table-rows';
import { sender, type Send } from './support';

const T0 = '2026-03-02T09:00:00.1234567Z';

let env: IntakeEnv;
let send: Send;
/** getTagHead calls left to fail, as a storage outage would (the real store does the rest). */
let failHeadReads = 0;

beforeEach(() => {
  env = setupIntakeEnv();
  const deps = appDeps(env.settings);
  const store = new Proxy(deps.store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      const f = (v as (...a: unknown[]) => unknown).bind(target);
      if (prop !== 'getTagHead') return f;
      return (...a: unknown[]) => {
        if (failHeadReads > 0) {
          failHeadReads--;
          return Promise.reject(new Error('storage unavailable (injected getTagHead failure)'));
        }
        return f(...a);
      };
    },
  });
  const faulty: Deps = { ...deps, store };
  send = sender(() => faulty);
  failHeadReads = 0;
});

describe('the delivery record', () => {
  it('when processing fails part-way, then the answer is 5xx, the record is kept without an outcome, and the redelivery completes it with one release', async () => {
    const payload = pushPayload({
      id: newEventId(),
      repository: 'my-app',
      tag: '4.0.0',
      digest: digestOf('my-app 4.0.0'),
      timestamp: T0,
    });
    failHeadReads = 1;
    const failed = await send(payload);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const [pending, ...more] = await readDeliveries(env, dayOf(T0));
    expect(more).toEqual([]);
    expect(pending).toMatchObject({ eventId: payload.id, tag: '4.0.0', releaseIds: [] });
    expect(pending?.outcome).toBeUndefined();
    expect((await env.store.listReleases({ limit: 10 })).releases).toEqual([]);

    const again = await send(payload);
    expect(again.status).toBe(202);
    const id = again.body.releases?.[0];
    expect(again.body.releases).toHaveLength(1);
    const [done, ...others] = await readDeliveries(env, dayOf(T0));
    expect(others).toEqual([]);
    expect(done).toMatchObject({ eventId: payload.id, outcome: 'recorded', releaseIds: [id] });
    await env.writeOut(); // what the release's first wake-up does
    expect((await env.store.listReleases({ limit: 10 })).releases.map((r) => r.id)).toEqual([id]);
    expect(await env.store.listRollouts(id!, REGIONS)).toHaveLength(REGIONS.length);

    const third = await send(payload);
    expect(third.body).toMatchObject({ status: 'duplicate', releases: [id] });
  });
});
