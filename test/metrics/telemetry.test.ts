// startTelemetry: a no-op without APPLICATIONINSIGHTS_CONNECTION_STRING, and, end to end, the
// real @azure/monitor-opentelemetry exporter posting our metrics to a loopback ingestion
// endpoint over TLS (a self-signed certificate made with openssl, trusted by the child process
// through NODE_EXTRA_CA_CERTS, which Node reads only at start-up): from the Functions entry's
// telemetry start, with the instrumentation key and with the managed identity (a loopback App
// Service identity endpoint, IDENTITY_ENDPOINT/IDENTITY_HEADER, issues the token the exporter must
// send), and from the local host of `npm run dev`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ingestionHost,
  startTelemetry,
  telemetryIdentity,
  telemetryOptions,
} from '../../src/app/platform/telemetry';

const ROOT = join(__dirname, '..', '..');

describe('startTelemetry without a connection string', () => {
  it('does nothing, and says it did not start', async () => {
    const t = startTelemetry({});
    expect(t.started).toBe(false);
    await expect(t.shutdown()).resolves.toBeUndefined();
    expect(startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }).started).toBe(false);
    // The distro was never loaded (its start-up cost and any import-time throw are avoided).
    const cache = createRequire(__filename).cache;
    expect(Object.keys(cache).filter((k) => k.includes('monitor-opentelemetry'))).toEqual([]);
  });

  it('when no identity is configured, then the exporter gets the connection string alone', () => {
    expect(telemetryIdentity({})).toBeUndefined();
    expect(telemetryIdentity({ AZURE_CLIENT_ID: ' ' })).toBeUndefined();
    const options = telemetryOptions({}, 'InstrumentationKey=k');
    expect(options.azureMonitorExporterOptions).toEqual({ connectionString: 'InstrumentationKey=k' });
  });

  it('when the authentication string or the managed identity is configured, then the exporter is built with a ManagedIdentityCredential for it', () => {
    // As infra/ deploys it: the authentication string names the user-assigned identity.
    const deployed = { APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=aaaa-1111;Authorization=AAD' };
    expect(telemetryIdentity(deployed)).toEqual({ clientId: 'aaaa-1111' });
    const options = telemetryOptions(deployed, 'InstrumentationKey=k');
    // The SDK's own class (loaded by the app through require, so compare by name across builds).
    expect(options.azureMonitorExporterOptions?.credential?.constructor.name).toBe(
      'ManagedIdentityCredential',
    );
    expect(options.azureMonitorExporterOptions?.connectionString).toBe('InstrumentationKey=k');
    // The identity alone (AZURE_CLIENT_ID), and Entra ID with the system-assigned identity.
    expect(telemetryIdentity({ AZURE_CLIENT_ID: 'bbbb-2222' })).toEqual({ clientId: 'bbbb-2222' });
    expect(telemetryIdentity({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' })).toEqual({
      clientId: undefined,
    });
    expect(
      telemetryOptions({ AZURE_CLIENT_ID: 'bbbb-2222' }, 'InstrumentationKey=k').azureMonitorExporterOptions
        ?.credential?.constructor.name,
    ).toBe('ManagedIdentityCredential');
  });

  it('names only the ingestion host of a connection string', () => {
    expect(
      ingestionHost(
        'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x.in.ai.azure.com/',
      ),
    ).toBe('x.in.ai.azure.com');
    expect(ingestionHost('InstrumentationKey=k')).toBeUndefined();
  });
});

interface Envelope {
  name: string;
  iKey?: string;
  data?: {
    baseType?: string;
    baseData?: { metrics?: Array<Record<string, unknown>>; properties?: Record<string, string> };
  };
}

interface Post {
  path: string;
  authorization: string | undefined;
  envelopes: Envelope[];
}

