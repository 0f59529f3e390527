// startTelemetry: a no-op without APPLICATIONINSIGHTS_CONNECTION_STRING, and, end to end, the
// real @azure/monitor-opentelemetry exporter posting our metrics to a loopback ingestion
// endpoint over TLS (a self-signed certificate made with openssl, trusted by the child process
// through NODE_EXTRA_CA_CERTS, which Node reads only at start-up).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestionHost, startTelemetry } from '../../src/app/telemetry';

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

describe('metrics exported to a loopback ingestion endpoint', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const tracked: Envelope[] = [];
  const paths: string[] = [];
  let child: ChildProcess | undefined;
  let childOutput = '';

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
          paths.push(`${req.method} ${req.url}`);
          if (req.url?.startsWith('/v2.1/track')) {
            const raw = Buffer.concat(chunks);
            const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
            const parsed = JSON.parse(text) as Envelope | Envelope[];
            tracked.push(...(Array.isArray(parsed) ? parsed : [parsed]));
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
  });

  afterAll(async () => {
    child?.stdin?.end();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      setTimeout(() => child?.kill('SIGKILL'), 10_000).unref();
      await exited;
    }
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('when OTEL_METRIC_EXPORT_INTERVAL is short, then every metric arrives within seconds with its attributes', async () => {
    const connectionString = [
      'InstrumentationKey=11111111-2222-3333-4444-555555555555',
      // http:// on purpose: the exporter rewrites it to https://, so TLS is what it speaks.
      `IngestionEndpoint=http://127.0.0.1:${port}/`,
      `LiveEndpoint=https://127.0.0.1:${port}/`,
    ].join(';');
    const started = Date.now();
    child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'telemetry-child.ts')], {
      env: {
        ...process.env,
        APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
        NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
        APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let recordedAtMs: number | undefined;
    child.stdout?.on('data', (c: Buffer) => {
      childOutput += c.toString();
      if (recordedAtMs === undefined && childOutput.includes('child.recorded')) recordedAtMs = Date.now();
    });
    child.stderr?.on('data', (c: Buffer) => (childOutput += c.toString()));

    const wanted = [
      'rollout.replication_lag',
      'rollout.reaction_delay',
      'rollout.duration',
      'rollout.outcomes',
      'webhook.deliveries',
      'notifications.deliveries',
    ];
    const metricsByName = () => {
      const out = new Map<string, { metric: Record<string, unknown>; properties: Record<string, string> }>();
      for (const e of tracked)
        for (const m of e.data?.baseData?.metrics ?? [])
          out.set(String(m.name), { metric: m, properties: e.data?.baseData?.properties ?? {} });
      return out;
    };
    const deadline = Date.now() + 45_000;
    while (wanted.some((n) => !metricsByName().has(n)) && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    const arrivedAt = Date.now();
    const seen = metricsByName();
    expect([...seen.keys()].filter((n) => wanted.includes(n)).sort(), childOutput).toEqual(
      [...wanted].sort(),
    );
    const recordedAt = recordedAtMs ?? started;
    console.log(
      `metrics reached the ingestion endpoint ${arrivedAt - recordedAt} ms after being recorded ` +
        `(${arrivedAt - started} ms after the child process started; export interval 500 ms)`,
    );

    expect(childOutput).toContain('"event":"telemetry.started"');
    expect(childOutput).toContain(`"ingestionHost":"127.0.0.1:${port}"`);
    expect(childOutput).not.toContain('11111111-2222-3333-4444-555555555555'); // the key stays out of logs
    expect(tracked.some((e) => e.iKey === '11111111-2222-3333-4444-555555555555')).toBe(true);

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
    expect(paths.some((p) => p.startsWith('POST /v2.1/track'))).toBe(true);
  });
});
