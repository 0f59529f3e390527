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

export async function startQueuePoller(opts: LocalQueueOptions): Promise<LocalQueuePoller> {
  const s = { ...HOST_QUEUE_SETTINGS, ...opts.settings };
  const queue = new QueueClient(opts.connectionString, opts.queueName);
  const poison = new QueueClient(opts.connectionString, `${opts.queueName}-poison`);
  await queue.createIfNotExists();
  const stats: QueueStats = { received: 0, succeeded: 0, failed: 0, poisoned: 0 };
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();

  const toPoison = async (m: DequeuedMessageItem) => {
    await poison.createIfNotExists();
    await poison.sendMessage(m.messageText);
    await queue.deleteMessage(m.messageId, m.popReceipt);
    stats.poisoned++;
    opts.logHandler('warning', `local-queue: message ${m.messageId} moved to ${opts.queueName}-poison`);
  };

  const run = async (m: DequeuedMessageItem) => {
    stats.received++;
    if (m.dequeueCount > s.maxDequeueCount) return toPoison(m);
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: opts.functionName,
      logHandler: opts.logHandler,
      triggerMetadata: {
        id: m.messageId,
        dequeueCount: m.dequeueCount,
        insertionTime: m.insertedOn.toISOString(),
        nextVisibleTime: m.nextVisibleOn.toISOString(),
      },
    });
    try {
      if (opts.failWhen?.(m.messageId)) throw new Error('injected invocation failure');
      await Promise.resolve(opts.handler(decode(m.messageText), context));
      await queue.deleteMessage(m.messageId, m.popReceipt);
      stats.succeeded++;
    } catch (err) {
      stats.failed++;
      opts.logHandler(
        'error',
        `local-queue: ${opts.functionName} failed (dequeueCount ${m.dequeueCount}): ${String(err)}`,
      );
      if (m.dequeueCount >= s.maxDequeueCount) return toPoison(m);
      await queue.updateMessage(
        m.messageId,
        m.popReceipt,
        undefined,
        Math.ceil(s.visibilityTimeoutMs / 1000),
      );
    }
  };

  const loop = async () => {
    let delay = 0;
    while (!stopping.signal.aborted) {
      // As the host: the next batch is fetched when the running ones drop to half a batch.
      while (inFlight.size > s.batchSize / 2) await Promise.race(inFlight);
      let got: DequeuedMessageItem[] = [];
      try {
        const r = await queue.receiveMessages({
          numberOfMessages: s.batchSize,
          visibilityTimeout: LEASE_SECONDS,
          abortSignal: stopping.signal,
        });
        got = r.receivedMessageItems;
      } catch (err) {
        if (stopping.signal.aborted) break;
        opts.logHandler('warning', `local-queue: receive failed: ${String(err)}`);
      }
      for (const m of got) {
        const p = run(m).catch((err: unknown) =>
          opts.logHandler('error', `local-queue: settling ${m.messageId} failed: ${String(err)}`),
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      // As the host: poll again at once after a batch; back off randomly while the queue is empty.
      delay =
        got.length > 0
          ? 0
          : Math.min(
              s.maxPollingIntervalMs,
              Math.max(MIN_POLL_MS, delay * 2 * (0.5 + Math.random() / 2) || MIN_POLL_MS),
            );
      if (delay > 0) await sleep(delay, stopping.signal);
    }
  };
  const looping = loop();
  return {
    stats,
    stop: async () => {
      stopping.abort();
      await looping;
      await Promise.allSettled([...inFlight]);
    },
  };
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
