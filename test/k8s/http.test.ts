// The Kubernetes API exchange's retries, against a loopback server that answers what each test
// scripts: the waits come from the core's back-off, or from Retry-After (delta-seconds or an
// HTTP date; a negative or garbage value is no hint), never longer than 30 s.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  K8sApiError,
  k8sRequest,
  type K8sHttpOptions,
} from '../../src/adapters/clusters/kubernetes-api/http';

type Scripted = { status: number; headers?: Record<string, string>; body?: string };

const servers: Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(answers: Scripted[]): Promise<string> {
  const server = createServer((_req, res) => {
    const a = answers.shift() ?? { status: 200, body: '{}' };
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body ?? '{"kind":"Status","message":"try later"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function options(waits: number[]): K8sHttpOptions {
  return {
    timeoutMs: 2_000,
    maxAttempts: 3,
    backoffBaseMs: 100,
    random: () => 0.5,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

const get = (server: string, waits: number[]) =>
  k8sRequest<{ ok?: boolean }>(
    { server, token: 't' },
    {
      method: 'GET',
      path: '/apis/apps/v1/namespaces/shop/deployments/web',
      ctx: { verb: 'get', resource: 'deployments', group: 'apps', namespace: 'shop', name: 'web' },
    },
    options(waits),
  );

describe('k8sRequest retries', () => {
  it('waits full-jitter back-off (doubling) without a hint, and answers the 2xx body', async () => {
    const waits: number[] = [];
    const url = await serve([{ status: 503 }, { status: 500 }, { status: 200, body: '{"ok":true}' }]);
    expect(await get(url, waits)).toEqual({ ok: true });
    expect(waits).toEqual([50, 100]);
  });

  it('waits what Retry-After asks (delta-seconds or an HTTP date), at most 30 s', async () => {
    const waits: number[] = [];
    const soon = new Date(Date.now() + 60_000).toUTCString();
    const url = await serve([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 429, headers: { 'retry-after': soon } },
      { status: 200, body: '{}' },
    ]);
    await get(url, waits);
    expect(waits[0]).toBe(3_000);
    expect(waits[1]).toBe(30_000);
  });

  it('takes a negative or garbage Retry-After as no hint: the back-off applies', async () => {
    const waits: number[] = [];
    const url = await serve([
      { status: 429, headers: { 'retry-after': '-5' } },
      { status: 429, headers: { 'retry-after': 'foo 5' } },
      { status: 200, body: '{}' },
    ]);
    await get(url, waits);
    expect(waits).toEqual([50, 100]);
  });

  it('gives up after the attempts with the last refusal, and does not retry a 4xx', async () => {
    const waits: number[] = [];
    const url = await serve([{ status: 503 }, { status: 503 }, { status: 503 }]);
    await expect(get(url, waits)).rejects.toMatchObject({ kind: 'server', status: 503, attempts: 3 });
    const refused: number[] = [];
    const url403 = await serve([{ status: 403 }]);
    const err = await get(url403, refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8sApiError);
    expect(err).toMatchObject({ kind: 'forbidden', attempts: 1 });
    expect(refused).toEqual([]);
  });
});
