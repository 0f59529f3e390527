// The executor with the real SDK client over real HTTP against the loopback ARM simulator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RolloutHandle } from '../../src/core/model/records';
import type { RolloutRequest } from '../../src/core/model/ports';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import {
  PERMISSION_CLUSTER_READ,
  PERMISSION_COMMAND_RESULTS,
  PERMISSION_RUN_COMMAND,
  createAksExecutor,
  type AksExecutor,
} from '../../src/adapters/clusters/run-command/executor';
import { buildRolloutScript } from '../../src/adapters/clusters/rollout-command';
import { AksSimulator, type FaultRule } from '../../dev/aks-simulator';
import {
  DIGEST_A,
  LOGIN_SERVER,
  REPO,
  SUB,
  TOKEN,
  clusterId,
  request,
  simCluster,
  workload,
} from './fixtures';

// Retries wait through this recorded sleep, not real time.
let waits: number[] = [];
const FAST_RETRY = {
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxInlineWaitMs: 200,
  sleep: (ms: number) => {
    waits.push(ms);
    return Promise.resolve();
  },
};

let sim: AksSimulator;
let held: Set<string>;

function executor(overrides: Partial<Parameters<typeof createAksExecutor>[0]> = {}): AksExecutor {
  return createAksExecutor({
    armEndpoint: sim.url,
    credential: new StaticTokenCredential(TOKEN),
    requestTimeoutMs: 10_000, // generous: the hang tests pass their own short one
    retry: FAST_RETRY,
    ...overrides,
  });
}

async function started(ex: AksExecutor, req: RolloutRequest = request()): Promise<RolloutHandle> {
  const r = await ex.start(req);
  if (r.kind !== 'started') throw new Error(`not started: ${JSON.stringify(r)}`);
  return r.handle;
}

function fault(rule: FaultRule): void {
  sim.injectFault(rule);
}

const posts = (): number => sim.requests().filter((r) => r.operation === 'runCommand').length;

beforeEach(async () => {
  waits = [];
  held = new Set([`westeurope/${REPO}@${DIGEST_A}`, `eastus/${REPO}@${DIGEST_A}`]);
  sim = await AksSimulator.start({
    token: TOKEN,
    clusters: [
      simCluster('aks-weu', 'westeurope'),
      simCluster('aks-eus', 'eastus', { aadManaged: true }),
      simCluster('aks-locked', 'westeurope', { disableRunCommand: true }),
    ],
    replicaHolds: (region, repository, digest) => held.has(`${region}/${repository}@${digest}`),
    rolloutMs: 30,
    pullFailureDelayMs: 30,
    commandStartDelayMs: 5,
  });
});
afterEach(async () => {
  await sim.stop();
});

describe('starting a rollout', () => {
  it('when a release starts, then ONE runCommand POST carries the exact script to the cluster path', async () => {
    const ex = executor();
    const result = await ex.start(request());
    expect(result.kind).toBe('started');
    const post = sim.requests().filter((r) => r.operation === 'runCommand');
    expect(post).toHaveLength(1);
    expect(post[0]).toMatchObject({
      method: 'POST',
      path: `/subscriptions/${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-weu/runCommand`,
      authorized: true,
      status: 202,
      body: { command: buildRolloutScript(request()), context: '', clusterToken: '' },
    });
    expect(post[0]!.apiVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(ex.describe(request())).toBe(buildRolloutScript(request()));
    const [record] = sim.runCommands();
    expect(result.kind === 'started' && result.handle.commandId).toBe(record!.commandId);
    expect(ex.stats()).toEqual({ armRequests: 2, runCommands: 1 });
  });

  it('when an api-version is configured, then every request sends it', async () => {
    const ex = executor({ apiVersion: '2025-10-01' });
    const handle = await started(ex);
    await ex.status(request(), handle);
    expect(new Set(sim.requests().map((r) => r.apiVersion))).toEqual(new Set(['2025-10-01']));
  });

  it('when the cluster uses managed Entra ID, then a clusterToken goes with the command, and only then', async () => {
    const ex = executor();
    await started(ex, request({ region: 'eastus', cluster: clusterId('aks-eus') }));
    await started(ex, request());
    const byCluster = Object.fromEntries(sim.runCommands().map((r) => [r.cluster, r.clusterToken]));
    expect(byCluster).toEqual({ 'aks-eus': TOKEN, 'aks-weu': '' });
  });

  it('when the same cluster is used again, then its properties come from the cache', async () => {
    const ex = executor();
    await started(ex);
    await started(ex, request({ releaseId: '8204255882821-2d727fc80f6e' }));
    expect(sim.requests().filter((r) => r.operation === 'get')).toHaveLength(1);
    expect(posts()).toBe(2);
  });

  it('when the input is invalid, then it is rejected permanently before any ARM call', async () => {
    const ex = executor();
    const r = await ex.start(request({ workloads: [workload({ name: "web'; id" })] }));
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: false,
      reason: expect.stringMatching(/invalid workload name/),
    });
    expect(sim.requests()).toHaveLength(0);
  });
});

