// An HTTP 500 from ARM is an "ARM error", not "cluster busy". The use cases on
// the in-memory store drive the real AKS executor over HTTP against the ARM simulator's fault
// switch; a manual clock moves time, so no test waits for a back-off.
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAksExecutor } from '../../src/adapters/clusters/run-command/executor';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { getReleaseView } from '../../src/app/status/releases';
import { ARM_ERROR_BUDGET_SECONDS, MAX_ARM_ERRORS } from '../../src/core/rollout/states/arm-errors';
import { AksSimulator } from '../../dev/aks-simulator';
import { pushPayload } from '../support/acr-payloads';
import { clusterId, testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';
import { writeOutPending } from '../support/write-out';

const TOKEN = 'local-dev-token';
const DIGEST = 'sha256:' + createHash('sha256').update('arm errors').digest('hex');
const OLD = `myregistry.azurecr.io/my-app@sha256:${'0'.repeat(64)}`;
const log = new Logger(silentSink);

let sim: AksSimulator;
beforeEach(async () => {
  sim = await AksSimulator.start({
    token: TOKEN,
    clusters: ['eastus'].map((region) => ({
      resourceId: clusterId(region),
      region,
      workloads: [
        {
          namespace: 'default',
          kind: 'Deployment',
          name: 'my-app',
          containers: [{ name: 'my-app', image: OLD }],
        },
      ],
    })),
    replicaHolds: () => true,
    rolloutMs: 20,
    pullFailureDelayMs: 20,
    commandStartDelayMs: 1,
  });
});
afterEach(async () => {
  await sim.stop();
});

function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig({
    regions: ['eastus'],
    env: { ARM_ENDPOINT: sim.url, WEBHOOK_NUDGE_BUDGET_MS: '0' },
    policy: { retryBaseSeconds: 8, rolloutPollIntervalSeconds: 1 },
  });
  const t = fakeDeps(config, store);
  t.deps.executor = createAksExecutor({
    armEndpoint: sim.url,
    credential: new StaticTokenCredential(TOKEN),
    requestTimeoutMs: 3000,
    retry: { baseDelayMs: 1, maxDelayMs: 2, maxInlineWaitMs: 10, sleep: () => Promise.resolve() },
  });
  const push = async () => {
    t.registry.hold('eastus', 'my-app', DIGEST);
    const answer = await receiveWebhook(
      t.deps,
      {
        region: 'eastus',
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: 'evt-1',
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
    await writeOutPending(t.deps); // what its first wake-up does
    return answer.body.releases![0]!;
  };
  /** One timer run once the rollout is due again (the manual clock jumps to its nextCheckAt). */
  const runWhenDue = async (id: string) => {
    const [r] = await store.listRollouts(id, ['eastus']);
    const wait = Math.max(0, Date.parse(r!.nextCheckAt) - t.clock.now().getTime());
    t.clock.advance(wait / 1000);
    await reconcileAll(t.deps, log, { scan: false });
    return (await getReleaseView(t.deps, id))!.rollouts[0]!;
  };
  return { ...t, store, push, runWhenDue };
}

const posts = () => sim.requests().filter((r) => r.operation === 'runCommand').length;

describe('ARM errors', () => {
  it('when ARM answers 500 to every start, then each refusal counts as an ARM error (not busy, no attempt spent) and the rollout fails at the budget naming it', async () => {
    const t = setup();
    sim.injectFault({ on: 'runCommand', status: 500, times: 1000 });
    const id = await t.push();
    const seen = [];
    for (let i = 0; i < MAX_ARM_ERRORS + 2; i++) {
      const r = await t.runWhenDue(id);
      seen.push(r);
      if (r.state === 'failed') break;
    }
    const retrying = seen.slice(0, -1);
    expect(retrying).toHaveLength(MAX_ARM_ERRORS - 1);
    retrying.forEach((r, i) => {
      expect(r.state).toBe('replica-ready');
      expect(r.reason).toMatch(new RegExp(`^ARM error ${i + 1} of ${MAX_ARM_ERRORS} \\(until `));
      expect(r.reason).not.toMatch(/busy/);
      expect(r.armErrors).toBe(i + 1);
      expect(r.attempts).toBe(0);
    });
    const deadline = retrying[0]!.armErrorDeadline!;
    expect(retrying.every((r) => r.armErrorDeadline === deadline)).toBe(true);
    const last = seen.at(-1)!;
    expect(last.state).toBe('failed');
    expect(last.reason).toMatch(
      /^failed: ARM errors exhausted the budget \(6 errors; at most 6 errors within 900s/,
    );
    expect(last.reason).toContain('HTTP 500');
    expect(last.armErrors).toBe(MAX_ARM_ERRORS);
    expect(last.armErrorDeadline).toBe(deadline);
    // Bounded in time too: well inside the budget, not the 30-60 minutes of the busy path.
    expect(Date.parse(last.finishedAt!) - Date.parse(retrying[0]!.updatedAt)).toBeLessThan(
      ARM_ERROR_BUDGET_SECONDS * 1000,
    );
    // No command ran; the cluster and the ledger still tell the same (old) story.
    expect(sim.runCommands()).toEqual([]);
    expect(posts()).toBeGreaterThanOrEqual(MAX_ARM_ERRORS);
    expect(sim.images('aks-eastus')['default/Deployment/my-app/my-app']).toBe(OLD);
    const ledger = await t.store.listLedger('eastus');
    expect(ledger.filter((l) => l.digest === DIGEST || l.inFlightReleaseId !== undefined)).toEqual([]);
  });

  it('when ARM keeps failing past the wall-clock deadline, then the next ARM error fails the rollout even with errors left', async () => {
    const t = setup();
    sim.injectFault({ on: 'runCommand', status: 503, times: 1000 });
    const id = await t.push();
    const first = await t.runWhenDue(id);
    expect(first.armErrors).toBe(1);
    t.clock.advance(ARM_ERROR_BUDGET_SECONDS + 1);
    const r = await t.runWhenDue(id);
    expect(r.state).toBe('failed');
    expect(r.armErrors).toBe(2);
    expect(r.reason).toMatch(/ARM errors exhausted the budget \(2 errors;/);
  });

  it('when ARM recovers within the budget, then the rollout succeeds with the ARM errors shown, and 429 stays busy with its Retry-After', async () => {
    const t = setup();
    sim.injectFault({ on: 'runCommand', status: 500, times: 6 }); // two starts' worth of inline tries
    sim.injectFault({ on: 'runCommand', status: 429, retryAfterSeconds: 40, times: 1 });
    const id = await t.push();
    const one = await t.runWhenDue(id);
    const two = await t.runWhenDue(id);
    expect([one.armErrors, two.armErrors]).toEqual([1, 2]);
    const busy = await t.runWhenDue(id);
    expect(busy.reason).toMatch(/^cluster busy, retrying in 40s/);
    expect(busy.armErrors).toBe(2);
    let r = busy;
    // The simulated rollout takes real milliseconds: poll with a deadline, never a fixed count.
    const deadline = Date.now() + 20_000;
    while (r.state !== 'succeeded' && r.state !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      r = await t.runWhenDue(id);
    }
    expect(r.state).toBe('succeeded');
    expect(r.attempts).toBe(1);
    expect(r.armErrors).toBe(2);
    // Invariants: the cluster runs the release, the ledger says so, one command.
    expect(sim.images('aks-eastus')['default/Deployment/my-app/my-app']).toBe(
      `myregistry.azurecr.io/my-app@${DIGEST}`,
    );
    const [entry] = await t.store.listLedger('eastus');
    expect(entry).toMatchObject({ releaseId: id, digest: DIGEST });
    expect(entry?.inFlightReleaseId).toBeUndefined();
    expect(sim.runCommands()).toHaveLength(1);
  });
});
