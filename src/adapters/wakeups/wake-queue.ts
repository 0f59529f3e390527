// The wake-up queue: a Storage Queue in the app's storage account. Each message is base64 JSON
// {releaseId, due}, sent with a visibility delay so it appears at the release's due time; the
// queue-triggered function `advance` then reconciles that release. Every call is bounded: 2 s
// per try, 2 tries (the caller's answer path must never wait on a slow queue).
import type { TokenCredential } from '@azure/core-auth';
import { QueueClient, type StoragePipelineOptions } from '@azure/storage-queue';
import type { PoisonedWakeup, Wakeup, WakeupPort } from '../../core/model';
import { memoUntilRejected, retry, type Sleep } from '../../core/platform';
import { MAX_VISIBILITY_SECONDS, encodeWakeup, parseWakeup } from '../../core/wakeups';

export type WakeQueueConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; queueServiceUri: string; credential: TokenCredential };

export interface WakeQueueOptions {
  connection: WakeQueueConnection;
  queueName: string;
  sleep: Sleep;
  /** Per try (default 2000 ms). */
  tryTimeoutMs?: number;
  /** Tries per call, the first included (default 2). */
  attempts?: number;
}

/** Queue names: 3-63 lower-case letters, digits and single hyphens, starting with a letter or digit. */
export const QUEUE_NAME_PATTERN = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

function clientFor(connection: WakeQueueConnection, name: string, tryTimeoutMs: number): QueueClient {
  // The SDK's own retries off: ours (below) bound the whole call.
  const options: StoragePipelineOptions = { retryOptions: { maxTries: 1, tryTimeoutInMs: tryTimeoutMs } };
  if (connection.kind === 'connectionString')
    return new QueueClient(connection.connectionString, name, options);
  const url = `${connection.queueServiceUri.replace(/\/+$/, '')}/${name}`;
  return new QueueClient(url, connection.credential, options);
}

export class WakeQueue implements WakeupPort {
  /** Messages sent (tries counted once per call), for the benchmarks. */
  sent = 0;
  private readonly queue: QueueClient;
  private readonly poison: QueueClient;
  /** The queue's creation, once per instance (one key); a failed one is tried again. */
  private readonly created = new Map<'queue', Promise<void>>();

  constructor(private readonly opts: WakeQueueOptions) {
    if (!QUEUE_NAME_PATTERN.test(opts.queueName)) throw new Error(`invalid queue name ${opts.queueName}`);
    const timeout = opts.tryTimeoutMs ?? 2000;
    this.queue = clientFor(opts.connection, opts.queueName, timeout);
    this.poison = clientFor(opts.connection, `${opts.queueName}-poison`, timeout);
  }

  get queueName(): string {
    return this.opts.queueName;
  }

  async send(wakeup: Wakeup, delaySeconds: number, signal?: AbortSignal): Promise<void> {
    const visibilityTimeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.bounded(async () => {
      await this.ensureQueue(signal);
      // TTL -1: never expires (a wake-up days away must still arrive).
      await this.queue.sendMessage(encodeWakeup(wakeup), {
        visibilityTimeout,
        messageTimeToLive: -1,
        abortSignal: signal,
      });
    }, signal);
    this.sent++;
  }

  async poisoned(limit: number, signal?: AbortSignal): Promise<PoisonedWakeup[]> {
    const peeked = await this.bounded(async () => {
      if (!(await this.poison.exists({ abortSignal: signal }))) return [];
      const r = await this.poison.peekMessages({
        numberOfMessages: Math.min(32, limit),
        abortSignal: signal,
      });
      return r.peekedMessageItems;
    }, signal);
    const out: PoisonedWakeup[] = [];
    for (const m of peeked) {
      const parsed = parseWakeup(m.messageText);
      if (parsed.ok) out.push({ releaseId: parsed.wakeup.releaseId, at: m.insertedOn.toISOString() });
    }
    return out;
  }

  private ensureQueue(signal?: AbortSignal): Promise<void> {
    return memoUntilRejected(this.created, 'queue', () =>
      this.queue.createIfNotExists({ abortSignal: signal }).then(() => undefined),
    );
  }

  private bounded<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retry(fn, {
      attempts: this.opts.attempts ?? 2,
      baseMs: 100,
      capMs: 400,
      jitter: 'equal',
      sleep: this.opts.sleep,
      signal,
    });
  }
}
