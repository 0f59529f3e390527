// Lost and unconfirmed starts through the product's own path: the reconcile use cases on Azurite
// with the real AKS executor over HTTP to the AKS simulator, whose fault switches lose a start's
// answer (hang, the command still running late) or stand for a host killed right after the POST.
// Each ends with the invariants: the cluster runs the newest release, the ledger says so, and
// every command sent was a fenced change (no unfenced `set image`, no rollback).
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AksSimulator } from '../../dev/aks-simulator';
import { createAksExecutor } from '../../src/adapters/clusters/run-command/executor';
import { encodeAksHandle } from '../../src/adapters/clusters/run-command/handle';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { getReleaseView, listReleaseViews } from '../../src/app/status/releases';
import type { Deps } from '../../src/app/platform/deps';
import type { RegionRollout, Release } from '../../src/core/model/records';
import type { RolloutExecutorPort } from '../../src/core/model/ports';
import { pushPayload } from '../support/acr-payloads';
import { SUB, clusterId, testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { storeOnFreshTables } from '../store/support';

const TOKEN = 'local-dev-token';
const OLD = `myregistry.azurecr.io/my-app@sha256:${'0'.repeat(64)}`;
const WORKLOAD = 'default/Deployment/my-app/my-app';
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
const log = new Logger(silentSink);
let sim: AksSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function setup(policy: Record<string, unknown> = {}) {
  sim = await AksSimulator.start({
    token: TOKEN,
    clusters: [
      {
        resourceId: clusterId('eastus'),
        region: 'eastus',
        workloads: [
          {
            namespace: 'default',
            kind: 'Deployment',
            name: 'my-app',
            containers: [{ name: 'my-app', image: OLD }],
          },
        ],
      },
    ],
    rolloutMs: 50,
  });
  const { store } = storeOnFreshTables();
  const config = testConfig({
    regions: ['eastus'],
    env: { WEBHOOK_NUDGE_BUDGET_MS: '4000', ARM_ENDPOINT: sim.url },
    policy,
  });
  const base = fakeDeps(config, store);
  const executor = createAksExecutor({
    armEndpoint: sim.url,
    credential: new StaticTokenCredential(TOKEN),
    requestTimeoutMs: 400,
    retry: { sleep: () => Promise.resolve() },
  });
  const deps: Deps = { ...base.deps, executor };
  const aks = sim;
  const push = async (tag: string, d: Deps = deps) => {
    const digest = digestOf(tag);
    base.registry.hold('eastus', 'my-app', digest);
    const answer = await receiveWebhook(
      d,
      {
        region: 'eastus',
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${tag.replace(/[^A-Za-z0-9]/g, '_')}`,
              timestamp: base.clock.now().toISOString(),
              digest,
              repository: 'my-app',
              tag,
            }),
          ),
        ),
      },
      log,
    );
    expect(answer.status, JSON.stringify(answer)).toBeLessThan(300);
    return digest;
  };
  const releaseOf = async (digest: string): Promise<{ release: Release; rollout: RegionRollout }> => {
    const page = await store.listReleases({ limit: 50 });
    const release = page.releases.find((r) => r.digest === digest)!;
    const [rollout] = await store.listRollouts(release.id, ['eastus']);
    return { release, rollout: rollout! };
  };
  /** Timer runs with the clock moving, until every release is done (bounded). */
  const settle = async () => {
    for (let i = 0; i < 200; i++) {
      await reconcileAll(deps, log);
      const page = await store.listReleases({ limit: 50 });
      if (page.releases.every((r) => r.status === 'done')) return;
      base.clock.advance(5_000);
      // Real time for the simulator's commands to run between clock steps (more on a loaded machine).
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('releases did not finish');
  };
  /** The invariants: cluster = newest release = ledger; every command a fenced patch. */
  const invariants = async (newest: string) => {
    await aks.idle();
    expect(aks.images('aks-eastus')[WORKLOAD]).toBe(`myregistry.azurecr.io/my-app@${newest}`);
    const [entry] = await store.listLedger('eastus');
    expect(entry?.digest).toBe(newest);
    expect(entry?.inFlightReleaseId).toBeUndefined();
    expect(aks.workloads('aks-eastus')[0]?.annotations['acr-geo-rollout/release']).toBe(entry?.releaseId);
    for (const c of aks.runCommands()) {
      expect(c.script).toContain('--type json');
      expect(c.script).not.toContain('set image');
    }
  };
  return { deps, base, store, push, releaseOf, settle, invariants, aks, executor };
}

describe('a start whose answer was lost', () => {
  it('keeps its claim, re-sends the same fenced change, B waits behind it, and the late A command changes nothing', async () => {
    const t = await setup();
    // eastus: the runCommand POST hangs once, and that command still runs, late.
    t.aks.injectFault({ on: 'runCommand', effect: 'hang', commandStartDelayMs: 3000, cluster: 'aks-eastus' });
    const a = await t.push('3.0.0-A');
    const afterA = await t.releaseOf(a);
    expect(afterA.rollout).toMatchObject({
      state: 'rolling-out',
      reasonCode: 'start-ambiguous',
      attempts: 1,
    });
    expect((await t.store.listLedger('eastus'))[0]?.inFlightReleaseId).toBe(afterA.release.id);

    t.base.clock.advance(5_000);
    const b = await t.push('3.0.1-B');
    expect((await t.releaseOf(b)).rollout.reasonCode).toBe('waiting-for-workload-lock');
    await t.settle();

    const endA = (await t.releaseOf(a)).rollout;
    const endB = (await t.releaseOf(b)).rollout;
    expect(endA).toMatchObject({ state: 'succeeded', attempts: 1, resends: 1 });
    // The status routes show the re-send next to the attempt (list summary and detail).
    const detail = await getReleaseView(t.deps, (await t.releaseOf(a)).release.id);
    expect(detail?.rollouts[0]).toMatchObject({ attempts: 1, resends: 1, reasonCode: expect.any(String) });
    const listed = await listReleaseViews(t.deps, { limit: 10 });
    const summary = listed.releases.find((r) => r.digest === a)?.rollouts[0];
    expect(summary).toMatchObject({ attempts: 1, resends: 1 });
    expect(listed.releases.find((r) => r.digest === b)?.rollouts[0]).toMatchObject({ resends: 0 });
    expect(endB).toMatchObject({ state: 'succeeded', attempts: 1 });
    await t.invariants(b);
    // The hung (late) command of A ran after B's change: its fence refused it.
    const hung = t.aks.runCommands()[0]!;
    expect(hung.script).toContain(a);
    const late = await t.executor.status(
      {
        releaseId: afterA.release.id,
        region: 'eastus',
        cluster: clusterId('eastus'),
        workloads: [{ ...t.deps.config.workloads[0]!, expectedRelease: undefined }],
        image: { loginServer: 'myregistry.azurecr.io', repository: 'my-app', digest: a, tag: '3.0.0-A' },
        timeoutSeconds: 120,
      },
      encodeAksHandle({
        subscriptionId: SUB,
        resourceGroup: 'rg-eastus',
        cluster: 'aks-eastus',
        commandId: hung.commandId,
      }),
    );
    expect(late).toMatchObject({ kind: 'fenced' });
  }, 60_000);
});

describe('a start that is never confirmed (host killed after the POST)', () => {
  it('with maxAttempts 1, the same fenced change is re-sent under the claim and the region ends succeeded', async () => {
    const t = await setup({ maxAttempts: 1 });
    // The first instance sends the POST and dies before recording anything.
    const sent: Promise<unknown>[] = [];
    const dying: RolloutExecutorPort = {
      ...t.executor,
      start: (req) => {
        sent.push(t.executor.start(req));
        return new Promise(() => undefined); // never answers: the instance is gone
      },
    };
    const a = await t.push('4.0.0', {
      ...t.deps,
      executor: dying,
      config: { ...t.deps.config, nudgeBudgetMs: 500 },
    });
    await Promise.all(sent);
    await t.aks.idle();
    const claimed = (await t.releaseOf(a)).rollout;
    expect(claimed).toMatchObject({ state: 'rolling-out', reasonCode: 'start-claimed' });
    expect(claimed.handle).toBeUndefined();
    expect(t.aks.images('aks-eastus')[WORKLOAD]).toBe(`myregistry.azurecr.io/my-app@${a}`);
    await t.settle();
    const end = (await t.releaseOf(a)).rollout;
    expect(end).toMatchObject({ state: 'succeeded', attempts: 1, resends: 1 });
    expect(t.aks.runCommands()).toHaveLength(2); // the lost one and its fenced re-send
    await t.invariants(a);
  }, 60_000);
});
