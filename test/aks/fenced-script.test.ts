// Contract: the Run Command script (set -eu, a fence read, the fenced `kubectl patch --type
// json` alternatives, the change cause, `rollout status`) run by the real `sh` and the real
// kubectl against the Kubernetes API simulator over TLS: it applies the change, a re-sent copy
// is idempotent, a late older copy fails with the API server's 422 and changes nothing, and the
// product reads that exit as "a newer change is already there", not as a failed rollout.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sSimulator } from '../../dev/k8s-simulator';
import { fencedOutcome, fenceReads } from '../../src/adapters/clusters/run-command/fence-outcome';
import { buildRolloutScript } from '../../src/adapters/clusters/rollout-command';
import { executeScript } from '../../dev/aks-simulator/commands';
import { AksSimulator } from '../../dev/aks-simulator';
import { PUSHED_AT_ANNOTATION, RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import type { RolloutRequest } from '../../src/core/model/ports';
import {
  DIGEST_A,
  DIGEST_B,
  LOGIN_SERVER,
  OLD_IMAGE,
  REPO,
  TOKEN,
  request,
  simCluster,
  workload,
} from './fixtures';

const KUBECTL = '/usr/bin/kubectl';
let sim: K8sSimulator;
let dir: string;
let kubeconfig: string;

interface Run {
  code: number;
  logs: string;
}

/** Runs a script with the real sh; kubectl finds the simulator through KUBECONFIG. */
function sh(script: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      '/bin/sh',
      ['-c', script],
      { timeout: 60_000, env: { PATH: path.dirname(KUBECTL) + ':/bin', KUBECONFIG: kubeconfig, HOME: dir } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, logs: stdout + stderr });
      },
    );
    void child;
  });
}

/** Runs while moving simulated time, so `rollout status` sees the rollout progress. */
async function whileAdvancing(p: Promise<Run>): Promise<Run> {
  let done = false;
  const r = p.finally(() => (done = true));
  while (!done) {
    sim.advance(1000);
    await new Promise((res) => setTimeout(res, 50));
  }
  return r;
}

const release = (id: string, digest: string, expected: string | undefined, name = 'web'): RolloutRequest =>
  request(
    {
      releaseId: id,
      pushedAt: '2026-12-01T10:00:00Z',
      workloads: [{ ...workload({ name }), expectedRelease: expected }],
      timeoutSeconds: 30,
    },
    { digest },
  );

