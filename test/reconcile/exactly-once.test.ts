// The exactly-once edge of a start, through the public use case (reconcileAll) with the real AKS
// executor over HTTP against the ARM/AKS simulator: a start that threw (ambiguous: the command
// may have run), and an accepted start whose record could not be written because storage failed
// 1..k times, or beyond the retry bound. The simulator's command log is the count of commands.
// The app's clock is a manual one; the simulator's rollouts are awaited with sim.idle().
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AksSimulator } from '../../dev/aks-simulator';
import { createAksExecutor } from '../../src/adapters/aks-executor';
import { StaticTokenCredential } from '../../src/adapters/credential';
import { Logger, silentSink } from '../../src/app/logger';
import { reconcileAll } from '../../src/app/reconcile-all';
import { receiveWebhook } from '../../src/app/receive-webhook';
import type { RegionRollout } from '../../src/core/model';
import type { RolloutExecutorPort } from '../../src/core/ports';
import { START_GRACE_SECONDS } from '../../src/core/region-rollout-machine';
import { pushPayload } from '../support/acr-payloads';
import { clusterId, testConfig } from '../support/config';
import { failingStore } from '../support/failing-store';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const TOKEN = 'local-dev-token-exactly-once';
const REGION = 'eastus';
const WORKLOAD = 'default/Deployment/my-app/my-app';
const DIGEST = 'sha256:' + createHash('sha256').update('exactly-once').digest('hex');
const OLD = `myregistry.azurecr.io/my-app@sha256:${'0'.repeat(64)}`;
const log = new Logger(silentSink);

let sim: AksSimulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** The real executor, with a switch that makes the next start throw before or after ARM got it. */
function throwingExecutor(inner: RolloutExecutorPort) {
  const plan = { throwBefore: 0, throwAfter: 0 };
  const port: RolloutExecutorPort = {
    start: async (req, signal) => {
      if (plan.throwBefore > 0) {
        plan.throwBefore--;
        throw new Error('connection reset before the request was sent');
      }
      const result = await inner.start(req, signal);
      if (plan.throwAfter > 0) {
        plan.throwAfter--;
        throw new Error('socket hang up after the POST was accepted');
      }
      return result;
    },
    status: (req, handle, signal) => inner.status(req, handle, signal),
    describe: (req) => inner.describe(req),
  };
  return { port, plan };
}

