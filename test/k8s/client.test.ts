// The product's Kubernetes API client against the simulator over TLS (its CA as the client's
// trust): the fenced change and its outcomes, progress to success, fail-fast on
// ImagePullBackOff, and refusals that name the permission or the object.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sSimulator } from '../../dev/k8s-simulator';
import { K8sClient } from '../../src/adapters/clusters/kubernetes-api/client';
import {
  K8sApiError,
  MAX_K8S_BODY_BYTES,
  type K8sHttpOptions,
} from '../../src/adapters/clusters/kubernetes-api/http';
import { RELEASE_ANNOTATION, type FenceChange, type FenceTarget } from '../../src/core/rollout/fence';
import {
  failFast,
  stuckContainers,
  trackStuck,
  workloadProgress,
  type FailFastDecision,
} from '../../src/core/rollout/k8s-progress';
import type { WorkloadKind } from '../../src/core/model/names';

const OLD = `r.azurecr.io/app@sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const NEWER = `sha256:${'e'.repeat(64)}`;
const MISSING = `sha256:${'c'.repeat(64)}`;

let sim: K8sSimulator;
const fast: K8sHttpOptions = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoffBaseMs: 1,
  random: () => 0.5,
  sleep: () => Promise.resolve(),
};

function client(token = 'admin-token'): K8sClient {
  return new K8sClient({ server: sim.url, token, ca: sim.ca ?? '' }, fast);
}

function target(name: string, kind: WorkloadKind = 'Deployment', namespace = 'shop'): FenceTarget {
  return { kind, namespace, name, container: 'app' };
}

function change(digest: string, releaseId: string): FenceChange {
  return {
    loginServer: 'r.azurecr.io',
    repository: 'app',
    digest,
    releaseId,
    pushedAt: '2026-12-01T10:00:00Z',
  };
}

function seedDeployment(
  name: string,
  annotations: Record<string, string> | null = { [RELEASE_ANNOTATION]: 'rel-A' },
) {
  sim.seed({
    kind: 'Deployment',
    namespace: 'shop',
    name,
    containers: [
      { name: 'sidecar', image: 'busybox:1' },
      { name: 'app', image: OLD },
    ],
    ...(annotations ? { annotations } : {}),
  });
}

/** What the executor's status reads of one workload: its progress, and the stuck pods of its new revision. */
async function observe(t: FenceTarget) {
  const object = await client().getWorkload(t.kind, t.namespace, t.name);
  const progress = workloadProgress(t.kind, object);
  const stuck =
    progress.state === 'succeeded'
      ? []
      : stuckContainers(await client().newRevisionPods(t.kind, object, t.container));
  return { progress, stuck };
}

/** Advances the simulated clock until the observation settles or fails fast (bounded steps). */
async function watchRollout(t: FenceTarget, failFastSeconds: number, stepMs = 5000) {
  let seen = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    sim.advance(stepMs);
    const { progress, stuck } = await observe(t);
    seen = trackStuck(seen, stuck, sim.now());
    const decision: FailFastDecision = failFast(stuck, seen, sim.now(), failFastSeconds);
    if (progress.state !== 'progressing' || decision.fail) return { progress, decision, steps: i + 1 };
  }
  throw new Error('rollout neither settled nor failed in 200 steps');
}

beforeAll(async () => {
  sim = new K8sSimulator({
    identities: [
      { token: 'admin-token', user: 'admin' },
      {
        token: 'reader-token',
        user: 'rollout-reader',
        rules: [
          { verbs: ['get', 'list'], resources: ['deployments', 'replicasets', 'pods'], namespaces: ['shop'] },
        ],
      },
    ],
    replicaHas: (digest) => digest !== MISSING,
  });
  await sim.start();
  for (const name of ['web', 'stale', 'race', 'lost', 'pull', 'same']) seedDeployment(name);
  seedDeployment('fresh', null);
  // A DaemonSet carries no controller annotation: its metadata has no annotations map at all.
  sim.seed({ kind: 'DaemonSet', namespace: 'shop', name: 'bare', containers: [{ name: 'app', image: OLD }] });
});

afterAll(async () => {
  await sim.stop();
});

describe('K8sClient against the Kubernetes API simulator', () => {
  it('applies the fenced change and the rollout progresses to succeeded', async () => {
    const out = await client().applyFencedChange(target('web'), change(NEW, 'rel-B'), 'rel-A');
    expect(out).toMatchObject({ outcome: 'applied', generation: 2 });
    expect(sim.imageOf('Deployment', 'shop', 'web', 'app')).toBe(`r.azurecr.io/app@${NEW}`);
    const meta = sim.workload('Deployment', 'shop', 'web')?.metadata as {
      annotations: Record<string, string>;
    };
    expect(meta.annotations).toMatchObject({
      [RELEASE_ANNOTATION]: 'rel-B',
      'acr-geo-rollout/pushed-at': '2026-12-01T10:00:00Z',
    });
    const { progress } = await watchRollout(target('web'), 120, 1000);
    expect(progress.state).toBe('succeeded');
  });

  it('a first change to a workload the product never touched is fenced on absence', async () => {
    for (const t of [target('fresh'), target('bare', 'DaemonSet')]) {
      const before = await client().getWorkload(t.kind, t.namespace, t.name);
      expect(before.metadata?.annotations?.[RELEASE_ANNOTATION]).toBeUndefined();
      expect((await client().applyFencedChange(t, change(NEW, 'rel-B'), undefined)).outcome).toBe('applied');
      const again = await client().applyFencedChange(t, change(NEWER, 'rel-C'), undefined);
      expect(again).toEqual({ outcome: 'newer-change-there', release: 'rel-B' });
    }
    expect(sim.workload('DaemonSet', 'shop', 'bare')?.metadata).toMatchObject({
      annotations: { [RELEASE_ANNOTATION]: 'rel-B' },
    });
  });

  it('absence is checked by the server too: a writer that sets the annotation first wins', async () => {
    seedDeployment('first', null);
    sim.beforePatch = () => sim.annotate('Deployment', 'shop', 'first', { [RELEASE_ANNOTATION]: 'rel-Z' });
    try {
      const out = await client().applyFencedChange(target('first'), change(NEW, 'rel-B'), undefined);
      expect(out).toEqual({ outcome: 'newer-change-there', release: 'rel-Z' });
    } finally {
      sim.beforePatch = undefined;
    }
    expect(sim.imageOf('Deployment', 'shop', 'first', 'app')).toBe(OLD);
  });

  it('an unrelated annotation added between read and patch on a map-less object: one re-read, then applied', async () => {
    sim.seed({
      kind: 'DaemonSet',
      namespace: 'shop',
      name: 'plain',
      containers: [{ name: 'app', image: OLD }],
    });
    let once = true;
    sim.beforePatch = () => {
      if (once) sim.annotate('DaemonSet', 'shop', 'plain', { 'team/owner': 'shop' });
      once = false;
    };
    try {
      const out = await client().applyFencedChange(
        target('plain', 'DaemonSet'),
        change(NEW, 'rel-B'),
        undefined,
      );
      expect(out.outcome).toBe('applied');
    } finally {
      sim.beforePatch = undefined;
    }
    const meta = sim.workload('DaemonSet', 'shop', 'plain')?.metadata as {
      annotations: Record<string, string>;
    };
    expect(meta.annotations).toMatchObject({ 'team/owner': 'shop', [RELEASE_ANNOTATION]: 'rel-B' });
  });

  it('a repeated or stale change gets "a newer change is already there" and changes nothing', async () => {
    expect((await client().applyFencedChange(target('stale'), change(NEWER, 'rel-C'), 'rel-A')).outcome).toBe(
      'applied',
    );
    const before = sim.workload('Deployment', 'shop', 'stale');
    const late = await client().applyFencedChange(target('stale'), change(NEW, 'rel-B'), 'rel-A');
    expect(late).toEqual({ outcome: 'newer-change-there', release: 'rel-C' });
    expect(sim.workload('Deployment', 'shop', 'stale')).toEqual(before);
  });

  it('a newer writer landing between the read and the patch makes the fence test fail: same outcome', async () => {
    sim.beforePatch = () => sim.annotate('Deployment', 'shop', 'race', { [RELEASE_ANNOTATION]: 'rel-Z' });
    try {
      const out = await client().applyFencedChange(target('race'), change(NEW, 'rel-B'), 'rel-A');
      expect(out).toEqual({ outcome: 'newer-change-there', release: 'rel-Z' });
    } finally {
      sim.beforePatch = undefined;
    }
    expect(sim.imageOf('Deployment', 'shop', 'race', 'app')).toBe(OLD);
  });

  it('a patch whose answer was lost is retried, fails its fence, and is recognised as our own', async () => {
    sim.dropPatchAnswers = 1;
    const out = await client().applyFencedChange(target('lost'), change(NEW, 'rel-B'), 'rel-A');
    expect(out.outcome).toBe('applied');
    expect((sim.workload('Deployment', 'shop', 'lost')?.metadata as { generation: number }).generation).toBe(
      2,
    );
  });

  it('a workload already on the digest is not patched', async () => {
    const before = sim.workload('Deployment', 'shop', 'same');
    const out = await client().applyFencedChange(
      target('same'),
      change(`sha256:${'a'.repeat(64)}`, 'rel-B'),
      'rel-A',
    );
    expect(out).toEqual({ outcome: 'already-running', release: 'rel-A' });
    expect(sim.workload('Deployment', 'shop', 'same')).toEqual(before);
  });

  it('ImagePullBackOff fails fast with the reason and the pod message, well before the progress deadline', async () => {
    expect(
      (await client().applyFencedChange(target('pull'), change(MISSING, 'rel-B'), 'rel-A')).outcome,
    ).toBe('applied');
    const { progress, decision, steps } = await watchRollout(target('pull'), 30);
    expect(progress.state).toBe('progressing');
    expect(decision).toMatchObject({ fail: true, reason: 'ImagePullBackOff' });
    expect(decision.fail && decision.message).toContain(
      `Back-off pulling image "r.azurecr.io/app@${MISSING}"`,
    );
    expect(steps * 5).toBeLessThan(60);
  });

  it('StatefulSet and DaemonSet progress is read from their own status fields', async () => {
    for (const kind of ['StatefulSet', 'DaemonSet'] as const) {
      sim.seed({
        kind,
        namespace: 'infra',
        name: kind.toLowerCase(),
        containers: [{ name: 'app', image: OLD }],
        annotations: { [RELEASE_ANNOTATION]: 'rel-A' },
      });
      const t = target(kind.toLowerCase(), kind, 'infra');
      expect((await client().applyFencedChange(t, change(NEW, 'rel-B'), 'rel-A')).outcome).toBe('applied');
      const first = workloadProgress(kind, await client().getWorkload(kind, 'infra', t.name));
      expect(first.state).toBe('progressing');
      expect((await watchRollout(t, 120, 1000)).progress.state).toBe('succeeded');
    }
  });

  it('403 names the missing permission, 404 the object, 401 the token', async () => {
    const err403 = await client('reader-token')
      .applyFencedChange(target('web'), change(NEWER, 'rel-C'), 'rel-B')
      .catch((e: unknown) => e);
    expect(err403).toBeInstanceOf(K8sApiError);
    expect((err403 as K8sApiError).kind).toBe('forbidden');
    expect((err403 as K8sApiError).message).toContain(
      'missing permission "patch" on "deployments" (API group "apps") in namespace "shop"',
    );
    expect((err403 as K8sApiError).message).toContain(
      'User "rollout-reader" cannot patch resource "deployments"',
    );
    const err404 = await client()
      .getWorkload('Deployment', 'shop', 'nope')
      .catch((e: unknown) => e);
    expect((err404 as K8sApiError).kind).toBe('not-found');
    expect((err404 as K8sApiError).message).toContain(
      'deployments.apps "nope" in namespace "shop" not found',
    );
    const err401 = await client('bad')
      .getWorkload('Deployment', 'shop', 'web')
      .catch((e: unknown) => e);
    expect((err401 as K8sApiError).kind).toBe('unauthorized');
  });

  it('5xx and 429 are retried within the bound; 422 and 403 are not retried', async () => {
    sim.faults.push(503, 429);
    const obj = await client().getWorkload('Deployment', 'shop', 'web');
    expect(obj.metadata?.name).toBe('web');
    sim.faults.push(500, 500, 500);
    const err = await client()
      .getWorkload('Deployment', 'shop', 'web')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'server', status: 500, attempts: 3 });
    const refused = await client('reader-token')
      .applyFencedChange(target('web'), change(NEWER, 'rel-C'), 'rel-B')
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: 'forbidden', attempts: 1 });
  });
});

describe('K8s answers are read with a size limit', () => {
  it('when an answer is larger than the limit, then it is refused at once, not retried, naming the limit', async () => {
    sim.seed({
      kind: 'Deployment',
      namespace: 'shop',
      name: 'bloated',
      containers: [{ name: 'app', image: OLD }],
      annotations: { 'example.com/blob': 'x'.repeat(20_000) },
    });
    const small = new K8sClient(
      { server: sim.url, token: 'admin-token', ca: sim.ca ?? '' },
      { ...fast, maxBodyBytes: 8192 },
    );
    const err = await small.getWorkload('Deployment', 'shop', 'bloated').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8sApiError);
    expect(err).toMatchObject({ kind: 'bad-response', attempts: 1 });
    expect((err as K8sApiError).message).toContain('larger than 8192 bytes');
    expect((await small.getWorkload('Deployment', 'shop', 'web')).metadata?.name).toBe('web');
  });

  it('when a server streams an endless answer without a length, then the default limit cuts it off', async () => {
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent < 64 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      res.on('close', () => (sent = Infinity));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await new K8sClient({ server: `http://127.0.0.1:${port}`, token: 't' }, fast)
        .getWorkload('Deployment', 'shop', 'web')
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'bad-response', attempts: 1 });
      expect((err as K8sApiError).message).toContain(`larger than ${MAX_K8S_BODY_BYTES} bytes`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