describe('metrics exported to a loopback ingestion endpoint', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let identity: HttpServer;
  let identityPort: number;
  const posts: Post[] = [];
  const tokenRequests: URL[] = [];
  const children: ChildProcess[] = [];
  const TOKEN = 'fake-entra-token-for-monitor';
  const IDENTITY_HEADER = 'identity-header-secret';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'telemetry-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ], { stdio: 'ignore' }); // prettier-ignore
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.url?.startsWith('/v2.1/track')) {
            const raw = Buffer.concat(chunks);
            const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
            const parsed = JSON.parse(text) as Envelope | Envelope[];
            posts.push({
              path: `${req.method} ${req.url}`,
              authorization: req.headers.authorization,
              envelopes: Array.isArray(parsed) ? parsed : [parsed],
            });
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }));
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The App Service managed identity endpoint (api-version 2019-08-01), as on Flex Consumption.
    identity = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.headers['x-identity-header'] !== IDENTITY_HEADER) {
        res.writeHead(401).end();
        return;
      }
      tokenRequests.push(url);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: TOKEN,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: url.searchParams.get('resource'),
          token_type: 'Bearer',
        }),
      );
    });
    await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
    identityPort = (identity.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const child of children) {
      child.stdin?.end();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        await exited;
      }
    }
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    identity?.closeAllConnections();
    await new Promise<void>((resolve) => (identity ? identity.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const connectionString = (iKey: string) =>
    [
      `InstrumentationKey=${iKey}`,
      // http:// on purpose: the exporter rewrites it to https://, so TLS is what it speaks.
      `IngestionEndpoint=http://127.0.0.1:${port}/`,
      `LiveEndpoint=https://127.0.0.1:${port}/`,
    ].join(';');

  const exportEnv = (iKey: string, extra: Record<string, string> = {}) => ({
    ...process.env,
    APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString(iKey),
    NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
    ...extra,
  });

  /** The App Service identity endpoint and the identity infra/ configures (its authentication string). */
  const identityEnv = (clientId: string) => ({
    IDENTITY_ENDPOINT: `http://127.0.0.1:${identityPort}/msi/token`,
    IDENTITY_HEADER: IDENTITY_HEADER,
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${clientId};Authorization=AAD`,
  });

  function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    return { child, output: () => out };
  }

  const metricsOf = (iKey: string) => {
    const out = new Map<string, { metric: Record<string, unknown>; properties: Record<string, string> }>();
    for (const p of posts)
      for (const e of p.envelopes)
        if (e.iKey === iKey)
          for (const m of e.data?.baseData?.metrics ?? [])
            out.set(String(m.name), { metric: m, properties: e.data?.baseData?.properties ?? {} });
    return out;
  };

  async function waitFor(done: () => boolean, child: ChildProcess, ms = 45_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
  }

  const wanted = [
    'rollout.replication_lag',
    'rollout.reaction_delay',
    'rollout.duration',
    'rollout.outcomes',
    'webhook.deliveries',
    'notifications.deliveries',
  ];

  it('when OTEL_METRIC_EXPORT_INTERVAL is short, then every metric arrives within seconds with its attributes', async () => {
    const iKey = '11111111-2222-3333-4444-555555555555';
    const started = Date.now();
    const { child, output } = start([join(__dirname, 'fixtures', 'telemetry-child.ts')], exportEnv(iKey));
    let recordedAtMs: number | undefined;
    child.stdout?.on('data', () => {
      if (recordedAtMs === undefined && output().includes('child.recorded')) recordedAtMs = Date.now();
    });
    await waitFor(() => wanted.every((n) => metricsOf(iKey).has(n)), child);
    const arrivedAt = Date.now();
    const seen = metricsOf(iKey);
    expect([...seen.keys()].filter((n) => wanted.includes(n)).sort(), output()).toEqual([...wanted].sort());
    const recordedAt = recordedAtMs ?? started;
    console.log(
      `metrics reached the ingestion endpoint ${arrivedAt - recordedAt} ms after being recorded ` +
        `(${arrivedAt - started} ms after the child process started; export interval 500 ms)`,
    );

    expect(output()).toContain('"event":"telemetry.started"');
    expect(output()).toContain(`"ingestionHost":"127.0.0.1:${port}"`);
    expect(output()).toContain('"authentication":"instrumentation key"');
    expect(output()).not.toContain(iKey); // the key stays out of logs

    const lag = seen.get('rollout.replication_lag')!;
    expect(lag.metric).toMatchObject({ value: 42_000, count: 1 });
    expect(lag.properties).toMatchObject({ region: 'westeurope', repository: 'team/my-app' });
    expect(seen.get('rollout.outcomes')!.properties).toMatchObject({
      region: 'westeurope',
      state: 'succeeded',
    });
    expect(seen.get('webhook.deliveries')!.properties).toMatchObject({
      region: 'eastus',
      outcome: 'accepted',
    });
    expect(seen.get('notifications.deliveries')!.properties).toMatchObject({
      format: 'slack',
      outcome: 'ok',
    });
    const mine = posts.filter((p) => p.envelopes.some((e) => e.iKey === iKey));
    expect(mine.every((p) => p.path.startsWith('POST /v2.1/track'))).toBe(true);
    expect(mine.every((p) => p.authorization === undefined)).toBe(true);
  });

  it("when the managed identity is configured (as infra deploys it), then every export carries the identity's Entra token", async () => {
    const iKey = '22222222-2222-3333-4444-555555555555';
    const clientId = '0d0e0f00-1111-2222-3333-444455556666';
    const { child, output } = start(
      [join(__dirname, 'fixtures', 'telemetry-child.ts')],
      exportEnv(iKey, identityEnv(clientId)),
    );
    await waitFor(() => metricsOf(iKey).has('rollout.outcomes'), child);
    expect(metricsOf(iKey).has('rollout.outcomes'), output()).toBe(true);
    const mine = posts.filter((p) => p.envelopes.some((e) => e.iKey === iKey));
    expect(mine.length).toBeGreaterThan(0);
    for (const p of mine) expect(p.authorization).toBe(`Bearer ${TOKEN}`);
    // The token was asked for the user-assigned identity, for Azure Monitor.
    const asked = tokenRequests.filter((u) => u.searchParams.get('client_id') === clientId);
    expect(asked.length, output()).toBeGreaterThan(0);
    expect(asked[0]!.searchParams.get('resource')).toMatch(/^https:\/\/monitor\.azure\.com/);
    expect(output()).toContain(`"authentication":"managed identity ${clientId}"`);
    expect(output()).not.toContain(TOKEN);
  });

  it('when the local host of `npm run dev` runs with the connection string, then it exports too, the same way (one start path)', async () => {
    const iKey = '33333333-2222-3333-4444-555555555555';
    const clientId = '0a0b0c00-1111-2222-3333-444455556666';
    // `npm run dev` is `tsx dev/local-host.ts`: the same entry, with the sample settings
    // (UseDevelopmentStorage=true: its own in-memory Azurite) and these variables on top.
    const { child, output } = start(
      [join(ROOT, 'dev', 'local-host.ts')],
      exportEnv(iKey, { ...identityEnv(clientId), PORT: '0' }),
    );
    await waitFor(() => /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.test(output()), child, 30_000);
    const url = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1];
    expect(url, output()).toBeDefined();
    // One ACR ping through the webhook: the host counts it in webhook.deliveries.
    const res = await fetch(`${url}/api/acr/events/eastus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer local-dev-webhook-secret-0001' },
      body: JSON.stringify({ id: 'ping-1', timestamp: new Date().toISOString(), action: 'ping' }),
    });
    expect(res.status, await res.text()).toBeLessThan(500);
    await waitFor(() => metricsOf(iKey).has('webhook.deliveries'), child);
    const deliveries = metricsOf(iKey).get('webhook.deliveries');
    expect(deliveries, output()).toBeDefined();
    expect(deliveries!.properties).toMatchObject({ region: 'eastus' });
    for (const p of posts.filter((x) => x.envelopes.some((e) => e.iKey === iKey)))
      expect(p.authorization).toBe(`Bearer ${TOKEN}`);
    expect(tokenRequests.some((u) => u.searchParams.get('client_id') === clientId)).toBe(true);
    expect(output()).toContain('"event":"telemetry.started"');
    expect(output()).toContain(`"authentication":"managed identity ${clientId}"`);
    // A clean stop flushes and exits 0.
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