async function setup() {
  const memory = new MemoryRolloutStore();
  const failing = failingStore(memory);
  const config = testConfig({ regions: [REGION] });
  const { clock, registry, deps } = fakeDeps(config, failing.store);
  registry.hold(REGION, 'my-app', DIGEST);
  sim = await AksSimulator.start({
    token: TOKEN,
    replicaHolds: (region, repository, digest) => registry.holds(region, repository, digest),
    rolloutMs: 20,
    pullFailureDelayMs: 20,
    clusters: [
      {
        resourceId: clusterId(REGION),
        region: REGION,
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
  });
  const aks = sim;
  const executor = throwingExecutor(
    createAksExecutor({
      armEndpoint: aks.url,
      credential: new StaticTokenCredential(TOKEN),
      requestTimeoutMs: 10_000,
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxInlineWaitMs: 200 },
    }),
  );
  deps.executor = executor.port;

  const push = async () => {
    const res = await receiveWebhook(
      deps,
      {
        region: REGION,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: 'evt-exactly-once',
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
    expect(res.status).toBe(202);
  };
  const rollout = async (): Promise<RegionRollout> => {
    const [release] = memory.allReleases();
    const [r] = await memory.listRollouts(release!.id, [REGION]);
    return r!;
  };
  /** Commands the cluster really ran for this digest, in order. */
  const commands = () => aks.runCommands().filter((c) => c.script.includes(DIGEST));
  /** One timer run after the cluster finished what it was doing and `seconds` passed. */
  const step = async (seconds: number) => {
    await aks.idle();
    clock.advance(seconds);
    return reconcileAll(deps, log);
  };
  /** Timer runs (each `seconds` apart) until the rollout is terminal; bounded. */
  const settle = async (seconds = 10) => {
    for (let i = 0; i < 100 && !['succeeded', 'failed'].includes((await rollout()).state); i++)
      await step(seconds);
    return rollout();
  };
  /** At the end: the cluster runs the digest, the ledger says so, and every attempt ran once. */
  const expectConverged = async (attempts: number) => {
    const r = await rollout();
    expect(r.state, r.reason).toBe('succeeded');
    expect(r.attempts).toBe(attempts);
    expect(aks.images(clusterId(REGION))[WORKLOAD]).toBe(`myregistry.azurecr.io/my-app@${DIGEST}`);
    const ledger = await memory.listLedger(REGION);
    expect(ledger.map((l) => [l.workload, l.digest])).toEqual([[WORKLOAD, DIGEST]]);
    expect(r.handle?.commandId).toBe(commands().at(-1)?.commandId);
  };
  return { failing, executor, push, rollout, commands, step, settle, expectConverged, deps };
}

describe('exactly once: a start that threw', () => {
  it('when the start threw after ARM accepted it, then no second command runs until the claim resolves, and each attempt ran one command', async () => {
    const t = await setup();
    t.executor.plan.throwAfter = 1;
    await t.push();
    const first = await t.step(0);
    expect(first.errors).toBeGreaterThan(0);
    expect(t.commands()).toHaveLength(1);
    const claimed = await t.rollout();
    expect(claimed).toMatchObject({ state: 'rolling-out', attempts: 1, handle: undefined });

    // Timer runs throughout the start grace period: the claim holds, nothing is re-sent.
    for (let s = 10; s < START_GRACE_SECONDS; s += 10) {
      await t.step(10);
      expect(t.commands(), `after ${s} s`).toHaveLength(1);
      expect(await t.rollout()).toMatchObject({ state: 'rolling-out', attempts: 1, handle: undefined });
    }
    await t.settle();
    expect(t.commands()).toHaveLength(2);
    await t.expectConverged(2);
  });

  it('when the start threw before reaching ARM, then the claim still waits out its grace and the retry runs exactly one command', async () => {
    const t = await setup();
    t.executor.plan.throwBefore = 1;
    await t.push();
    await t.step(0);
    expect(t.commands()).toHaveLength(0);
    for (let s = 10; s < START_GRACE_SECONDS; s += 10) {
      await t.step(10);
      expect(t.commands(), `after ${s} s`).toHaveLength(0);
    }
    await t.settle();
    expect(t.commands()).toHaveLength(1);
    await t.expectConverged(2);
  });
});

describe('exactly once: the accepted start could not be recorded at once', () => {
  const recordingHandle = (r: RegionRollout) => r.handle !== undefined;

  it.each([1, 2])(
    'when storage fails %i time(s) after an accepted start and then recovers, then the handle is recorded and no second command runs',
    async (k) => {
      const t = await setup();
      t.failing.failCommits(k, recordingHandle);
      await t.push();
      const run = t.step(0);
      // While the first run waits out the outage, another instance's timer run finds the claim
      // without a handle: it must not start a second command.
      await t.failing.whenFailed(1);
      await reconcileAll(t.deps, log);
      expect(t.commands()).toHaveLength(1);
      const summary = await run;
      expect(summary.errors).toBe(0);
      expect(t.failing.commits().failed).toBe(k);
      const recorded = await t.rollout();
      expect(recorded.state).toBe('rolling-out');
      expect(recorded.handle?.commandId).toBe(t.commands()[0]!.commandId);
      await t.settle();
      expect(t.commands()).toHaveLength(1);
      await t.expectConverged(1);
    },
  );

  it('when storage stays down beyond the retry bound, then the claim stays, no second command runs in its grace, and a later run converges with one command for the new attempt', async () => {
    const t = await setup();
    t.failing.failCommits(1000, recordingHandle);
    await t.push();
    const summary = await t.step(0); // waits out the whole bound (the real retry waits)
    expect(summary.errors).toBeGreaterThan(0);
    expect(t.failing.commits().failed).toBeGreaterThan(1);
    t.failing.failCommits(0); // storage is back
    expect(t.commands()).toHaveLength(1);
    expect(await t.rollout()).toMatchObject({ state: 'rolling-out', attempts: 1, handle: undefined });
    for (let s = 10; s < START_GRACE_SECONDS; s += 10) {
      await t.step(10);
      expect(t.commands(), `after ${s} s`).toHaveLength(1);
    }
    // The first command's handle is lost for good, so after the grace the attempt is retried:
    // exactly one more command, for attempt 2, and the release converges.
    await t.settle();
    expect(t.commands()).toHaveLength(2);
    await t.expectConverged(2);
  }, 60_000);
});
