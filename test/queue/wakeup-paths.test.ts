// Where wake-ups are made and consumed, through the real handlers: the webhook enqueues one for
// the release it planned and never lets a hanging queue fail or hold the delivery; the `advance`
// trigger drops a malformed message, ignores an unknown release, and throws on a storage outage
// (so the host retries it and, after 5 tries, poisons it). Plus the pure due-time rules.
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURITE_ACCOUNT, AZURITE_KEY } from '../../dev/azurite';
import { appDeps } from '../../src/app/composition';
import { makeAdvanceHandler } from '../../src/functions/wakeups/advance';
import type { RegionRollout } from '../../src/core/model/records';
import {
  MAX_VISIBILITY_SECONDS,
  nextDue,
  parseWakeup,
  visibilitySeconds,
  wakeQueueName,
} from '../../src/core/wakeups/due-time';
import { pushPayload, digestOf } from '../support/acr-payloads';
import { setupIntakeEnv } from '../support/intake-env';
import { sender } from '../intake/support';

const RELEASE = '8235000000000-0123456789ab';

function invocation(lines: string[]): InvocationContext {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'advance',
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    triggerMetadata: { dequeueCount: 1 },
  });
}
const events = (lines: string[]) =>
  lines.flatMap((l) => {
    try {
      return [JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('the webhook and its wake-up', () => {
  let hanging: net.Server;
  let hangPort = 0;
  const sockets = new Set<net.Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: a queue service that hangs.
    hanging = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    hangPort = (hanging.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hanging.close(() => r()));
  });

  it('when a push is recorded with the nudge off, then one wake-up for its release is visible on the queue at once', async () => {
    const env = setupIntakeEnv();
    const send = sender(env.resolveDeps);
    const res = await send(
      pushPayload({ id: randomUUID(), repository: 'my-app', tag: '1.0.0', digest: digestOf('wake') }),
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    const queue = new QueueClient(env.connectionString, wakeQueueName(env.prefix));
    const got = await queue.receiveMessages({ numberOfMessages: 32 });
    const bodies = got.receivedMessageItems.map((m) => parseWakeup(m.messageText));
    expect(bodies.map((b) => (b.ok ? b.wakeup.releaseId : b.problem))).toEqual(res.body.releases);
    // The release is still pending: the wake-up names where its record is.
    expect(bodies.map((b) => b.ok && b.wakeup.repository)).toEqual(['my-app']);
  });

  it('when the queue service hangs, then the delivery is still recorded (202) and wakeup.send-failed names the release', async () => {
    const tableEndpoint = /TableEndpoint=([^;]+)/.exec(setupIntakeEnv().connectionString)![1];
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=${tableEndpoint};QueueEndpoint=http://127.0.0.1:${hangPort}/${AZURITE_ACCOUNT};`;
    const env = setupIntakeEnv({ connectionString });
    const send = sender(env.resolveDeps);
    const res = await send(
      pushPayload({ id: randomUUID(), repository: 'my-app', tag: '1.0.0', digest: digestOf('hang') }),
    );
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    const releaseId = res.body.releases?.[0];
    expect(releaseId).toBeDefined();
    // The wake-up that would write the release out is lost: it stays pending for the timer,
    // whose first step writes it out.
    expect(await env.store.getPendingRelease('my-app', releaseId!)).toBeDefined();
    expect(await env.writeOut()).toBe(1);
    expect((await env.store.getRelease(releaseId!))?.status).toBe('active');
    const failed = events(res.logs).find((e) => e.event === 'wakeup.send-failed');
    expect(failed?.releaseId).toBe(releaseId);
  });
});

describe('the advance trigger', () => {
  it('when a message is malformed, then it is logged as wakeup.invalid and dropped (no throw, no retry)', async () => {
    const env = setupIntakeEnv();
    const lines: string[] = [];
    await makeAdvanceHandler(env.resolveDeps)({ releaseId: '../etc', due: 'x' }, invocation(lines));
    expect(events(lines).find((e) => e.event === 'wakeup.invalid')?.problem).toMatch(/releaseId/);
  });

  it("when the webhook's wake-up of a pending release arrives, then it writes the release out and advances it", async () => {
    const env = setupIntakeEnv();
    const res = await sender(env.resolveDeps)(
      pushPayload({ id: randomUUID(), repository: 'my-app', tag: '2.0.0', digest: digestOf('advance') }),
    );
    const id = res.body.releases![0]!;
    expect(await env.store.getRelease(id)).toBeUndefined();
    const queue = new QueueClient(env.connectionString, wakeQueueName(env.prefix));
    const [message] = (await queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems;
    const lines: string[] = [];
    // As the host hands it over: base64 decoded and JSON parsed.
    const body = JSON.parse(Buffer.from(message!.messageText, 'base64').toString('utf8')) as unknown;
    await makeAdvanceHandler(env.resolveDeps)(body, invocation(lines));
    expect(await env.store.getRelease(id)).toMatchObject({
      tag: '2.0.0',
      status: 'active',
      source: 'webhook',
    });
    expect((await env.store.listRollouts(id, ['eastus', 'westeurope', 'southeastasia'])).length).toBe(3);
    expect(await env.store.getPendingRelease('my-app', id)).toBeUndefined();
    expect(events(lines).find((e) => e.event === 'wakeup.advanced')?.releaseId).toBe(id);
  });

  it('when the release is unknown, then the wake-up does nothing and writes nothing', async () => {
    const env = setupIntakeEnv();
    const before = await env.storedCounts();
    await makeAdvanceHandler(env.resolveDeps)(
      { releaseId: RELEASE, due: new Date().toISOString() },
      invocation([]),
    );
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when storage is down, then the handler throws, so the host retries the message', async () => {
    const settings = {
      ...setupIntakeEnv().settings,
      ROLLOUT_STORAGE: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};TableEndpoint=http://127.0.0.1:9/${AZURITE_ACCOUNT};`,
    };
    const handler = makeAdvanceHandler(() => appDeps(settings));
    await expect(
      Promise.resolve(handler({ releaseId: RELEASE, due: new Date().toISOString() }, invocation([]))),
    ).rejects.toThrow();
  }, 60_000);
});

describe('due times (pure)', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 6, 0, s));
  const rollout = (state: RegionRollout['state'], nextCheckAt: Date): RegionRollout => ({
    releaseId: RELEASE,
    region: 'eastus',
    wave: 0,
    state,
    reason: '',
    workloads: [],
    createdAt: at(0).toISOString(),
    updatedAt: at(0).toISOString(),
    attempts: 0,
    nextCheckAt: nextCheckAt.toISOString(),
  });

  it.each([
    [
      'the earliest unfinished rollout',
      [rollout('rolling-out', at(20)), rollout('waiting-for-replica', at(15))],
      at(1),
      at(15),
    ],
    [
      'finished rollouts do not count',
      [rollout('succeeded', at(2)), rollout('replica-ready', at(30))],
      at(1),
      at(30),
    ],
    ['an overdue one waits for the floor', [rollout('rolling-out', at(0))], at(1), at(1)],
    [
      'nothing unfinished: no wake-up',
      [rollout('failed', at(5)), rollout('superseded', at(5))],
      at(1),
      undefined,
    ],
  ])('when %s, then the due time follows', (_what, rollouts, floor, due) => {
    expect(nextDue(rollouts, floor)).toEqual(due);
  });

  it('when a due time is past or beyond 7 days, then the visibility delay is clamped to [0, 7 days]', () => {
    expect(visibilitySeconds(at(0), at(10))).toBe(0);
    expect(visibilitySeconds(at(12), at(10))).toBe(2);
    expect(visibilitySeconds(new Date(at(0).getTime() + 30 * 86_400_000), at(0))).toBe(
      MAX_VISIBILITY_SECONDS,
    );
  });

  it('when the queue name is derived, then it is the lower-cased prefix + -work', () => {
    expect(wakeQueueName('Rollout')).toBe('rollout-work');
  });
});