describe('polling a rollout across reconcile runs', () => {
  it('when one instance starts and a new instance polls, then it sees running, then the outcome', async () => {
    let release!: () => void;
    const gate = new Promise<boolean>((resolve) => (release = () => resolve(true)));
    sim.setReplicaHolds(() => gate); // the pull hangs until released: deterministic "running"
    const handle = await started(executor());

    const later = executor(); // another reconcile run, possibly on another instance
    expect(await later.status(request(), { value: handle.value })).toEqual({ kind: 'running' });
    release();
    await sim.idle();
    const outcome = await executor().status(request(), { value: handle.value });
    expect(outcome).toMatchObject({
      kind: 'succeeded',
      logs: expect.stringContaining('successfully rolled out'),
    });
    expect(sim.images('aks-weu')['shop/Deployment/web/app']).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_A}`);
  });

  it('when the container name is wrong, then the rollout fails with kubectl exit code and message', async () => {
    const ex = executor();
    const req = request({ workloads: [workload({ container: 'nope' })] });
    const handle = await started(ex, req);
    await sim.idle();
    const s = await ex.status(req, handle);
    expect(s).toMatchObject({ kind: 'failed', transient: false });
    expect(s.kind === 'failed' && s.reason).toMatch(
      /kubectl exited non-zero: container "nope" is not at index 0 of shop\/deployment\/web \(containers: app sidecar\)/,
    );
  });

  it('when the replica lacks the digest, then the rollout fails with ImagePullBackOff', async () => {
    held.clear();
    const ex = executor();
    const handle = await started(ex);
    await sim.idle();
    const s = await ex.status(request(), handle);
    expect(s).toMatchObject({ kind: 'failed', transient: false });
    expect(s.kind === 'failed' && s.reason).toMatch(/ImagePullBackOff.*timed out waiting for the condition/);
    expect(sim.pullFailures('aks-weu')).toBe(1);
  });

  it('when the managed Entra cluster gets no valid clusterToken, then kubectl is unauthorized', async () => {
    const ex = createAksExecutor({
      armEndpoint: sim.url,
      credential: {
        getToken: (scope) =>
          Promise.resolve({
            token: scope.includes('6dae42f8') ? 'wrong' : TOKEN,
            expiresOnTimestamp: Date.now() + 3.6e6,
          }),
      },
      retry: FAST_RETRY,
    });
    const req = request({ region: 'eastus', cluster: clusterId('aks-eus') });
    const handle = await started(ex, req);
    await sim.idle();
    const s = await ex.status(req, handle);
    expect(s.kind === 'failed' && s.reason).toMatch(/Unauthorized/);
    expect(sim.runCommands()[0]!.clusterToken).toBe('wrong');
  });

  it('when the command pod is not scheduled, then the result is a transient failure with its reason', async () => {
    fault({ on: 'runCommand', effect: 'pod-not-scheduled' });
    const ex = executor();
    const handle = await started(ex);
    await sim.idle();
    const s = await ex.status(request(), handle);
    expect(s).toMatchObject({
      kind: 'failed',
      transient: true,
      reason: expect.stringMatching(/not scheduled/),
    });
  });

  it('when the handle is unreadable, then status says so permanently', async () => {
    const s = await executor().status(request(), { value: 'garbage' });
    expect(s).toMatchObject({
      kind: 'failed',
      transient: false,
      reason: expect.stringMatching(/unreadable rollout handle/),
    });
  });
});

describe('ARM errors on start', () => {
  it('when ARM throttles with a long Retry-After, then start is a transient rejection carrying it, sent once', async () => {
    fault({ on: 'runCommand', status: 429, retryAfterSeconds: 30 });
    const r = await executor().start(request());
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: true,
      retryAfterSeconds: 30,
      reason: expect.stringMatching(/throttled/),
    });
    expect(posts()).toBe(1);
  });

  it('when ARM throttles once with a short Retry-After, then start tries again and succeeds', async () => {
    fault({ on: 'runCommand', status: 429, retryAfterSeconds: 0 });
    const r = await executor().start(request());
    expect(r.kind).toBe('started');
    expect(posts()).toBe(2);
    expect(sim.runCommands()).toHaveLength(1); // the throttled POST ran nothing
  });

  it('when another operation is in progress, then start is a transient rejection after bounded tries', async () => {
    fault({ on: 'runCommand', status: 409, times: 10 });
    const r = await executor().start(request());
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: true,
      reason: expect.stringMatching(/another operation is in progress/),
    });
    expect(posts()).toBe(3);
  });

  it('when ARM fails with 500 once before accepting, then start retries and succeeds', async () => {
    fault({ on: 'runCommand', status: 500 });
    expect((await executor().start(request())).kind).toBe('started');
    expect(posts()).toBe(2);
  });

  it('when runCommand is forbidden, then the rejection is permanent and names the missing permission', async () => {
    fault({ on: 'runCommand', status: 403 });
    const r = await executor().start(request());
    expect(r).toMatchObject({ kind: 'rejected', transient: false });
    expect(r.kind === 'rejected' && r.reason).toContain(PERMISSION_RUN_COMMAND);
    expect(posts()).toBe(1);
  });

  it('when reading the cluster is forbidden, then the rejection names managedClusters/read', async () => {
    fault({ on: 'get', status: 403 });
    const r = await executor().start(request());
    expect(r).toMatchObject({ kind: 'rejected', transient: false });
    expect(r.kind === 'rejected' && r.reason).toContain(PERMISSION_CLUSTER_READ);
    expect(posts()).toBe(0);
  });

  it('when reading the cluster fails twice with 503, then the read is retried and start proceeds', async () => {
    fault({ on: 'get', status: 503, times: 2 });
    expect((await executor().start(request())).kind).toBe('started');
    expect(sim.requests().filter((r) => r.operation === 'get')).toHaveLength(3);
  });

  it('when the cluster does not exist, then the rejection is permanent "not found"', async () => {
    const r = await executor().start(request({ cluster: clusterId('aks-gone') }));
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: false,
      reason: expect.stringMatching(/aks-gone not found/),
    });
  });

  it('when Run Command is disabled on the cluster, then start is rejected permanently without a POST', async () => {
    const r = await executor().start(request({ cluster: clusterId('aks-locked') }));
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: false,
      reason:
        'Run Command is disabled on cluster rg-aks/aks-locked (apiServerAccessProfile.disableRunCommand)',
    });
    expect(posts()).toBe(0);
  });

  it('when the token is wrong, then ARM answers 401 and start is rejected permanently', async () => {
    const ex = createAksExecutor({
      armEndpoint: sim.url,
      credential: new StaticTokenCredential('wrong'),
      retry: FAST_RETRY,
    });
    const r = await ex.start(request());
    expect(r).toMatchObject({
      kind: 'rejected',
      transient: false,
      reason: expect.stringMatching(/credential/),
    });
    expect(sim.requests().every((q) => !q.authorized)).toBe(true);
  });

  it('when the POST gets no answer in time, then start does not resend it (it may have run)', async () => {
    fault({ on: 'runCommand', effect: 'hang' });
    const r = await executor({ requestTimeoutMs: 300 }).start(request());
    // Ambiguous: the reconciler keeps the claim and re-sends the same fenced change later.
    expect(r).toMatchObject({ kind: 'ambiguous', reason: expect.stringMatching(/may have started/) });
    expect(posts()).toBe(1);
    expect(sim.runCommands()).toHaveLength(1); // and indeed it was accepted
  });
});

describe('ARM errors on status', () => {
  it('when reading results is forbidden, then the failure is permanent and names commandResults/read', async () => {
    const handle = await started(executor());
    await sim.idle();
    fault({ on: 'commandResults', status: 403 });
    const s = await executor().status(request(), handle);
    expect(s).toMatchObject({ kind: 'failed', transient: false });
    expect(s.kind === 'failed' && s.reason).toContain(PERMISSION_COMMAND_RESULTS);
  });

  it('when ARM throttles the read with a long Retry-After, then the status is unknown with that delay', async () => {
    const handle = await started(executor());
    fault({ on: 'commandResults', status: 429, retryAfterSeconds: 45 });
    const s = await executor().status(request(), handle);
    expect(s).toMatchObject({ kind: 'unknown', retryAfterSeconds: 45 });
  });

  it('when the read fails with 500 once, then it is retried and the outcome arrives', async () => {
    const handle = await started(executor());
    await sim.idle();
    fault({ on: 'commandResults', status: 500 });
    expect((await executor().status(request(), handle)).kind).toBe('succeeded');
  });

  it('when reads keep failing with 5xx, then the status is unknown after bounded tries', async () => {
    const handle = await started(executor());
    fault({ on: 'commandResults', status: 502, times: 10 });
    const s = await executor().status(request(), handle);
    expect(s).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/HTTP 502/) });
    expect(sim.requests().filter((r) => r.operation === 'commandResults')).toHaveLength(3);
  });

  it('when a finished command result is lost, then the failure is transient and says the outcome is unknown', async () => {
    const handle = await started(executor());
    await sim.idle();
    fault({ on: 'commandResults', effect: 'lost-result' });
    const s = await executor().status(request(), handle);
    expect(s).toMatchObject({
      kind: 'failed',
      transient: true,
      reason: expect.stringMatching(/not found.*outcome unknown/),
    });
  });
});
