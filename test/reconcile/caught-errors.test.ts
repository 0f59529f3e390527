// Errors a step catches and carries on from are never quiet: each is logged with what it is about
// (release, repository, digest, region) and counted in the operation.errors metric. On an
// in-memory store with fake ports; the failures come from failing fakes of the ports.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import type { PushVerification, PushVerifierPort } from '../../src/core/model/ports';
import { pushPayload } from '../support/acr-payloads';
import { testConfig } from '../support/config';
import { FailingStatusExecutor, fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const DIGEST = 'sha256:' + createHash('sha256').update('caught').digest('hex');

function capture(): { sink: LogSink; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const push = (m: string) => raw.push(m);
  return {
    sink: { info: push, warn: push, error: push },
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Throws instead of answering (its contract says it never throws: a bug, not an outage). */
class ThrowingVerifier implements PushVerifierPort {
  verify(): Promise<PushVerification> {
    return Promise.reject(new Error('verifier exploded'));
  }
}

function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig({ env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' } });
  const t = fakeDeps(config, store);
  const logs = capture();
  const log = new Logger(logs.sink);
  const push = (region: string) => {
    t.registry.hold(region, 'my-app', DIGEST);
    return receiveWebhook(
      t.deps,
      {
        region,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${region}`,
              timestamp: t.clock.now().toISOString(),
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
  const home = async () => {
    const [release] = store.allReleases();
    return store.getRollout(release!.id, 'eastus');
  };
  return { ...t, store, logs, log, push, home };
}

describe('caught errors', () => {
  it('when executor.status throws, then the poll is logged with the release, region and digest, counted, and read as unknown until it answers', async () => {
    const t = setup();
    const executor = new FailingStatusExecutor('socket hang up');
    t.deps.executor = executor;
    await t.push('eastus'); // the home nudge starts eastus
    expect(executor.started.map((s) => s.region)).toEqual(['eastus']);
    t.clock.advance(10);
    await reconcileAll(t.deps, t.log, { scan: false });

    expect(executor.statusCalls).toBeGreaterThan(0);
    const failed = t.logs.lines().filter((l) => l.event === 'rollout.status-error');
    expect(failed).toHaveLength(executor.statusCalls);
    const [release] = t.store.allReleases();
    expect(failed[0]).toMatchObject({
      releaseId: release!.id,
      repository: 'my-app',
      tag: '1.0.0',
      digest: DIGEST,
      region: 'eastus',
      commandId: executor.started[0]!.handle,
      error: 'socket hang up',
    });
    expect(t.metrics.errors.filter((e) => e === 'rollout-status')).toHaveLength(executor.statusCalls);
    expect((await t.home())?.state).toBe('rolling-out');

    // The executor answers again: the next poll finishes the rollout, with nothing more counted.
    const counted = t.metrics.errors.length;
    executor.failing = false;
    t.clock.advance(10);
    await reconcileAll(t.deps, t.log, { scan: false });
    expect((await t.home())?.state).toBe('succeeded');
    expect(t.metrics.errors).toHaveLength(counted);
  });

  it('when a replica check fails, then it is logged with its cause and counted once per run', async () => {
    const t = setup();
    t.registry.failingRegions.set('westeurope', 'ACR answered 403: the identity lacks AcrPull');
    await t.push('eastus');
    t.clock.advance(10);
    await reconcileAll(t.deps, t.log, { scan: false });
    const failed = t.logs.lines().filter((l) => l.event === 'replica.check-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      region: 'westeurope',
      repository: 'my-app',
      digest: DIGEST,
      cause: 'ACR answered 403: the identity lacks AcrPull',
    });
    expect(t.metrics.errors.filter((e) => e === 'replica-check')).toHaveLength(1);
  });

  it('when the push verifier throws, then the webhook logs push.verify-error, counts it, and plans the push unverified', async () => {
    const t = setup();
    t.deps.pushVerifier = new ThrowingVerifier();
    const answer = await t.push('eastus');
    expect(answer.status).toBeLessThan(300);
    const failed = t.logs.lines().filter((l) => l.event === 'push.verify-error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ repository: 'my-app', tag: '1.0.0', digest: DIGEST });
    expect(t.metrics.errors).toContain('push-verify');
    const [release] = t.store.allReleases();
    expect(release?.verification).toBe('unverified');
  });
});
