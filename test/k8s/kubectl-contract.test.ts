// Contract: the Kubernetes API simulator speaks the API server's wire format, proven with the
// real kubectl (/usr/bin/kubectl) over TLS with a bearer token: discovery, get, set image
// (strategic merge), patch --type json/merge, a fenced patch whose `test` fails, RBAC refusals
// and `rollout status` ending in success, a progress deadline or a timeout on ImagePullBackOff.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sSimulator } from '../../dev/k8s-simulator';
import { buildFencedPatch } from '../../src/core/rollout/fence';

const KUBECTL = '/usr/bin/kubectl';
const OLD = `r.azurecr.io/app@sha256:${'a'.repeat(64)}`;
const NEW_DIGEST = `sha256:${'b'.repeat(64)}`;
const MISSING_DIGEST = `sha256:${'c'.repeat(64)}`;
const BAD_DIGEST = `sha256:${'d'.repeat(64)}`;

let sim: K8sSimulator;
let dir: string;
let caFile: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], token = 'admin-token'): Promise<Run> {
  const base = [
    '--server',
    sim.url,
    '--token',
    token,
    '--certificate-authority',
    caFile,
    '--cache-dir',
    path.join(dir, 'cache'),
    '--request-timeout',
    '20s',
  ];
  return new Promise((resolve) => {
    execFile(KUBECTL, [...base, ...args], { timeout: 40_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs kubectl while moving the simulated clock, until kubectl exits (no sleeps asserted on). */
async function whileAdvancing(run: Promise<Run>, stepMs = 1000): Promise<Run> {
  let finished = false;
  const result = run.finally(() => {
    finished = true;
  });
  while (!finished) {
    sim.advance(stepMs);
    await new Promise((r) => setTimeout(r, 50));
  }
  return result;
}

function image(name: string, ns = 'shop'): string | undefined {
  return sim.imageOf('Deployment', ns, name, 'app');
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'k8s-contract-'));
  sim = new K8sSimulator({
    identities: [
      { token: 'admin-token', user: 'admin' },
      {
        token: 'reader-token',
        user: 'reader',
        rules: [{ verbs: ['get', 'list', 'watch'], resources: ['deployments', 'pods', 'replicasets'] }],
      },
    ],
    replicaHas: (digest) => digest !== MISSING_DIGEST,
    badDigests: [BAD_DIGEST],
  });
  await sim.start();
  caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, sim.ca ?? '');
  for (const name of ['web', 'fenced', 'pull', 'crash', 'merge', 'late'])
    sim.seed({
      kind: 'Deployment',
      namespace: 'shop',
      name,
      containers: [
        { name: 'app', image: OLD },
        { name: 'sidecar', image: 'busybox:1.36' },
      ],
      progressDeadlineSeconds: name === 'late' ? 30 : 600,
      annotations: { 'acr-geo-rollout/release': 'rel-A' },
    });
});

afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('kubectl against the Kubernetes API simulator', () => {
  it('get -o json returns the workloads with kind, apiVersion and resourceVersion', async () => {
    const r = await kubectl(['get', 'deploy', '-n', 'shop', '-o', 'json']);
    expect(r.stderr).toBe('');
    const list = JSON.parse(r.stdout) as {
      items: Array<{ kind: string; apiVersion: string; metadata: { name: string; resourceVersion: string } }>;
    };
    const web = list.items.find((i) => i.metadata.name === 'web');
    expect(web).toMatchObject({ kind: 'Deployment', apiVersion: 'apps/v1' });
    expect(Number(web?.metadata.resourceVersion)).toBeGreaterThan(0);
    const one = JSON.parse((await kubectl(['get', 'deploy', 'web', '-n', 'shop', '-o', 'json'])).stdout) as {
      status: { availableReplicas: number };
    };
    expect(one.status.availableReplicas).toBe(2);
  });

  it('a wrong token is refused as Unauthorized, an unknown object as NotFound', async () => {
    const bad = await kubectl(['get', 'deploy', '-n', 'shop'], 'wrong-token');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/provide credentials|Unauthorized/);
    const missing = await kubectl(['get', 'deploy', 'nope', '-n', 'shop']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('deployments.apps "nope" not found');
  });

  it("an identity without patch rights gets the API server's Forbidden message and nothing changes", async () => {
    const before = sim.workload('Deployment', 'shop', 'web');
    const r = await kubectl(
      ['set', 'image', 'deploy/web', '-n', 'shop', `app=r.azurecr.io/app@${NEW_DIGEST}`],
      'reader-token',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'deployments.apps "web" is forbidden: User "reader" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
    );
    expect(sim.workload('Deployment', 'shop', 'web')).toEqual(before);
  });

  it('set image changes that container only, bumps generation, and rollout status waits until it progressed', async () => {
    const r = await kubectl([
      'set',
      'image',
      'deploy/web',
      '-n',
      'shop',
      `app=r.azurecr.io/app@${NEW_DIGEST}`,
    ]);
    expect(r.stdout).toContain('deployment.apps/web image updated');
    expect(image('web')).toBe(`r.azurecr.io/app@${NEW_DIGEST}`);
    expect(sim.imageOf('Deployment', 'shop', 'web', 'sidecar')).toBe('busybox:1.36');
    expect((sim.workload('Deployment', 'shop', 'web')?.metadata as { generation: number }).generation).toBe(
      2,
    );
    const status = await whileAdvancing(
      kubectl(['rollout', 'status', 'deploy/web', '-n', 'shop', '--timeout', '30s']),
    );
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    expect(status.code).toBe(0);
    const rs = JSON.parse(
      (await kubectl(['get', 'rs', '-n', 'shop', '-l', 'app=web', '-o', 'json'])).stdout,
    ) as { items: unknown[] };
    expect(rs.items).toHaveLength(2);
  });

  it('a fenced json patch whose test fails exits non-zero with 422 Invalid and changes nothing', async () => {
    const before = sim.workload('Deployment', 'shop', 'fenced');
    const stale = buildFencedPatch({
      target: { kind: 'Deployment', namespace: 'shop', name: 'fenced', container: 'app' },
      containerIndex: 0,
      change: {
        loginServer: 'r.azurecr.io',
        repository: 'app',
        digest: NEW_DIGEST,
        releaseId: 'rel-old',
        pushedAt: '2026-12-01T09:00:00Z',
      },
      expectedRelease: 'rel-never-recorded',
    });
    const r = await kubectl([
      'patch',
      'deploy',
      'fenced',
      '-n',
      'shop',
      '--type',
      'json',
      '-p',
      JSON.stringify(stale),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The request is invalid');
    expect(sim.workload('Deployment', 'shop', 'fenced')).toEqual(before);
    const fresh = buildFencedPatch({
      target: { kind: 'Deployment', namespace: 'shop', name: 'fenced', container: 'app' },
      containerIndex: 0,
      change: {
        loginServer: 'r.azurecr.io',
        repository: 'app',
        digest: NEW_DIGEST,
        releaseId: 'rel-B',
        pushedAt: '2026-12-01T10:00:00Z',
      },
      expectedRelease: 'rel-A',
    });
    const ok = await kubectl([
      'patch',
      'deploy',
      'fenced',
      '-n',
      'shop',
      '--type',
      'json',
      '-p',
      JSON.stringify(fresh),
    ]);
    expect(ok.stdout).toContain('deployment.apps/fenced patched');
    const after = sim.workload('Deployment', 'shop', 'fenced')?.metadata as {
      annotations: Record<string, string>;
    };
    expect(after.annotations['acr-geo-rollout/release']).toBe('rel-B');
    // Sent again (a late duplicate): the fence now fails.
    const again = await kubectl([
      'patch',
      'deploy',
      'fenced',
      '-n',
      'shop',
      '--type',
      'json',
      '-p',
      JSON.stringify(fresh),
    ]);
    expect(again.code).not.toBe(0);
  });

  it('merge and strategic merge patches: strategic merges containers by name, merge replaces the list', async () => {
    const smp = {
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.37' }] } } },
    };
    await kubectl([
      'patch',
      'deploy',
      'merge',
      '-n',
      'shop',
      '--type',
      'strategic',
      '-p',
      JSON.stringify(smp),
    ]);
    expect(sim.imageOf('Deployment', 'shop', 'merge', 'sidecar')).toBe('busybox:1.37');
    expect(image('merge')).toBe(OLD);
    const mp = {
      metadata: { annotations: { note: 'x' } },
      spec: { template: { spec: { containers: [{ name: 'only', image: 'nginx:1' }] } } },
    };
    await kubectl(['patch', 'deploy', 'merge', '-n', 'shop', '--type', 'merge', '-p', JSON.stringify(mp)]);
    expect(image('merge')).toBeUndefined();
    expect(sim.imageOf('Deployment', 'shop', 'merge', 'only')).toBe('nginx:1');
  });

  it('a digest the replica lacks leaves pods in ImagePullBackOff and rollout status times out', async () => {
    await kubectl(['set', 'image', 'deploy/pull', '-n', 'shop', `app=r.azurecr.io/app@${MISSING_DIGEST}`]);
    const status = await whileAdvancing(
      kubectl(['rollout', 'status', 'deploy/pull', '-n', 'shop', '--timeout', '3s']),
    );
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('timed out waiting for the condition');
    const pods = JSON.parse(
      (await kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=pull', '-o', 'json'])).stdout,
    ) as {
      items: Array<{
        status: {
          containerStatuses: Array<{
            name: string;
            state: { waiting?: { reason: string; message: string } };
          }>;
        };
      }>;
    };
    const waiting = pods.items.flatMap((p) => p.status.containerStatuses).map((c) => c.state.waiting?.reason);
    expect(waiting).toContain('ImagePullBackOff');
  });

  it('a bad digest crash-loops', async () => {
    await kubectl(['set', 'image', 'deploy/crash', '-n', 'shop', `app=r.azurecr.io/app@${BAD_DIGEST}`]);
    sim.advance(10_000);
    const pods = JSON.parse(
      (await kubectl(['get', 'pods', '-n', 'shop', '-l', 'app=crash', '-o', 'json'])).stdout,
    ) as {
      items: Array<{ status: { containerStatuses: Array<{ state: { waiting?: { reason: string } } }> } }>;
    };
    expect(
      pods.items.flatMap((p) => p.status.containerStatuses).map((c) => c.state.waiting?.reason),
    ).toContain('CrashLoopBackOff');
  });

  it('rollout status fails when the Deployment exceeds its progress deadline', async () => {
    await kubectl(['set', 'image', 'deploy/late', '-n', 'shop', `app=r.azurecr.io/app@${MISSING_DIGEST}`]);
    const status = await whileAdvancing(
      kubectl(['rollout', 'status', 'deploy/late', '-n', 'shop', '--timeout', '30s']),
      5000,
    );
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('deployment "late" exceeded its progress deadline');
  });

  it('StatefulSet and DaemonSet rollouts complete under rollout status', async () => {
    for (const kind of ['StatefulSet', 'DaemonSet'] as const)
      sim.seed({
        kind,
        namespace: 'infra',
        name: kind.toLowerCase(),
        containers: [{ name: 'app', image: OLD }],
      });
    for (const [res, name] of [
      ['sts', 'statefulset'],
      ['ds', 'daemonset'],
    ] as const) {
      await kubectl(['set', 'image', `${res}/${name}`, '-n', 'infra', `app=r.azurecr.io/app@${NEW_DIGEST}`]);
      const status = await whileAdvancing(
        kubectl(['rollout', 'status', `${res}/${name}`, '-n', 'infra', '--timeout', '30s']),
      );
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/rolling update complete|successfully rolled out/);
    }
  });
});
