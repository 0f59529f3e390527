// The exactly-once edge of a start, through the public use case (reconcileAll) with the real AKS
// executor over HTTP against the ARM/AKS simulator: a start that threw (ambiguous: the command
// may have run), and an accepted start whose record could not be written because storage failed
// 1..k times, or beyond the retry bound. The simulator's command log is the count of commands.
// The app's clock is a manual one; the simulator's rollouts are awaited with sim.idle().
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AksSimulator } from '../../dev/aks-simulator';
import { createAksExecutor } from '../../src/adapters/clusters/run-command/executor';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import type { RegionRollout } from '../../src/core/model/records';
import type { RolloutExecutorPort } from '../../src/core/model/ports';
import { START_GRACE_SECONDS, ambiguousWaitSeconds } from '../../src/core/rollout/region-rollout-machine';
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
/** testConfig's rolloutPollIntervalSeconds: timer runs in these tests come this far apart. */
const POLL = 5;

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
  /** At the end: the cluster runs the digest, the ledger says so, and the attempts are counted. */
  const expectConverged = async (attempts: number) => {
    const r = await rollout();
    expect(r.state, r.reason).toBe('succeeded');
    expect(r.attempts).toBe(attempts);
    expect(aks.images(clusterId(REGION))[WORKLOAD]).toBe(`myregistry.azurecr.io/my-app@${DIGEST}`);
    const ledger = await memory.listLedger(REGION);
    expect(ledger.map((l) => [l.workload, l.digest])).toEqual([[WORKLOAD, DIGEST]]);
    expect(r.handle?.commandId).toBe(commands().at(-1)?.commandId);
  };
  /** Timer runs every poll interval until `seconds` after the start: the claim holds, no command is added. */
  const expectClaimHeld = async (seconds: number, count: number) => {
    for (let s = POLL; s < seconds; s += POLL) {
      await step(POLL);
      expect(commands(), `after ${s} s`).toHaveLength(count);
      expect(await rollout(), `after ${s} s`).toMatchObject({
        state: 'rolling-out',
        attempts: 1,
        handle: undefined,
      });
    }
  };
  /** Every command the cluster ran is the same change, and it is fenced (JSON patch `test` ops). */
  const expectOneFencedChange = () => {
    const scripts = commands().map((c) => c.script);
    expect(new Set(scripts).size).toBe(1);
    expect(scripts[0]).toContain('"op":"test"');
  };
  return {
    failing,
    executor,
    push,
    rollout,
    commands,
    step,
    settle,
    expectConverged,
    expectClaimHeld,
    expectOneFencedChange,
    deps,
  };
}

describe('exactly once: a start that threw', () => {
  // Rule 10 (docs/rules.md): an ambiguous start keeps its claim (the attempt counts) and, after a bounded
  // wait, the SAME fenced change is re-sent under the same attempt; never a new attempt.
  const wait = ambiguousWaitSeconds(testConfig({ regions: [REGION] }).policy);

  it('when the start threw after ARM accepted it, then the claim holds for the bounded wait, the same fenced change is re-sent once under the same attempt, and it converges', async () => {
    const t = await setup();
    t.executor.plan.throwAfter = 1;
    await t.push();
    const first = await t.step(0);
    expect(first.errors).toBeGreaterThan(0);
    expect(t.commands()).toHaveLength(1);
    expect(await t.rollout()).toMatchObject({
      state: 'rolling-out',
      reasonCode: 'start-ambiguous',
      attempts: 1,
      handle: undefined,
    });

    // Timer runs throughout the bounded wait: the claim holds, nothing is re-sent.
    await t.expectClaimHeld(wait, 1);
    await t.step(POLL);
    expect(t.commands()).toHaveLength(2);
    expect(await t.rollout()).toMatchObject({ attempts: 1, resends: 1 });
    await t.settle(POLL);
    expect(t.commands()).toHaveLength(2);
    t.expectOneFencedChange();
    await t.expectConverged(1);
  });

  it('when the start threw before reaching ARM, then the claim still waits out the bounded wait and the re-send runs exactly one command under the same attempt', async () => {
    const t = await setup();
    t.executor.plan.throwBefore = 1;
    await t.push();
    await t.step(0);
    expect(t.commands()).toHaveLength(0);
    expect(await t.rollout()).toMatchObject({ reasonCode: 'start-ambiguous', attempts: 1 });
    await t.expectClaimHeld(wait, 0);
    await t.step(POLL);
    expect(t.commands()).toHaveLength(1);
    await t.settle(POLL);
    expect(t.commands()).toHaveLength(1);
    t.expectOneFencedChange();
    await t.expectConverged(1);
    expect((await t.rollout()).resends).toBe(1);
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

  it('when storage stays down beyond the retry bound, then the claim stays, no second command runs in its grace, and a later run re-sends the same fenced change under the same attempt and converges', async () => {
    const t = await setup();
    t.failing.failCommits(1000, recordingHandle);
    await t.push();
    const summary = await t.step(0); // waits out the whole bound (the real retry waits)
    expect(summary.errors).toBeGreaterThan(0);
    expect(t.failing.commits().failed).toBeGreaterThan(1);
    t.failing.failCommits(0); // storage is back
    expect(t.commands()).toHaveLength(1);
    expect(await t.rollout()).toMatchObject({
      state: 'rolling-out',
      reasonCode: 'start-claimed',
      attempts: 1,
      handle: undefined,
    });
    await t.expectClaimHeld(START_GRACE_SECONDS, 1);
    // The first command's handle is lost for good, so after the grace the same fenced change is
    // re-sent under the same attempt: exactly one more command, and the release converges.
    await t.step(POLL);
    expect(t.commands()).toHaveLength(2);
    // The re-send was accepted and recorded: its handle is the second command's.
    const resent = await t.rollout();
    expect(resent).toMatchObject({ reasonCode: 'start-accepted', attempts: 1, resends: 1 });
    expect(resent.handle?.commandId).toBe(t.commands()[1]!.commandId);
    await t.settle(POLL);
    expect(t.commands()).toHaveLength(2);
    t.expectOneFencedChange();
    await t.expectConverged(1);
  }, 60_000);
});
