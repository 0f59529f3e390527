// The wake-up queue against Azurite's real Queue service: the adapter's message format and
// visibility delay, the per-process dedupe, a failed send that never throws, and the local
// host's queue trigger with the Functions host's retry and poison-queue semantics.
import { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import { startQueuePoller } from '../../dev/local-queue';
import { WakeQueue } from '../../src/adapters/wakeups/wake-queue';
import { realSleep } from '../../src/adapters/platform/sleep';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import { WakeupSchedule, scheduleWakeup } from '../../src/app/wakeups/schedule-wakeups';
import { encodeWakeup, parseWakeup, wakeQueueName } from '../../src/core/wakeups/due-time';
import { RecordingMetrics } from '../support/fakes';
import { freshPrefix, sharedAzurite } from '../support/intake-env';

const RELEASE = '8235000000000-0123456789ab';

function capture(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  return { sink: { info: push, warn: push, error: push }, lines };
}

function freshQueue() {
  const name = wakeQueueName(freshPrefix());
  const connectionString = sharedAzurite();
  const port = new WakeQueue({
    connection: { kind: 'connectionString', connectionString },
    queueName: name,
    sleep: realSleep,
  });
  return { name, connectionString, port, raw: new QueueClient(connectionString, name) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the wake-up queue adapter', () => {
  it('when a wake-up is sent without delay, then the queue holds base64 JSON {releaseId, due} that the trigger parses', async () => {
    const q = freshQueue();
    const due = '2026-12-02T06:00:00.000Z';
    await q.port.send({ releaseId: RELEASE, due }, 0);
    const got = await q.raw.receiveMessages({ numberOfMessages: 1 });
    const text = got.receivedMessageItems[0]?.messageText ?? '';
    expect(JSON.parse(Buffer.from(text, 'base64').toString('utf8'))).toEqual({ releaseId: RELEASE, due });
    expect(parseWakeup(JSON.parse(Buffer.from(text, 'base64').toString('utf8')))).toEqual({
      ok: true,
      wakeup: { releaseId: RELEASE, due },
    });
  });

  it("when a wake-up names a pending release's repository, then it travels and parses; a bad repository is refused", () => {
    const wakeup = { releaseId: RELEASE, due: '2026-12-02T06:00:00.000Z', repository: 'team/api' };
    expect(parseWakeup(encodeWakeup(wakeup))).toEqual({ ok: true, wakeup });
    expect(parseWakeup({ ...wakeup, repository: '../etc' })).toEqual({
      ok: false,
      problem: 'repository: not a repository name',
    });
    expect(parseWakeup({ ...wakeup, repository: 7 })).toMatchObject({ ok: false });
  });

  it('when a wake-up is due in an hour, then it is invisible now and its next visible time is that hour away', async () => {
    const q = freshQueue();
    await q.port.send({ releaseId: RELEASE, due: new Date(Date.now() + 3_600_000).toISOString() }, 3600);
    expect((await q.raw.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems).toEqual([]);
    const props = await q.raw.getProperties();
    expect(props.approximateMessagesCount).toBe(1);
  });

  it('when the same due time is scheduled twice and then an earlier one, then two messages are sent', async () => {
    const q = freshQueue();
    const clock = { now: () => new Date() };
    const log = new Logger(capture().sink);
    const later = new Date(Date.now() + 600_000);
    const deps = {
      wakeups: q.port,
      clock,
      wakeupSchedule: new WakeupSchedule(),
      metrics: new RecordingMetrics(),
    };
    expect(await scheduleWakeup(deps, RELEASE, later, log)).toBe(true);
    expect(await scheduleWakeup(deps, RELEASE, later, log)).toBe(false);
    expect(await scheduleWakeup(deps, RELEASE, new Date(later.getTime() + 60_000), log)).toBe(false);
    expect(await scheduleWakeup(deps, RELEASE, new Date(Date.now() - 1000), log)).toBe(true);
    expect((await q.raw.getProperties()).approximateMessagesCount).toBe(2);
    expect(q.port.sent).toBe(2);
  });

  it('when the queue service is unreachable, then scheduling logs wakeup.send-failed naming the release, counts it and returns false within its bound', async () => {
    const { sink, lines } = capture();
    const port = new WakeQueue({
      connection: {
        kind: 'connectionString',
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;',
      },
      queueName: 'rollout-work',
      sleep: realSleep,
    });
    const metrics = new RecordingMetrics();
    const sent = await scheduleWakeup(
      { wakeups: port, clock: { now: () => new Date() }, wakeupSchedule: new WakeupSchedule(), metrics },
      RELEASE,
      new Date(),
      new Logger(sink),
    );
    expect(sent).toBe(false);
    expect(metrics.errors).toEqual(['wakeup-send']);
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.event === 'wakeup.send-failed');
    expect(line?.releaseId).toBe(RELEASE);
  });

  it('when a poisoned wake-up sits in <queue>-poison, then poisoned() names its release and when it was put there', async () => {
    const q = freshQueue();
    const poison = new QueueClient(q.connectionString, `${q.name}-poison`);
    expect(await q.port.poisoned(32)).toEqual([]);
    await poison.createIfNotExists();
    const body = Buffer.from(JSON.stringify({ releaseId: RELEASE, due: new Date().toISOString() })).toString(
      'base64',
    );
    await poison.sendMessage(body);
    await poison.sendMessage('not a wake-up');
    const found = await q.port.poisoned(32);
    expect(found.map((p) => p.releaseId)).toEqual([RELEASE]);
    expect(Number.isFinite(Date.parse(found[0]!.at))).toBe(true);
  });
});

describe('the local host queue trigger (Functions host semantics)', () => {
  it('when a handler succeeds, then it gets the decoded JSON with its dequeueCount and the message is deleted', async () => {
    const q = freshQueue();
    const seen: Array<{ message: unknown; dequeueCount: unknown }> = [];
    const poller = await startQueuePoller({
      connectionString: q.connectionString,
      queueName: q.name,
      functionName: 'advance',
      logHandler: () => undefined,
      handler: (message: unknown, context: InvocationContext) => {
        seen.push({ message, dequeueCount: context.triggerMetadata?.dequeueCount });
      },
    });
    try {
      await q.port.send({ releaseId: RELEASE, due: '2026-12-02T06:00:00.000Z' }, 0);
      await until('the handler ran', () => Promise.resolve(poller.stats.succeeded > 0 ? true : undefined));
      expect(seen).toEqual([
        { message: { releaseId: RELEASE, due: '2026-12-02T06:00:00.000Z' }, dequeueCount: 1 },
      ]);
      expect((await q.raw.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      await poller.stop();
    }
  });

  it('when a handler keeps failing, then it is retried up to maxDequeueCount (5) times and the message moves to <queue>-poison', async () => {
    const q = freshQueue();
    const counts: unknown[] = [];
    const poller = await startQueuePoller({
      connectionString: q.connectionString,
      queueName: q.name,
      functionName: 'advance',
      logHandler: () => undefined,
      settings: { visibilityTimeoutMs: 0 },
      handler: (_message: unknown, context: InvocationContext) => {
        counts.push(context.triggerMetadata?.dequeueCount);
        throw new Error('storage is down');
      },
    });
    try {
      await q.port.send({ releaseId: RELEASE, due: '2026-12-02T06:00:00.000Z' }, 0);
      await until('the message was poisoned', () =>
        Promise.resolve(poller.stats.poisoned > 0 ? true : undefined),
      );
      expect(counts).toEqual([1, 2, 3, 4, 5]);
      expect((await q.port.poisoned(32)).map((p) => p.releaseId)).toEqual([RELEASE]);
      expect((await q.raw.getProperties()).approximateMessagesCount).toBe(0);
    } finally {
      await poller.stop();
    }
  });
});
