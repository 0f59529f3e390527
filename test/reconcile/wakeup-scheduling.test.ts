// When wake-ups are scheduled, on an in-memory store with fake ports (the queue port records what
// it was asked to send): every reconcile that leaves a rollout unfinished asks for a wake-up at
// its next check time, a finished release asks for none, and a regional webhook's nudge polls the
// running earlier wave that gates its region even before that wave's next check time.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { reconcileRelease } from '../../src/app/rollout/reconcile-release';
import { testConfig } from '../support/config';
import { pushPayload } from '../support/acr-payloads';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const DIGEST = 'sha256:' + createHash('sha256').update('wake').digest('hex');
const log = new Logger(silentSink);

function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig({
    env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' },
    policy: { rolloutPollIntervalSeconds: 5, replicaCheckIntervalSeconds: 5 },
  });
  const { clock, registry, executor, deps, wakeups: queue } = fakeDeps(config, store);
  let done = false;
  executor.outcome = () => (done ? { kind: 'succeeded', logs: 'ok' } : { kind: 'running' });
  const push = (region: string) => {
    registry.hold(region, 'my-app', DIGEST);
    return receiveWebhook(
      deps,
      {
        region,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${region}`,
              timestamp: clock.now().toISOString(),
              digest: DIGEST,
              repository: 'my-app',
              tag: '1.0.0',
            }),
          ),
        ),
      },
      log,
    );
  };
  return { store, deps, clock, executor, queue, push, finish: () => (done = true) };
}

describe('wake-up scheduling', () => {
  it('when the home webhook starts the home rollout, then a wake-up is asked for at its next poll, and none once the release is done', async () => {
    const t = setup();
    const res = await t.push('eastus');
    const releaseId = res.body.releases![0]!;
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus']);
    const eastus = await t.store.getRollout(releaseId, 'eastus');
    const last = t.queue.sent.at(-1);
    expect(last?.releaseId).toBe(releaseId);
    // The earliest unfinished rollout: the other regions are due now (their replica check), so
    // the wake-up comes at once for them; eastus' own poll is later.
    expect(Date.parse(last!.due)).toBeLessThanOrEqual(Date.parse(eastus!.nextCheckAt));

    t.finish();
    for (const region of ['westeurope', 'southeastasia']) await t.push(region);
    for (let i = 0; i < 5; i++) {
      t.clock.advance(5);
      await reconcileRelease(t.deps, releaseId, log);
    }
    expect((await t.store.getRelease(releaseId))?.status).toBe('done');
    const before = t.queue.sent.length;
    t.clock.advance(5);
    await reconcileRelease(t.deps, releaseId, log);
    expect(t.queue.sent.length).toBe(before);
  });

  it('when a regional webhook arrives while the gating home rollout has finished but is not due for a poll, then its nudge polls it and starts the region', async () => {
    const t = setup();
    const releaseId = (await t.push('eastus')).body.releases![0]!;
    // A wake-up polls eastus (still running): its next poll moves 5 s ahead.
    t.clock.advance(5);
    await reconcileRelease(t.deps, releaseId, log);
    expect((await t.store.getRollout(releaseId, 'eastus'))?.state).toBe('rolling-out');
    t.finish();
    t.clock.advance(1);
    await t.push('westeurope');
    expect((await t.store.getRollout(releaseId, 'eastus'))?.state).toBe('succeeded');
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus', 'westeurope']);
  });
});
