// The local host end to end: real HTTP over 127.0.0.1 to the same function registrations, backed
// by the shared Azurite. First in-process (startLocalHost), then as the process a developer runs.
import { eventually } from '../support/eventually';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/azurite';
import { startLocalHost, type LocalHost } from '../../dev/local-host';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { bearer, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';

const ROOT = path.resolve(__dirname, '..', '..');

const push = (tag: string) =>
  pushPayload({
    repository: 'my-app',
    tag,
    digest: digestOf(`e2e ${tag}`),
    id: newEventId(),
    timestamp: '2026-04-01T08:00:00.0000000Z',
  });

interface Answer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const postJson = (
  url: string,
  body: unknown,
  headers: Record<string, string> = { authorization: bearer() },
) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('local host in-process', () => {
  let env: IntakeEnv;
  let host: LocalHost;
  const logs: string[] = [];

  beforeAll(async () => {
    env = setupIntakeEnv();
    host = await startLocalHost({
      port: 0,
      settings: env.settings,
      timers: false,
      logRequests: false,
      log: (level, message) => logs.push(`${level} ${message}`),
    });
  });
  afterAll(async () => {
    await host.stop();
  });

  it('when a push is POSTed to a regional webhook URL, then it answers 202 recorded and the release is stored', async () => {
    // The home region's URL: the registry here is not reachable, so a far region's delivery of a new
    // push would not be planned from (it cannot be ordered by the registry's push time).
    const payload = push('2.0.0');
    const res = await postJson(`${host.url}/api/acr/events/eastus`, payload);
    expect(res.status).toBe(202);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body.status).toBe('recorded');
    const [id] = res.body.releases as string[];
    // Written out by its first wake-up (the local host serves the queue): within a second or so.
    expect(await eventually('the release', () => env.store.getRelease(id!))).toMatchObject({
      repository: 'my-app',
      tag: '2.0.0',
      announcedBy: 'eastus',
    });

    const again = await postJson(`${host.url}/api/acr/events/eastus`, payload);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'duplicate', releases: [id] });
  });

  it('when a route no function serves is requested, then 404 JSON', async () => {
    const res = await call(`${host.url}/api/nothing/here`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: 'not-found', message: 'no function serves POST /api/nothing/here' });
  });

  it('when the webhook route is requested with GET, then 405 JSON', async () => {
    const res = await call(`${host.url}/api/acr/events/eastus`);
    expect(res.status).toBe(405);
    expect(res.body.error).toBe('method-not-allowed');
  });

  it('when a push carries no Authorization header, then 401 and nothing is stored', async () => {
    const before = await env.storedCounts();
    const res = await postJson(`${host.url}/api/acr/events/eastus`, push('3.0.0'), {});
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when a 70 KiB body is POSTed, then 413 and nothing is stored', async () => {
    const before = await env.storedCounts();
    const res = await postJson(`${host.url}/api/acr/events/eastus`, {
      ...push('4.0.0'),
      padding: 'x'.repeat(70 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('payload-too-large');
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when a web page on another origin posts to it (simple text/plain, foreign Origin, rebound Host), then 403/415 and nothing is held', async () => {
    const holds = () => call(`${host.url}/api/holds`);
    const own = host.url;
    const attempts: Array<[string, RequestInit | { host: string }, number]> = [
      // A form or a "simple" fetch: no preflight, so no Content-Type: application/json.
      [
        'text/plain body',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"region":"eastus"}' },
        415,
      ],
      [
        'form body',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'region=eastus',
        },
        415,
      ],
      ['no content type', { method: 'POST', body: new Uint8Array(Buffer.from('{"region":"eastus"}')) }, 415],
      [
        'a JSON body from another origin',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
          body: '{"region":"eastus"}',
        },
        403,
      ],
      [
        'a bodiless action from another origin',
        { method: 'POST', headers: { origin: 'http://127.0.0.1.evil.example:1' } },
        403,
      ],
      [
        'null origin',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'null' },
          body: '{"region":"eastus"}',
        },
        403,
      ],
    ];
    for (const [what, init, status] of attempts) {
      const res = await call(`${own}/api/holds`, init as RequestInit);
      expect(res.status, what).toBe(status);
      expect(String(res.body.message), what).toMatch(
        status === 415 ? /application\/json/ : /another origin|answers only/,
      );
    }
    // DNS rebinding: the browser connects to 127.0.0.1 but names the attacker's host.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/api/holds',
          method: 'GET',
          headers: { host: `evil.example:${host.port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
    expect((await holds()).body.holds).toEqual([]);
    // Its own page's requests (same origin, JSON) and localhost pass.
    const placed = await postJson(`${own}/api/holds`, { region: 'eastus' }, { origin: own });
    expect(placed.status).toBe(201);
    const lifted = await call(`http://localhost:${host.port}/api/holds/${String(placed.body.id)}`, {
      method: 'DELETE',
      headers: { origin: `http://localhost:${host.port}` },
    });
    expect(lifted.status).toBe(200);
    expect((await holds()).body.holds).toEqual([]);
  });

  it('when the host is stopped, then it stops listening and a second stop is harmless', async () => {
    const other = await startLocalHost({
      port: 0,
      settings: env.settings,
      timers: false,
      logRequests: false,
    });
    const res = await postJson(`${other.url}/api/acr/events/eastus`, push('5.0.0'));
    expect(res.status).toBe(202);
    await other.stop();
    await expect(fetch(`${other.url}/api/acr/events/eastus`, { method: 'POST' })).rejects.toThrow();
    await expect(other.stop()).resolves.toBeUndefined();
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});

