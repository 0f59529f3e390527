// The sender against loopback sinks (real node:http servers): each format arrives with the shape
// its service requires, failures are classified for the outbox, and the target URL (the secret)
// never shows in an outcome or a log line.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendNotification, type SendOutcome } from '../../src/adapters/notify/sender';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import type { NotifyEvent } from '../../src/core/notify/notify-event';
import { formatMessage, type NotifyFormat } from '../../src/core/notify/format';
import { expectSlackBody, expectTeamsBody } from './shapes';

const SECRET_PATH = '/services/T0AAA/B0BBB/S3cr3tT0k3n';
const SECRET_QUERY = 'sig=SIGs3cr3t';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Handler = (req: Received, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
});

/** A sink that answers its requests with the given handlers in turn (the last one repeats). */
async function sink(...handlers: Handler[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(r);
      const h = handlers[Math.min(received.length - 1, handlers.length - 1)]!;
      h(r, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${SECRET_PATH}?${SECRET_QUERY}`, received };
}

const answer =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };

const event: NotifyEvent = {
  event: 'region.failed',
  at: '2026-11-27T10:00:00.000Z',
  release: {
    id: '8235000000000-0123456789ab',
    repository: 'team/my-app',
    tag: '1.4.0',
    digest: 'sha256:' + 'c'.repeat(64),
  },
  region: 'westeurope',
  state: 'failed',
  reason: 'failed: image pull failed',
  dedupeKey: 'region.failed|8235000000000-0123456789ab|westeurope|a1',
};

function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sinkLog: LogSink = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  return { logger: new Logger(sinkLog), lines };
}

function expectNoSecret(texts: string[]): void {
  for (const t of texts) {
    expect(t).not.toContain('S3cr3tT0k3n');
    expect(t).not.toContain('SIGs3cr3t');
    expect(t).not.toContain(SECRET_PATH);
  }
}

const send = (url: string, format: NotifyFormat, o: Parameters<typeof sendNotification>[2] = {}) =>
  sendNotification(
    { url, format },
    formatMessage(format, event, { statusPageUrl: 'https://s.example/api/dashboard' }),
    o,
  );

describe('sendNotification: formats as the sink receives them', () => {
  it('when the target is Slack, then it POSTs JSON with text and valid blocks', async () => {
    const s = await sink(answer(200, 'ok'));
    const out = await send(s.url, 'slack', { idempotencyKey: event.dedupeKey });
    expect(out).toMatchObject({ ok: true, status: 200, retryable: false });
    expect(s.received).toHaveLength(1);
    const r = s.received[0]!;
    expect(r.method).toBe('POST');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['idempotency-key']).toBe(event.dedupeKey);
    expectSlackBody(JSON.parse(r.body));
  });

  it('when the target is Teams, then it POSTs the Workflows message envelope with an Adaptive Card', async () => {
    const s = await sink(answer(202));
    const out = await send(s.url, 'teams');
    expect(out).toMatchObject({ ok: true, status: 202 });
    const card = expectTeamsBody(JSON.parse(s.received[0]!.body));
    expect(card.body.length).toBeGreaterThan(0);
  });

  it('when the target is generic JSON, then it POSTs the version 1 object', async () => {
    const s = await sink(answer(204));
    expect((await send(s.url, 'json')).ok).toBe(true);
    expect(JSON.parse(s.received[0]!.body)).toMatchObject({
      version: 1,
      event: 'region.failed',
      release: { id: event.release!.id },
      region: 'westeurope',
      link: 'https://s.example/api/dashboard#release=8235000000000-0123456789ab',
    });
  });
});

describe('sendNotification: outcomes', () => {
  it('when the sink answers 500 then 200, then the first try is retryable and the second delivers', async () => {
    const s = await sink(answer(500, 'upstream broke'), answer(200, 'ok'));
    const { logger, lines } = memoryLogger();
    const outcomes: string[] = [];
    const o = { logger, onOutcome: (_f: NotifyFormat, outcome: string) => outcomes.push(outcome) };
    const first = await send(s.url, 'slack', o);
    expect(first).toMatchObject({
      ok: false,
      status: 500,
      retryable: true,
      // Not a Slack error code: the body is not kept.
      error: 'HTTP 500',
    });
    const second = await send(s.url, 'slack', o);
    expect(second).toMatchObject({ ok: true, status: 200 });
    expect(s.received).toHaveLength(2);
    expect(s.received[0]!.body).toBe(s.received[1]!.body);
    expect(outcomes).toEqual(['retryable', 'ok']);
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual([
      'notification.failed',
      'notification.delivered',
    ]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ host: s.url.split('/')[2], format: 'slack', status: 500 });
    expectNoSecret([...lines, JSON.stringify(first)]);
  });

  it('when the sink says 429 with Retry-After, then the outcome is retryable and carries the wait', async () => {
    const s = await sink(answer(429, 'slow down', { 'retry-after': '7' }));
    expect(await send(s.url, 'json')).toMatchObject({
      ok: false,
      retryable: true,
      status: 429,
      retryAfterSeconds: 7,
    });
  });

  it('when Retry-After is an HTTP date, then it becomes seconds from now', async () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    const s = await sink(answer(503, '', { 'retry-after': 'Fri, 27 Nov 2026 10:00:30 GMT' }));
    const out = await send(s.url, 'json', { now: () => now });
    expect(out).toMatchObject({ retryable: true, status: 503, retryAfterSeconds: 30, error: 'HTTP 503' });
  });

  it('when Retry-After is negative or garbage, then the outcome carries no wait (not a year-5 date)', async () => {
    for (const value of ['-5', 'soon', 'foo 5']) {
      const s = await sink(answer(503, '', { 'retry-after': value }));
      const out = await send(s.url, 'json');
      expect(out).toMatchObject({ retryable: true, status: 503 });
      expect(out.retryAfterSeconds).toBeUndefined();
    }
  });

  it('when Retry-After asks for longer than an hour, then the wait is clamped to an hour', async () => {
    const s = await sink(answer(429, '', { 'retry-after': '86400' }));
    expect(await send(s.url, 'json')).toMatchObject({ retryable: true, retryAfterSeconds: 3600 });
  });

  it('when the sink rejects the body (4xx), then it is permanent and says why', async () => {
    const s = await sink(answer(400, 'invalid_blocks'));
    expect(await send(s.url, 'slack')).toMatchObject({
      ok: false,
      retryable: false,
      status: 400,
      error: 'HTTP 400: invalid_blocks',
    });
  });

  it('when the sink echoes the URL in its error (as sent, percent-encoded, as a bare segment), then neither the outcome nor a log keeps it', async () => {
    const token = SECRET_PATH.split('/').pop()!;
    const echoes = [
      (u: string) => `no webhook at ${u} (http://127.0.0.1${u})`,
      (u: string) => `no webhook at ${encodeURIComponent(`http://127.0.0.1${u}`)}`,
      (u: string) => `bad token ${token.split('').join('')} for ${u.split('?')[0]!.replace(/\//g, '%2F')}`,
      () => `{"error":"invalid_payload","token":"${token}"}`,
      () => `invalid_payload ${token}`,
    ];
    for (const echo of echoes) {
      const s = await sink((req, res) => {
        res.writeHead(500);
        res.end(echo(req.url ?? ''));
      });
      const { logger, lines } = memoryLogger();
      const out = await send(s.url, 'teams', { logger });
      expect(out).toMatchObject({ ok: false, retryable: true, status: 500, error: 'HTTP 500' });
      expectNoSecret([out.error!, ...lines]);
    }
  });

  it('when a Slack target answers one of its documented error codes, then that code alone is kept', async () => {
    for (const [status, code] of [
      [400, 'invalid_payload'],
      [404, 'channel_not_found'],
      [410, 'channel_is_archived'],
      [400, 'no_text'],
    ] as const) {
      const s = await sink(answer(status, `${code}\n`));
      expect((await send(s.url, 'slack')).error).toBe(`HTTP ${status}: ${code}`);
    }
  });

  it('when the sink redirects, then the redirect is not followed and it is permanent', async () => {
    const s = await sink(answer(302, '', { location: '/elsewhere' }));
    const out = await send(s.url, 'json');
    expect(out).toMatchObject({ ok: false, retryable: false, status: 302 });
    expect(out.error).toBe('HTTP 302 (redirect not followed)');
    expect(s.received).toHaveLength(1);
  });

  it('when nothing listens, then it is a retryable network error without the URL', async () => {
    const s = await sink(answer(200));
    const url = s.url;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
    const { logger, lines } = memoryLogger();
    const out: SendOutcome = await send(url, 'slack', { logger });
    expect(out).toMatchObject({ ok: false, retryable: true, error: 'network error (ECONNREFUSED)' });
    expect(out.status).toBeUndefined();
    expectNoSecret([JSON.stringify(out), ...lines]);
  });

  it('when the sink never answers, then the try ends at the timeout, retryable', async () => {
    const s = await sink(() => {
      /* hold the request open */
    });
    const out = await send(s.url, 'json', { timeoutMs: 300 });
    expect(out).toMatchObject({ ok: false, retryable: true, error: 'timed out after 300 ms' });
  });
});
