// Loopback notification sinks (real node:http servers) and a rollout world on Azurite with the
// real sender, for the outbox tests: webhooks in, timer runs, messages out.
import { writeOutPending } from '../support/write-out';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendNotification } from '../../src/adapters/notify/sender';
import type { Deps } from '../../src/app/platform/deps';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { pushPayload } from '../support/acr-payloads';
import { testConfig, type TestConfigOptions } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { storeOnFreshTables } from '../store/support';

export interface Received {
  path: string;
  idempotencyKey: string | undefined;
  body: Record<string, unknown>;
}

export interface Sink {
  url: string;
  received: Received[];
  /** Requests answered with a non-2xx status. */
  refused: number;
  close(): Promise<void>;
}

/**
 * answer(n) gives the status of the n-th request (0-based); default 200. reply(path) the body
 * of a refusal (default a fixed text).
 */
export async function startSink(
  answer: (n: number) => number = () => 200,
  reply: (path: string) => string = () => 'sink says no',
): Promise<Sink> {
  const sink: Omit<Sink, 'url' | 'close'> = { received: [], refused: 0 };
  let n = 0;
  const server: Server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(n++);
      if (status >= 200 && status < 300) {
        sink.received.push({
          path: req.url ?? '',
          idempotencyKey: req.headers['idempotency-key'] as string | undefined,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        });
      } else sink.refused++;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status >= 300 ? reply(req.url ?? '') : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(sink, {
    url: `http://127.0.0.1:${port}/hooks/S3CRET-TOKEN?sig=SIGs3cr3t`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

export const DIGEST = `sha256:${'c'.repeat(64)}`;
export const REGIONS = ['eastus', 'westeurope', 'southeastasia'];

export function captureSink(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    sink: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) },
  };
}

export function notifyWorld(targets: unknown[], o: TestConfigOptions = {}) {
  const { store, at } = storeOnFreshTables();
  const config = testConfig({
    ...o,
    env: {
      NOTIFY_TARGETS: JSON.stringify(targets),
      STATUS_PAGE_URL: 'https://status.example/api/dashboard',
      ...(o.env ?? {}),
    },
  });
  const world = fakeDeps(config, store);
  const deps: Deps = { ...world.deps, outbox: store, notify: sendNotification };
  const logs = captureSink();
  const log = new Logger(logs.sink);
  const auth = `Bearer ${config.webhookSecrets[0]}`;
  /** A webhook, then what its release's first wake-up does (this world has no queue consumer). */
  const push = async (region: string | undefined, id = 'push-1', tag = '1.0.0', digest = DIGEST) => {
    const res = await receiveWebhook(
      deps,
      {
        region,
        authorization: auth,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id,
              timestamp: world.clock.now().toISOString(),
              digest,
              repository: 'my-app',
              tag,
            }),
          ),
        ),
      },
      log,
    );
    await writeOutPending(deps);
    return res;
  };
  /** Timer runs (two at once: overlap) with the clock moving, until nothing is due or pending. */
  const settle = async (maxRuns = 40) => {
    for (let i = 0; i < maxRuns; i++) {
      await Promise.all([reconcileAll(deps, log, { scan: false }), reconcileAll(deps, log, { scan: false })]);
      const active = await store.listActiveReleases();
      const rows = await store.listOutbox(REGIONS);
      if (active.length === 0 && rows.every((r) => r.status !== 'pending')) return;
      world.clock.advance(10);
    }
    throw new Error('the world did not settle');
  };
  return { ...world, deps, store, at, logs, log, push, settle };
}