describe('local host as a process (tsx dev/local-host.ts)', () => {
  interface Spawned {
    child: ChildProcess;
    url: string;
    output: () => string;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  }

  async function spawnHost(env: IntakeEnv): Promise<Spawned> {
    const port = await freePort();
    // Node itself with tsx as a loader: one process, so signals (and a SIGKILL on cleanup) reach
    // the host directly. npx, and the tsx CLI, put a parent in between that can orphan the host.
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/local-host.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env.settings,
        PORT: String(port),
        RECONCILE_SCHEDULE: '0 */30 * * * *',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const url = `http://127.0.0.1:${port}`;
    // Wait until it answers (bounded by the test timeout, not asserted on).
    for (;;) {
      if (child.exitCode !== null) throw new Error(`local host exited early:\n${output}`);
      try {
        await fetch(`${url}/api/ready-probe`, { signal: AbortSignal.timeout(1000) });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { child, url, output: () => output, exited };
  }

  const killIfRunning = (s: Spawned | undefined) => {
    if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  };

  it('when the local host runs as a process, then it records a push and exits 0 on SIGTERM', async () => {
    const env = setupIntakeEnv();
    let host: Spawned | undefined;
    try {
      host = await spawnHost(env);
      const res = await postJson(`${host.url}/api/acr/events/eastus`, push('6.0.0'));
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('recorded');
      const id = (res.body.releases as string[])[0]!;
      expect(await eventually('the release', () => env.store.getRelease(id))).toMatchObject({ tag: '6.0.0' });

      host.child.kill('SIGTERM');
      const exit = await host.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(host.output()).toContain('local-host: SIGTERM, stopping');
    } finally {
      killIfRunning(host);
    }
  }, 45_000);

  // Malformed percent-encoding in a route parameter once crashed the whole host (an unhandled
  // URIError outside the request's try/catch); it must get an answer and leave the host serving.
  it('when a route parameter has malformed percent-encoding, then the local host answers 4xx and keeps serving', async () => {
    const env = setupIntakeEnv();
    let host: Spawned | undefined;
    try {
      host = await spawnHost(env);
      const bad = await fetch(`${host.url}/api/acr/events/%E0%A4%A`, {
        method: 'POST',
        headers: { authorization: bearer(), 'content-type': 'application/json' },
        body: JSON.stringify(push('7.0.0')),
        signal: AbortSignal.timeout(5000),
      }).then(
        (r) => r.status,
        () => 0, // no answer at all
      );
      expect(bad >= 400 && bad < 500, `answered ${bad || 'nothing'}; host output:\n${host.output()}`).toBe(
        true,
      );
      const good = await postJson(`${host.url}/api/acr/events/eastus`, push('7.0.1'));
      expect(good.status).toBe(202);
    } finally {
      killIfRunning(host);
    }
  }, 45_000);
});
