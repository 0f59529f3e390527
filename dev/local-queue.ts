// The Functions host's queue trigger, for the local host (no Core Tools here): polls a Storage
// Queue (Azurite's, locally) and runs a registered queue handler with the host's semantics
// (host.json extensions.queues): polling backs off randomly from 100 ms up to maxPollingInterval
// while the queue is empty, a batch of up to batchSize messages is received invisible for the
// run, the base64 body is decoded (and parsed when it is JSON), a success deletes the message,
// a failure makes it visible again after visibilityTimeout, and a message that failed
// maxDequeueCount times is copied (body only) to `<queue>-poison` and deleted.
import { randomUUID } from 'node:crypto';
import { InvocationContext, type StorageQueueHandler } from '@azure/functions';
import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';

export interface QueueHostSettings {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  maxDequeueCount: number;
  batchSize: number;
}

/** host.json's extensions.queues, as this project sets them. */
export const HOST_QUEUE_SETTINGS: QueueHostSettings = {
  maxPollingIntervalMs: 1000,
  visibilityTimeoutMs: 5000,
  maxDequeueCount: 5,
  batchSize: 16,
};

export interface LocalQueueOptions {
  connectionString: string;
  queueName: string;
  functionName: string;
  handler: StorageQueueHandler;
  logHandler: (level: string, ...args: unknown[]) => void;
  settings?: Partial<QueueHostSettings>;
  /** Chaos: invocations of these messages fail before the handler runs (as a crashing instance). */
  failWhen?: ((messageId: string) => boolean) | undefined;
}

export interface QueueStats {
  received: number;
  succeeded: number;
  failed: number;
  poisoned: number;
}

export interface LocalQueuePoller {
  stats: QueueStats;
  stop(): Promise<void>;
}

/** How long the run holds a received message invisible (the host: the function timeout). */
const LEASE_SECONDS = 300;
const MIN_POLL_MS = 100;

function decode(text: string): unknown {
  const raw = Buffer.from(text, 'base64').toString('utf8');
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Next wait while the queue is empty: random growth from 100 ms up to maxPollingInterval. */
function nextDelay(previous: number, gotAny: boolean, maxMs: number): number {
  if (gotAny) return 0;
  return Math.min(maxMs, Math.max(MIN_POLL_MS, previous * 2 * (0.5 + Math.random() / 2) || MIN_POLL_MS));
}

class QueuePoller implements LocalQueuePoller {
  readonly stats: QueueStats = { received: 0, succeeded: 0, failed: 0, poisoned: 0 };
  private readonly s: QueueHostSettings;
  private readonly queue: QueueClient;
  private readonly poison: QueueClient;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private looping: Promise<void> | undefined;

  constructor(private readonly opts: LocalQueueOptions) {
    this.s = { ...HOST_QUEUE_SETTINGS, ...opts.settings };
    this.queue = new QueueClient(opts.connectionString, opts.queueName);
    this.poison = new QueueClient(opts.connectionString, `${opts.queueName}-poison`);
  }

  async start(): Promise<void> {
    await this.queue.createIfNotExists();
    this.looping = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.looping;
    await Promise.allSettled([...this.inFlight]);
  }

  private async toPoison(m: DequeuedMessageItem): Promise<void> {
    await this.poison.createIfNotExists();
    await this.poison.sendMessage(m.messageText);
    await this.queue.deleteMessage(m.messageId, m.popReceipt);
    this.stats.poisoned++;
    this.opts.logHandler(
      'warning',
      `local-queue: message ${m.messageId} moved to ${this.opts.queueName}-poison`,
    );
  }

  private context(m: DequeuedMessageItem): InvocationContext {
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName: this.opts.functionName,
      logHandler: this.opts.logHandler,
      triggerMetadata: {
        id: m.messageId,
        dequeueCount: m.dequeueCount,
        insertionTime: m.insertedOn.toISOString(),
        nextVisibleTime: m.nextVisibleOn.toISOString(),
      },
    });
  }

  private async run(m: DequeuedMessageItem): Promise<void> {
    const { opts, s } = this;
    this.stats.received++;
    if (m.dequeueCount > s.maxDequeueCount) return this.toPoison(m);
    try {
      if (opts.failWhen?.(m.messageId)) throw new Error('injected invocation failure');
      await Promise.resolve(opts.handler(decode(m.messageText), this.context(m)));
      await this.queue.deleteMessage(m.messageId, m.popReceipt);
      this.stats.succeeded++;
    } catch (err) {
      this.stats.failed++;
      opts.logHandler(
        'error',
        `local-queue: ${opts.functionName} failed (dequeueCount ${m.dequeueCount}): ${String(err)}`,
      );
      if (m.dequeueCount >= s.maxDequeueCount) return this.toPoison(m);
      const seconds = Math.ceil(s.visibilityTimeoutMs / 1000);
      await this.queue.updateMessage(m.messageId, m.popReceipt, undefined, seconds);
    }
  }

  private async receive(): Promise<DequeuedMessageItem[]> {
    try {
      const r = await this.queue.receiveMessages({
        numberOfMessages: this.s.batchSize,
        visibilityTimeout: LEASE_SECONDS,
        abortSignal: this.stopping.signal,
      });
      return r.receivedMessageItems;
    } catch (err) {
      if (!this.stopping.signal.aborted)
        this.opts.logHandler('warning', `local-queue: receive failed: ${String(err)}`);
      return [];
    }
  }

  private async loop(): Promise<void> {
    let delay = 0;
    while (!this.stopping.signal.aborted) {
      // As the host: the next batch is fetched when the running ones drop to half a batch.
      while (this.inFlight.size > this.s.batchSize / 2) await Promise.race(this.inFlight);
      const got = await this.receive();
      for (const m of got) {
        const p = this.run(m).catch((err: unknown) =>
          this.opts.logHandler('error', `local-queue: settling ${m.messageId} failed: ${String(err)}`),
        );
        this.inFlight.add(p);
        void p.finally(() => this.inFlight.delete(p));
      }
      // As the host: poll again at once after a batch; back off randomly while the queue is empty.
      delay = nextDelay(delay, got.length > 0, this.s.maxPollingIntervalMs);
      if (delay > 0) await sleep(delay, this.stopping.signal);
    }
  }
}

export async function startQueuePoller(opts: LocalQueueOptions): Promise<LocalQueuePoller> {
  const poller = new QueuePoller(opts);
  await poller.start();
  return poller;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
