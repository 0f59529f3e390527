// Webhook deliveries as ACR makes them: one POST per regional webhook whose scope and actions
// match, a bare JSON body, only Content-Type plus the configured custom headers, a 5 s client
// timeout and no retry. Faults (drop, duplicate, delay, reorder) are decided by the seeded PRNG.
// A hook with schema `event-grid` is the registry's Event Grid subscription instead: the event in
// the Event Grid schema, retried (a few times, with back-off) until it is answered 2xx.
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type { Prng } from './prng';
import type { AcrEventPayload, DeliveryRecord, FaultSettings, PushRecord, WebhookConfig } from './types';

const USER_AGENT = 'AzureContainerRegistry/1.0';
const EVENT_GRID_USER_AGENT = 'Microsoft-EventGrid/1.0';
/** Event Grid retries for 24 h; the simulator's few quick retries show the same behaviour. */
const EVENT_GRID_ATTEMPTS = 4;
const EVENT_GRID_TYPES: Record<string, string> = {
  push: 'Microsoft.ContainerRegistry.ImagePushed',
  delete: 'Microsoft.ContainerRegistry.ImageDeleted',
};

/** ACR's event as Event Grid delivers it: an array of one event in the Event Grid schema. */
export function eventGridBody(payload: AcrEventPayload, loginServer: string): unknown[] {
  const registry = loginServer.split('.')[0] ?? 'registry';
  return [
    {
      id: randomUUID(),
      topic: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/sim/providers/Microsoft.ContainerRegistry/registries/${registry}`,
      subject: `${payload.target?.repository ?? ''}:${payload.target?.tag ?? ''}`,
      eventType: EVENT_GRID_TYPES[payload.action] ?? `Microsoft.ContainerRegistry.${payload.action}`,
      eventTime: payload.timestamp,
      data: payload,
      dataVersion: '1.0',
      metadataVersion: '1',
    },
  ];
}
const CLIENT_USER_AGENT =
  'docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/5.15.0 os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))';

/** ACR timestamps carry 7 fractional digits (.NET ticks); milliseconds plus sub-ms from hrtime. */
export function acrTimestamp(at: Date = new Date()): string {
  const iso = at.toISOString(); // 2024-01-01T00:00:00.123Z
  const subMs = String(process.hrtime.bigint() % 10000n).padStart(4, '0');
  return `${iso.slice(0, -1)}${subMs}Z`;
}

/** ACR scope syntax: `repo:*`, `repo:tag`, `repo` (= repo:latest), empty = everything. */
export function scopeMatches(scope: string | undefined, repository: string, tag: string): boolean {
  if (!scope) return true;
  const [repo, tagPattern = 'latest'] = scope.split(':');
  if (repo !== repository) return false;
  return tagPattern === '*' || tagPattern === tag || tag === '';
}

export function pushPayload(push: PushRecord, at: Date, loginServer: string): AcrEventPayload {
  return {
    id: randomUUID(),
    timestamp: acrTimestamp(at),
    action: 'push',
    target: {
      mediaType: push.mediaType,
      size: push.size,
      digest: push.digest,
      length: push.size,
      repository: push.repository,
      tag: push.tag,
    },
    request: { id: randomUUID(), host: loginServer, method: 'PUT', useragent: CLIENT_USER_AGENT },
  };
}

export function deletePayload(
  repository: string,
  digest: string,
  mediaType: string,
  loginServer: string,
): AcrEventPayload {
  return {
    id: randomUUID(),
    timestamp: acrTimestamp(),
    action: 'delete',
    target: { mediaType, digest, repository },
    request: { id: randomUUID(), host: loginServer, method: 'DELETE', useragent: 'python-requests/2.31.0' },
  };
}

export class WebhookSender {
  private readonly log: DeliveryRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<http.ClientRequest>();
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly opts: {
      prng: Prng;
      webhooks: () => WebhookConfig[];
      faults: () => FaultSettings;
      timeoutMs: number;
      /** The registry's login server (names the Event Grid topic). */
      loginServer: string;
    },
  ) {}

  /** Fires `payload` at every webhook of `region` that subscribes to it. */
  fire(region: string, payload: AcrEventPayload, tag: string): void {
    const action = payload.action;
    const repository = payload.target?.repository ?? '';
    const hooks = this.opts
      .webhooks()
      .filter(
        (w) =>
          w.region === region &&
          (w.schema === 'event-grid' ? action === 'push' : true) &&
          (w.actions ?? ['push', 'delete']).includes(action as 'push') &&
          (action === 'ping' || scopeMatches(w.scope, repository, tag)),
      );
    const faults = this.opts.faults();
    const copies: Array<{ hook: WebhookConfig; duplicate: boolean }> = [];
    for (const hook of hooks) {
      copies.push({ hook, duplicate: false });
      for (let i = 0; i < faults.duplicates; i++) copies.push({ hook, duplicate: true });
    }
    if (faults.reorder) this.opts.prng.shuffle(copies);
    for (const { hook, duplicate } of copies) {
      const dropped = faults.dropRate > 0 && this.opts.prng.next() < faults.dropRate;
      let delay = Math.max(0, this.opts.prng.delay(faults.extraDelayMs));
      if (faults.reorder) delay += this.opts.prng.int(0, faults.reorderWindowMs);
      const entry: DeliveryRecord = {
        seq: ++this.seq,
        eventId: payload.id,
        action,
        region,
        url: hook.url,
        sentAt: '',
        durationMs: 0,
        dropped,
        duplicate,
        payload,
      };
      if (dropped) {
        entry.sentAt = new Date().toISOString();
        this.log.push(entry);
        continue;
      }
      const send = (): void => {
        if (this.stopped) return;
        const p = this.deliver(hook, payload, entry).finally(() => this.inFlight.delete(p));
        this.inFlight.add(p);
      };
      if (delay === 0) send();
      else {
        const t = setTimeout(() => {
          this.timers.delete(t);
          send();
        }, delay);
        this.timers.add(t);
      }
    }
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.log;
  }

  /** Resolves when no delivery is in flight or waiting on a delay. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      else await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const req of this.sockets) req.destroy();
  }

  private async deliver(hook: WebhookConfig, payload: AcrEventPayload, entry: DeliveryRecord): Promise<void> {
    if (hook.schema !== 'event-grid') return this.post(hook, JSON.stringify(payload), entry, USER_AGENT);
    // One event id for every attempt: Event Grid redelivers the same event.
    const body = JSON.stringify(eventGridBody(payload, this.opts.loginServer));
    for (let attempt = 1; attempt <= EVENT_GRID_ATTEMPTS && !this.stopped; attempt++) {
      await this.post(hook, body, entry, EVENT_GRID_USER_AGENT, { 'aeg-event-type': 'Notification' });
      entry.attempts = attempt;
      if (entry.status !== undefined && entry.status >= 200 && entry.status < 300) return;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }

  private post(
    hook: WebhookConfig,
    body: string,
    entry: DeliveryRecord,
    userAgent: string,
    extra: Record<string, string> = {},
  ): Promise<void> {
    const custom = hook.headers ?? {};
    const hasContentType = Object.keys(custom).some((k) => k.toLowerCase() === 'content-type');
    const headers: Record<string, string> = {
      ...(hasContentType ? {} : { 'Content-Type': 'application/json' }),
      ...custom,
      ...extra,
      'Content-Length': String(Buffer.byteLength(body)),
      'User-Agent': userAgent,
    };
    const started = Date.now();
    entry.sentAt = new Date(started).toISOString();
    if (!this.log.includes(entry)) this.log.push(entry);
    return new Promise<void>((resolve) => {
      let url: URL;
      try {
        url = new URL(hook.url);
      } catch {
        entry.error = 'invalid webhook URL';
        return resolve();
      }
      let done = false;
      const finish = (status: number | undefined, error: string | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.sockets.delete(req);
        entry.status = status;
        entry.error = error;
        entry.durationMs = Date.now() - started;
        resolve();
      };
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, { method: 'POST', headers }, (res) => {
        res.resume(); // ACR records the status only
        res.on('end', () => finish(res.statusCode, undefined));
        res.on('error', (e) => finish(undefined, e.message));
      });
      // ACR gives up after 5 s, whatever the receiver is doing; no retry.
      const timer = setTimeout(() => {
        finish(undefined, `timed out after ${this.opts.timeoutMs} ms`);
        req.destroy();
      }, this.opts.timeoutMs);
      this.sockets.add(req);
      req.on('error', (e) => finish(undefined, e.message));
      req.end(body);
    });
  }
}
