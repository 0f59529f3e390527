// The use cases end to end on an in-memory store with fake ports: what a user sees in the
// region rollouts after webhooks and timer runs.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import type { RegionRollout } from '../../src/core/model/records';
import { testConfig } from '../support/config';
import { pushPayload } from '../support/acr-payloads';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const DIGEST = 'sha256:' + createHash('sha256').update('v1').digest('hex');
const log = new Logger(silentSink);

function setup(env: Record<string, string> = {}, policy: Record<string, unknown> = {}) {
  const store = new MemoryRolloutStore();
  const config = testConfig({ env: { WEBHOOK_NUDGE_BUDGET_MS: '2000', ...env }, policy });
  const { clock, registry, executor, deps } = fakeDeps(config, store);
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
  const rollouts = async (): Promise<Record<string, RegionRollout>> => {
    const [release] = store.allReleases();
    const list = await store.listRollouts(release!.id, release!.regions);
    return Object.fromEntries(list.map((r) => [r.region, r]));
  };
  return { clock, registry, executor, store, deps, push, rollouts };
}

describe('use cases', () => {
  it('when DRY_RUN is on, then every region ends dry-run with the exact command recorded and nothing runs', async () => {
    const t = setup({ DRY_RUN: 'true' });
    await t.push('eastus');
    await t.push('westeurope');
    await t.push('southeastasia');
    await reconcileAll(t.deps, log);
    const r = await t.rollouts();
    for (const region of ['eastus', 'westeurope', 'southeastasia']) {
      expect(r[region]!.state).toBe('dry-run');
      expect(r[region]!.command).toContain(`myregistry.azurecr.io/my-app@${DIGEST}`);
    }
    expect(t.executor.started).toEqual([]);
    expect(await t.store.listLedger('eastus')).toEqual([]);
  });

  it('when a regional webhook arrives after the home rollout finished but before anyone polled it, then that region starts at once', async () => {
    const t = setup();
    await t.push('eastus'); // home: ready and started by its own nudge
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus']);
    t.clock.advance(10); // the home rollout finished meanwhile (the fake says succeeded when polled)
    await t.push('westeurope');
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus', 'westeurope']);
    const r = await t.rollouts();
    expect(r.eastus!.state).toBe('succeeded');
    expect(r.westeurope!.state).toBe('rolling-out');
  });

  it('when the home region fails for good, then the later waves are halted naming it, and none of them runs', async () => {
    const t = setup();
    t.executor.outcome = () => ({
      kind: 'failed',
      reason: 'exit code 1: container "my-app" not found',
      transient: false,
    });
    await t.push('eastus');
    await t.push('westeurope');
    t.clock.advance(10);
    await reconcileAll(t.deps, log);
    t.clock.advance(10);
    await reconcileAll(t.deps, log);
    const r = await t.rollouts();
    expect(r.eastus!.state).toBe('failed');
    expect(r.eastus!.reason).toContain('container "my-app" not found');
    for (const region of ['westeurope', 'southeastasia']) {
      expect(r[region]!.state).toBe('halted');
      expect(r[region]!.reason).toMatch(/wave 0 failed in eastus/);
    }
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus']);
    expect(await t.store.listActiveReleases()).toEqual([]);
  });

  it('when a replica never gets the digest, then that region ends replication-timed-out at its deadline', async () => {
    const t = setup({}, { replicationTimeoutSeconds: 60 });
    await t.push('eastus');
    await t.push('westeurope');
    for (let i = 0; i < 8; i++) {
      t.clock.advance(10);
      await reconcileAll(t.deps, log);
    }
    const r = await t.rollouts();
    expect(r.southeastasia!.state).toBe('replication-timed-out');
    expect(r.southeastasia!.lastCheckResult).toBe('absent');
    expect(r.westeurope!.state).toBe('succeeded');
  });
});
