// Test helpers: a loopback webhook receiver that records what ACR (the simulator) sends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawHeaderNames: string[];
  body: string;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /** Status to answer with (default 200). */
  status: number;
  /** Resolves once at least `n` requests arrived. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    status: 200,
    waitFor(n) {
      if (received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0).map((h) => h.toLowerCase()),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      });
      res.writeHead(receiver.status).end();
      const ready = waiters.filter((w) => received.length >= w.n);
      waiters = waiters.filter((w) => received.length < w.n);
      for (const w of ready) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A well-formed digest that no push produced. */
export const UNKNOWN_DIGEST = `sha256:${'a'.repeat(64)}`;

/** A token obtained by hand through a simulator region's token endpoints (for raw HTTP checks). */
export async function handToken(regionBase: string, service: string, scope: string): Promise<string> {
  const post = async (path: string, form: Record<string, string>): Promise<Record<string, string>> => {
    const res = await fetch(`${regionBase}/oauth2/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return (await res.json()) as Record<string, string>;
  };
  const { refresh_token } = await post('exchange', {
    grant_type: 'access_token',
    service,
    access_token: 'local-dev-token',
  });
  const { access_token } = await post('token', {
    grant_type: 'refresh_token',
    service,
    scope,
    refresh_token: refresh_token!,
  });
  return access_token!;
}