const annotationsOf = (name: string) =>
  (sim.workload('Deployment', 'shop', name)?.metadata as { annotations?: Record<string, string> })
    .annotations;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fenced-script-'));
  sim = new K8sSimulator({ identities: [{ token: 'cluster-token', user: 'run-command' }] });
  await sim.start();
  const ca = path.join(dir, 'ca.pem');
  await writeFile(ca, sim.ca ?? '');
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: sim, cluster: {server: "${sim.url}", certificate-authority: "${ca}"}}]`,
      'users: [{name: sim, user: {token: cluster-token}}]',
      'contexts: [{name: sim, context: {cluster: sim, user: sim}}]',
      'current-context: sim',
    ].join('\n'),
  );
  for (const name of ['web', 'bare', 'other'])
    sim.seed({
      kind: 'Deployment',
      namespace: 'shop',
      name,
      containers: [
        { name: 'app', image: OLD_IMAGE },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
      ...(name === 'web' ? { annotations: { [RELEASE_ANNOTATION]: '1000000000100-aaaaaaaaaaaa' } } : {}),
    });
});

afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the fenced Run Command script with the real sh and kubectl', () => {
  const A = release('1000000000200-aaaaaaaaaaaa', DIGEST_A, '1000000000100-aaaaaaaaaaaa');
  const B = release('1000000000300-bbbbbbbbbbbb', DIGEST_B, '1000000000200-aaaaaaaaaaaa');

  it('applies the change when the annotation is what the ledger recorded, then waits for the rollout', async () => {
    const r = await whileAdvancing(sh(buildRolloutScript(A)));
    expect(r.code, r.logs).toBe(0);
    expect(r.logs).toContain('deployment.apps/web patched');
    expect(r.logs).toContain('successfully rolled out');
    expect(sim.imageOf('Deployment', 'shop', 'web', 'app')).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_A}`);
    expect(sim.imageOf('Deployment', 'shop', 'web', 'sidecar')).toBe('busybox:1.36');
    expect(annotationsOf('web')).toMatchObject({
      [RELEASE_ANNOTATION]: A.releaseId,
      [PUSHED_AT_ANNOTATION]: '2026-12-01T10:00:00Z',
    });
    expect(fenceReads(r.logs).get('shop/deployment/web')).toEqual({
      release: '1000000000100-aaaaaaaaaaaa',
      containers: ['app', 'sidecar'],
    });
  });

  it('re-sent (an ambiguous start resolved), the same change succeeds again without a new revision', async () => {
    const generation = (sim.workload('Deployment', 'shop', 'web')?.metadata as { generation: number })
      .generation;
    const r = await whileAdvancing(sh(buildRolloutScript(A)));
    expect(r.code, r.logs).toBe(0);
    expect((sim.workload('Deployment', 'shop', 'web')?.metadata as { generation: number }).generation).toBe(
      generation,
    );
  });

  it('a late older command after a newer change fails with 422, changes nothing, and reads as fenced', async () => {
    expect((await whileAdvancing(sh(buildRolloutScript(B)))).code).toBe(0);
    const before = sim.workload('Deployment', 'shop', 'web');
    const late = await whileAdvancing(sh(buildRolloutScript(A)));
    expect(late.code).not.toBe(0);
    expect(late.logs).toContain('The request is invalid');
    expect(late.logs).not.toContain('successfully rolled out');
    expect(sim.workload('Deployment', 'shop', 'web')).toEqual(before);
    expect(fencedOutcome(A, late.logs)).toMatch(/carries release 1000000000300-bbbbbbbbbbbb/);
    // The in-process executor of the AKS simulator answers the same way.
    const aks = await AksSimulator.start({ token: TOKEN, clusters: [simCluster('aks-weu', 'westeurope')] });
    try {
      const c = aks.cluster('aks-weu');
      const fresh = { ...B, workloads: [{ ...workload(), expectedRelease: undefined }] };
      expect((await executeScript(c, buildRolloutScript(fresh))).exitCode).toBe(0);
      const inProcess = await executeScript(c, buildRolloutScript(A));
      expect(inProcess.exitCode).toBe(1);
      expect(fencedOutcome(A, inProcess.logs)).toMatch(/carries release 1000000000300-bbbbbbbbbbbb/);
      expect(aks.images('aks-weu')['shop/Deployment/web/app']).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_B}`);
    } finally {
      await aks.stop();
    }
  });

  it('expecting absence works on an object without any annotations map, and then fences', async () => {
    const first = release('1000000000200-aaaaaaaaaaaa', DIGEST_A, undefined, 'bare');
    expect((await whileAdvancing(sh(buildRolloutScript(first)))).code).toBe(0);
    expect(annotationsOf('bare')?.[RELEASE_ANNOTATION]).toBe('1000000000200-aaaaaaaaaaaa');
    const stale = release('1000000000150-cccccccccccc', DIGEST_B, undefined, 'bare');
    const r = await whileAdvancing(sh(buildRolloutScript(stale)));
    expect(r.code).not.toBe(0);
    expect(fencedOutcome(stale, r.logs)).toBeDefined();
    expect(sim.imageOf('Deployment', 'shop', 'bare', 'app')).toBe(`${LOGIN_SERVER}/${REPO}@${DIGEST_A}`);
  });

  it('a container that is not at the addressed index fails the rollout (not fenced) and changes nothing', async () => {
    const wrong: RolloutRequest = {
      ...release('1000000000400-dddddddddddd', DIGEST_B, undefined, 'other'),
      workloads: [{ ...workload({ name: 'other', container: 'sidecar' }), expectedRelease: undefined }],
    };
    const r = await whileAdvancing(sh(buildRolloutScript(wrong)));
    expect(r.code).not.toBe(0);
    expect(fencedOutcome(wrong, r.logs)).toBeUndefined();
    expect(sim.imageOf('Deployment', 'shop', 'other', 'sidecar')).toBe('busybox:1.36');
  });
});
