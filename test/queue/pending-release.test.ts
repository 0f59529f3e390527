// The id the webhook answers with names a release at once, even before its rows are written out
// (nudge off, its wake-up not consumed yet): GET /api/releases/{id} shows it from its pending
// record, read-only, and an operator action on it writes it out first, then acts.
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { pauseRelease } from '../../src/app/operator/release-gates';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { makeReleaseDetailHandler } from '../../src/functions/status/release-detail';
import { digestOf, pushPayload } from '../support/acr-payloads';
import { REGIONS, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { sender } from '../intake/support';

async function getDetail(env: IntakeEnv, id: string): Promise<{ status: number; body: ReleaseDetailView }> {
  const res = await makeReleaseDetailHandler(env.resolveDeps)(
    new HttpRequest({ method: 'GET', url: `http://localhost/api/releases/${id}`, params: { id } }),
    new InvocationContext({ functionName: 'releaseDetail' }),
  );
  // As a client reads it: serialized and parsed back.
  return {
    status: res.status ?? 200,
    body: JSON.parse(JSON.stringify((res as HttpResponseInit).jsonBody)) as ReleaseDetailView,
  };
}

async function claimed(env: IntakeEnv, tag: string): Promise<string> {
  const res = await sender(env.resolveDeps)(
    pushPayload({ id: randomUUID(), repository: 'my-app', tag, digest: digestOf(`pending ${tag}`) }),
  );
  expect(res.body.status).toBe('recorded');
  const id = res.body.releases![0]!;
  expect(await env.store.getRelease(id), 'not written out yet').toBeUndefined();
  return id;
}

describe('a release claimed but not written out yet', () => {
  it('when its id is asked for, then the detail answers 200 from the pending record, marked pendingWriteOut, and writes nothing', async () => {
    const env = setupIntakeEnv();
    const id = await claimed(env, '3.0.0');
    const before = await env.storedCounts();
    const detail = await getDetail(env, id);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id,
      repository: 'my-app',
      tag: '3.0.0',
      digest: digestOf('pending 3.0.0'),
      status: 'active',
      source: 'webhook',
      pendingWriteOut: true,
      rollouts: [],
    });
    expect(await env.storedCounts()).toEqual(before);

    // Once written out, the same id shows the release itself, with its rollouts.
    expect(await env.writeOut()).toBe(1);
    const written = await getDetail(env, id);
    expect(written.status).toBe(200);
    expect(written.body.pendingWriteOut).toBeUndefined();
    expect(written.body.rollouts.map((r) => r.region).sort()).toEqual([...REGIONS].sort());
  });

  it('when an unknown id is asked for, then it is still 404 and nothing is written', async () => {
    const env = setupIntakeEnv();
    await claimed(env, '3.1.0');
    const before = await env.storedCounts();
    const res = await getDetail(env, '0000000000000-000000000000');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'not-found', id: '0000000000000-000000000000' });
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when an operator pauses it, then it is written out and paused, and its pending record is gone', async () => {
    const env = setupIntakeEnv();
    const id = await claimed(env, '3.2.0');
    const deps = env.resolveDeps();
    const out = await pauseRelease(deps, new Logger(silentSink), id, {
      actor: 'ops@example.com',
      reason: 'look first',
    });
    expect(out).toMatchObject({ kind: 'ok', status: 200 });
    expect(await env.store.getRelease(id)).toMatchObject({ paused: true, pausedBy: 'ops@example.com' });
    expect((await env.store.listRollouts(id, REGIONS)).length).toBe(REGIONS.length);
    expect(await env.store.getPendingRelease('my-app', id)).toBeUndefined();
    // Nothing left for the wake-up or the timer to write out.
    expect(await env.writeOut()).toBe(0);
  });
});
