// The AKS simulator running Run Command scripts with the real sh + kubectl against each region's
// Kubernetes API simulator (one cluster state per region, the same one the Kubernetes API path
// sees), driven through the product's AKS executor: a change applies and rolls out, a pull of a
// digest the region's replica lacks fails the rollout, a late older command is fenced (422 read
// as "a newer change is already there"), and the existing fault switches still apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AksSimulator } from '../../dev/aks-simulator';
import { K8sSimulator } from '../../dev/k8s-simulator';
import { createAksExecutor, type AksExecutor } from '../../src/adapters/clusters/run-command/executor';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import type { RolloutRequest, RolloutStatus } from '../../src/core/model/ports';
import {
  DIGEST_A,
  DIGEST_B,
  LOGIN_SERVER,
  OLD_IMAGE,
  REPO,
  TOKEN,
  clusterId,
  request,
  workload,
} from './fixtures';

const REGIONS = ['eastus', 'westeurope'] as const;
const k8s = new Map<string, K8sSimulator>();
let aks: AksSimulator;
let executor: AksExecutor;
const timings: number[] = [];

beforeAll(async () => {
  for (const region of REGIONS) {
    const sim = new K8sSimulator({
      identities: [{ token: `run-command-${region}`, user: 'aks-run-command' }],
      // westeurope's replica lacks DIGEST_B: its pulls fail.
      replicaHas: (digest) => !(region === 'westeurope' && digest === DIGEST_B),
    });
    await sim.start();
    sim.seed({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'web',
      containers: [{ name: 'app', image: OLD_IMAGE }],
      progressDeadlineSeconds: 20,
    });
    sim.runClock(50, 20); // one simulated second per 50 ms: rollout status ends quickly
    k8s.set(region, sim);
  }
  aks = await AksSimulator.start({
    token: TOKEN,
    clusters: REGIONS.map((region) => ({
      resourceId: clusterId(`aks-${region}`),
      region,
      workloads: [],
      kubernetesApi: { url: k8s.get(region)!.url, ca: k8s.get(region)!.ca!, token: `run-command-${region}` },
    })),
  });
  executor = createAksExecutor({ armEndpoint: aks.url, credential: new StaticTokenCredential(TOKEN) });
}, 30_000);

afterAll(async () => {
  await aks?.stop();
  for (const s of k8s.values()) await s.stop();
});

const req = (region: string, id: string, digest: string, expected: string | undefined): RolloutRequest =>
  request(
    {
      releaseId: id,
      region,
      cluster: clusterId(`aks-${region}`),
      pushedAt: '2026-12-01T10:00:00Z',
      workloads: [{ ...workload(), expectedRelease: expected }],
      timeoutSeconds: 60,
    },
    { digest },
  );

/** Start, then poll (bounded) until the command ended; records how long it took. */
async function rollout(r: RolloutRequest): Promise<RolloutStatus> {
  const t0 = Date.now();
  const started = await executor.start(r);
  if (started.kind !== 'started') throw new Error(`not started: ${JSON.stringify(started)}`);
  for (let i = 0; i < 600; i++) {
    const s = await executor.status(r, started.handle);
    if (s.kind !== 'running') {
      timings.push(Date.now() - t0);
      return s;
    }
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the command did not finish');
}

const image = (region: string) => k8s.get(region)!.imageOf('Deployment', 'shop', 'web', 'app');
const A = '1000000000100-aaaaaaaaaaaa';
const B = '1000000000200-bbbbbbbbbbbb';

describe('AKS simulator: Run Command scripts run by the real kubectl on the region Kubernetes API', () => {
  it('applies the fenced change and waits for the rollout; the Kubernetes API sees the same state', async () => {
    const s = await rollout(req('eastus', A, DIGEST_A, undefined));
    expect(s, JSON.stringify(s)).toMatchObject({ kind: 'succeeded' });
    expect(image('eastus')).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_A}`);
    const meta = k8s.get('eastus')!.workload('Deployment', 'shop', 'web')?.metadata as {
      annotations: Record<string, string>;
    };
    expect(meta.annotations[RELEASE_ANNOTATION]).toBe(A);
    expect(image('westeurope')).toBe(OLD_IMAGE); // another region's cluster state is its own
  }, 60_000);

  it('a late older command after a newer change is fenced: nothing changes and it reads as a newer change', async () => {
    expect(await rollout(req('eastus', B, DIGEST_B, A))).toMatchObject({ kind: 'succeeded' });
    const late = await rollout(req('eastus', A, DIGEST_A, undefined));
    expect(late).toMatchObject({
      kind: 'fenced',
      reason: expect.stringMatching(/carries release 1000000000200/),
    });
    expect(image('eastus')).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_B}`);
  }, 60_000);

  it("a digest the region's replica lacks fails the rollout (ImagePullBackOff until the progress deadline)", async () => {
    const s = await rollout(req('westeurope', B, DIGEST_B, undefined));
    expect(s).toMatchObject({ kind: 'failed', transient: false });
    expect(s.kind === 'failed' && s.reason).toMatch(/progress deadline|timed out/);
  }, 60_000);

  it('the existing fault switches still apply (hang: the POST goes unanswered, the command still runs)', async () => {
    aks.injectFault({ on: 'runCommand', effect: 'hang', cluster: 'aks-eastus' });
    const hung = createAksExecutor({
      armEndpoint: aks.url,
      credential: new StaticTokenCredential(TOKEN),
      requestTimeoutMs: 300,
    });
    const r = await hung.start(req('eastus', B, DIGEST_B, A));
    expect(r.kind).toBe('ambiguous');
    await aks.idle();
    expect(image('eastus')).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_B}`);
    // Figures for the report: wall time per command with the real kubectl.
    console.log(`real-kubectl commands: ${timings.map((t) => `${t} ms`).join(', ')}`);
  }, 60_000);
});
