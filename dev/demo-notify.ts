// The demo's notification sink: a loopback HTTP server the demo names in NOTIFY_TARGETS (json
// format), printing each notification as it arrives, the way a team channel would show it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonMessageV1 } from '../src/core/notify/format';
import { fmtMs, shortDigest } from './demo-live';

export interface NotifySink {
  /** The target URL (loopback, so plain http:// is accepted). */
  url: string;
  received: JsonMessageV1[];
  close(): Promise<void>;
}

const REGION_ACTIONS: Record<string, string> = {
  hold: 'placed a hold (nothing new starts there until it is lifted)',
  unhold: 'lifted the hold',
};

/** One line per message: event, where, what, and the figures it carries. */
export function describeNotification(m: JsonMessageV1): string {
  const f = m.figures;
  const figures = [
    f?.replicationLagMs !== undefined ? `lag ${fmtMs(f.replicationLagMs)}` : undefined,
    f?.reactionDelayMs !== undefined ? `reaction ${fmtMs(f.reactionDelayMs)}` : undefined,
    f?.durationMs !== undefined ? `took ${fmtMs(f.durationMs)}` : undefined,
  ].filter(Boolean);
  const wave = m.wave !== undefined ? ` wave ${m.wave}` : '';
  const where = `${m.region ? ` ${m.region}` : ''}${wave}`;
  if (m.action && !m.release) {
    // A region-wide action (a hold, its lifting) concerns no release: say what was done.
    const done = REGION_ACTIONS[m.action.name] ?? m.action.name;
    const outcome = m.state && m.state !== 'applied' ? ` (${m.state})` : '';
    return `✉ ${m.event}${where}: ${m.action.actor} ${done}${outcome}${m.reason ? `: ${m.reason}` : ''}`;
  }
  const what = m.release
    ? `${m.release.repository}:${m.release.tag} (${shortDigest(m.release.digest)})`
    : 'no release';
  const who = m.action ? ` by ${m.action.actor}: ${m.action.name}` : '';
  return (
    `✉ ${m.event}${where}${who}: ${what}${m.state ? ` ${m.state}` : ''}` +
    (figures.length > 0 ? ` · ${figures.join(' · ')}` : '')
  );
}

export async function startNotifySink(print: (line: string) => void): Promise<NotifySink> {
  const received: JsonMessageV1[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as JsonMessageV1;
        received.push(m);
        print(describeNotification(m));
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/demo-channel`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
