// An operator's retry racing the timer run that completes the release, driven step by step (the
// store holds one call of each side until the test lets it go), on the in-memory store and on the
// Table store (Azurite): a release is marked done only when every rollout is terminal as of the
// write. eastus (wave 0) failed for good and westeurope is halted; the timer run halts
// southeastasia and completes the release from what it read before the retry reset the regions.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openTableRolloutStore } from '../../src/adapters/tables/table-store';
import { retryRelease } from '../../src/app/operator/retry';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { isTerminal, type RegionRollout } from '../../src/core/model/records';
import type { RolloutStore } from '../../src/core/model/store';
import { pushPayload } from '../support/acr-payloads';
import { testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';
import { pausingStore, type PausedCall } from '../support/pausing-store';

const DIGEST = 'sha256:' + createHash('sha256').update('retry-race').digest('hex');
const log = new Logger(silentSink);
const who = { actor: 'alice' };

let n = 0;
const stores: Array<[string, () => RolloutStore]> = [
  ['in-memory store', () => new MemoryRolloutStore()],
  [
    'Table store (Azurite)',
    () =>
      openTableRolloutStore(
        { kind: 'connectionString', connectionString: process.env.AZURITE_TABLE_CONNECTION! },
        `retryrace${Date.now().toString(36)}${n++}`,
      ),
  ],
];

/** The call arrived at the store (and waits there), or the side making it ended without it. */
const arrived = (call: PausedCall, side: Promise<unknown>) =>
  Promise.race([
    call.reached,
    side.then(() => {
      throw new Error('ended without making the paused call');
    }),
  ]);

/** eastus failed for good, westeurope halted by it, southeastasia still waiting for its replica. */
async function failedInEastus(make: () => RolloutStore) {
  const paused = pausingStore(make());
  const config = testConfig({ env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' } });
  const { clock, registry, executor, deps } = fakeDeps(config, paused.store);
  executor.outcome = (cmd) =>
    cmd.region === 'eastus'
      ? { kind: 'failed', reason: 'exit code 1: CrashLoopBackOff', transient: false }
      : { kind: 'succeeded', logs: 'ok' };
  const push = (region: string) => {
    registry.hold(region, 'my-app', DIGEST);
    const body = pushPayload({
      id: `evt-${region}`,
      timestamp: clock.now().toISOString(),
      digest: DIGEST,
      repository: 'my-app',
      tag: '1.0.0',
    });
    return receiveWebhook(
      deps,
      {
        region,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(JSON.stringify(body)),
      },
      log,
    );
  };
  await push('eastus'); // its nudge starts eastus
  clock.advance(10);
  await push('westeurope'); // its nudge polls eastus (failed) and halts westeurope
  const store = paused.store;
  const [release] = (await store.listReleases({ limit: 5 })).releases;
  const id = release!.id;
  const rollouts = async (): Promise<Record<string, RegionRollout>> =>
    Object.fromEntries((await store.listRollouts(id, release!.regions)).map((r) => [r.region, r]));
  const states = async () =>
    Object.fromEntries(Object.entries(await rollouts()).map(([g, r]) => [g, r.state]));
  expect(await states()).toEqual({
    eastus: 'failed',
    westeurope: 'halted',
    southeastasia: 'waiting-for-replica',
  });
  registry.hold('southeastasia', 'my-app', DIGEST);
  const isActive = async () => (await store.listActiveReleases()).some((a) => a.releaseId === id);

  /** The cluster behaves from here on: the timer runs until the release has settled. */
  const settle = async () => {
    executor.outcome = () => ({ kind: 'succeeded', logs: 'ok' });
    for (let i = 0; i < 20 && (await isActive()); i++) {
      clock.advance(15);
      await reconcileAll(deps, log);
    }
  };
  return { paused, store, deps, executor, id, rollouts, states, isActive, settle };
}

describe.each(stores)('a retry racing the completion of its release, on the %s', (_name, make) => {
  it('when the timer run read every region ended, then the retry reset them and only then the run halted the last one, then the release stays active and the retried regions roll out', async () => {
    const t = await failedInEastus(make);
    // The timer run has read the rollouts (eastus failed, westeurope halted) and decided to halt
    // southeastasia; its write is held.
    const halting = t.paused.pauseNext(
      'commitRegion',
      (r) => r.region === 'southeastasia' && r.state === 'halted',
    );
    const tick = reconcileAll(t.deps, log);
    await arrived(halting, tick);
    // The retry resets eastus and westeurope and reactivates the release; held before its answer.
    const answered = t.paused.pauseNext('completeAudit');
    const retry = retryRelease(t.deps, log, t.id, undefined, who);
    await arrived(answered, retry);
    expect(await t.states()).toMatchObject({ eastus: 'replica-ready', westeurope: 'waiting-for-replica' });
    // The run goes on from what it read: southeastasia halted, every region ended in its view.
    halting.release();
    await tick;
    expect(await t.states()).toMatchObject({ eastus: 'replica-ready', southeastasia: 'halted' });
    expect((await t.store.getRelease(t.id))?.status).toBe('active');
    expect(await t.isActive()).toBe(true);

    answered.release();
    const result = await retry;
    expect(result).toMatchObject({ kind: 'ok', body: { retried: ['eastus', 'westeurope'] } });
    await t.settle();
    const after = await t.rollouts();
    expect(after.eastus!.state).toBe('succeeded');
    expect(after.westeurope!.state).toBe('succeeded');
    for (const r of Object.values(after)) expect(isTerminal(r.state), r.region).toBe(true);
    expect((await t.store.getRelease(t.id))?.status).toBe('done');
    expect(t.executor.started.map((s) => s.region)).toEqual(['eastus', 'eastus', 'westeurope']);
  });

  it('when the run read the release after the retry counted itself but the rollouts before its reset, then its write-back of a reset rollout fails and the release stays active', async () => {
    const t = await failedInEastus(make);
    // The retry has reactivated the release (and counted itself); its resets are held.
    const resets = ['eastus', 'westeurope'].map((region) =>
      t.paused.pauseNext('commitRegion', (r) => r.region === region && r.reasonCode === 'operator-retry'),
    );
    const answered = t.paused.pauseNext('completeAudit');
    const retry = retryRelease(t.deps, log, t.id, undefined, who);
    for (const reset of resets) await arrived(reset, retry);
    // The run reads the counted release and the rollouts as they were; it halts southeastasia,
    // then writes back each rollout it read before completing: the first write is held.
    const writeBack = t.paused.pauseNext(
      'commitRegion',
      (r) => r.region === 'eastus' && r.state === 'failed',
    );
    const tick = reconcileAll(t.deps, log);
    await arrived(writeBack, tick);
    expect(await t.states()).toEqual({ eastus: 'failed', westeurope: 'halted', southeastasia: 'halted' });
    for (const reset of resets) reset.release();
    await arrived(answered, retry);
    expect(await t.states()).toMatchObject({ eastus: 'replica-ready', westeurope: 'waiting-for-replica' });
    writeBack.release();
    await tick;
    expect((await t.store.getRelease(t.id))?.status).toBe('active');
    expect(await t.isActive()).toBe(true);

    answered.release();
    expect(await retry).toMatchObject({ kind: 'ok', body: { retried: ['eastus', 'westeurope'] } });
    await t.settle();
    expect(await t.states()).toMatchObject({ eastus: 'succeeded', westeurope: 'succeeded' });
    expect((await t.store.getRelease(t.id))?.status).toBe('done');
  });

  it('when the run was about to mark the release done and the retry reset every region first, then the completion does not land', async () => {
    const t = await failedInEastus(make);
    const completing = t.paused.pauseNext('markReleaseDone');
    const tick = reconcileAll(t.deps, log);
    await arrived(completing, tick);
    expect(await t.states()).toEqual({ eastus: 'failed', westeurope: 'halted', southeastasia: 'halted' });
    const answered = t.paused.pauseNext('completeAudit');
    const retry = retryRelease(t.deps, log, t.id, undefined, who);
    await arrived(answered, retry);
    expect(await t.states()).toEqual({
      eastus: 'replica-ready',
      westeurope: 'waiting-for-replica',
      southeastasia: 'waiting-for-replica',
    });
    completing.release();
    await tick;
    expect((await t.store.getRelease(t.id))?.status).toBe('active');
    expect(await t.isActive()).toBe(true);

    answered.release();
    expect(await retry).toMatchObject({
      kind: 'ok',
      body: { retried: ['eastus', 'westeurope', 'southeastasia'] },
    });
    await t.settle();
    expect(await t.states()).toEqual({
      eastus: 'succeeded',
      westeurope: 'succeeded',
      southeastasia: 'succeeded',
    });
    expect((await t.store.getRelease(t.id))?.status).toBe('done');
  });
});
