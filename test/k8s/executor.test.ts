// The Kubernetes API executor end to end on loopback: credentials from the AKS simulator's
// listClusterUserCredential (a kubeconfig naming the Kubernetes API simulator, its CA and, for
// Entra clusters, a kubelogin exec user), the app's token as the bearer, the fenced change, progress
// from status and fail fast on stuck pods, all over TLS against the simulator's API server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AksSimulator } from '../../dev/aks-simulator';
import { K8sSimulator } from '../../dev/k8s-simulator';
import { createAccessRouter, untagHandle } from '../../src/adapters/clusters/access-router';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { K8sCredentials } from '../../src/adapters/clusters/kubernetes-api/credentials';
import { createK8sExecutor, type K8sExecutor } from '../../src/adapters/clusters/kubernetes-api/executor';
import type { K8sHttpOptions } from '../../src/adapters/clusters/kubernetes-api/http';
import { RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import type { RolloutHandle } from '../../src/core/model/records';
import type { RolloutExecutorPort, RolloutRequest, RolloutStatus } from '../../src/core/model/ports';

const TOKEN = 'local-dev-token';
const SUB = '00000000-0000-0000-0000-000000000000';
const clusterId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-k8s/providers/Microsoft.ContainerService/managedClusters/${name}`;
const OLD = `myregistry.azurecr.io/app@sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const MISSING = `sha256:${'c'.repeat(64)}`;
const BAD = `sha256:${'d'.repeat(64)}`;
const FAIL_FAST_SECONDS = 30;

let k8s: K8sSimulator;
let aks: AksSimulator;
const fast: K8sHttpOptions = {
  timeoutMs: 5000,
  maxAttempts: 3,
  backoffBaseMs: 1,
  random: () => 0.5,
  sleep: () => Promise.resolve(),
};

function executor(allowLocal = false): K8sExecutor {
  const credentials = new K8sCredentials({
    armEndpoint: aks.url,
    credential: new StaticTokenCredential(TOKEN),
    retry: { sleep: () => Promise.resolve() },
  });
  return createK8sExecutor({
    connect: (req, s) => credentials.connect(req, s),
    allowLocalAccounts: () => allowLocal,
    failFastSeconds: FAIL_FAST_SECONDS,
    http: fast,
    now: () => k8s.now(),
  });
}

function request(name: string, digest: string, o: Partial<RolloutRequest> = {}): RolloutRequest {
  return {
    releaseId: '0000000000002-bbbbbbbbbbbb',
    region: 'westeurope',
    cluster: clusterId('aks-entra'),
    workloads: [
      {
        repository: 'app',
        tags: ['*'],
        namespace: 'shop',
        kind: 'Deployment',
        name,
        container: 'app',
        expectedRelease: '0000000000001-aaaaaaaaaaaa',
      },
    ],
    pushedAt: '2026-12-01T10:00:00Z',
    image: { loginServer: 'myregistry.azurecr.io', repository: 'app', digest, tag: '2.0.0' },
    timeoutSeconds: 600,
    ...o,
  };
}

async function started(ex: RolloutExecutorPort, r: RolloutRequest): Promise<RolloutHandle> {
  const out = await ex.start(r);
  if (out.kind !== 'started') throw new Error(`not started: ${JSON.stringify(out)}`);
  return out.handle;
}

/** Polls as the reconciler would while simulated time moves on (bounded). */
async function finalStatus(ex: RolloutExecutorPort, r: RolloutRequest, h: RolloutHandle, stepMs = 2000) {
  const seen: RolloutStatus[] = [];
  for (let i = 0; i < 300; i++) {
    const s = await ex.status(r, h);
    seen.push(s);
    if (s.kind !== 'running') return { status: s, polls: seen };
    k8s.advance(stepMs);
  }
  throw new Error('the rollout neither settled nor failed within 300 polls');
}

function seed(name: string) {
  k8s.seed({
    kind: 'Deployment',
    namespace: 'shop',
    name,
    containers: [{ name: 'app', image: OLD }],
    annotations: { [RELEASE_ANNOTATION]: '0000000000001-aaaaaaaaaaaa' },
  });
}

beforeAll(async () => {
  k8s = new K8sSimulator({
    identities: [
      { token: TOKEN, user: 'acr-geo-rollout' },
      {
        token: 'reader-token',
        user: 'reader',
        rules: [{ verbs: ['get', 'list'], resources: ['deployments', 'replicasets', 'pods'] }],
      },
    ],
    replicaHas: (d) => d !== MISSING,
    badDigests: [BAD],
  });
  await k8s.start();
  for (const n of ['web', 'racy', 'pull', 'crash', 'local', 'denied', 'revert', 'lost']) seed(n);
  const api = { url: k8s.url, ca: k8s.ca ?? '', token: TOKEN };
  aks = await AksSimulator.start({
    token: TOKEN,
    clusters: [
      {
        resourceId: clusterId('aks-entra'),
        region: 'westeurope',
        aadManaged: true,
        kubernetesApi: api,
        workloads: [],
      },
      {
        resourceId: clusterId('aks-local'),
        region: 'eastus',
        aadManaged: false,
        kubernetesApi: api,
        workloads: [],
      },
      {
        resourceId: clusterId('aks-stale'),
        region: 'eastus',
        aadManaged: false,
        kubernetesApi: { ...api, token: 'rotated-away' },
        workloads: [],
      },
      {
        resourceId: clusterId('aks-reader'),
        region: 'eastus',
        aadManaged: false,
        kubernetesApi: { ...api, token: 'reader-token' },
        workloads: [],
      },
    ],
  });
}, 60_000);

afterAll(async () => {
  await aks?.stop();
  await k8s?.stop();
});

describe('the Kubernetes API executor', () => {
  it('applies the fenced change, reports running until the status shows every new replica available, then succeeded; a re-send changes nothing', async () => {
    const ex = executor();
    const r = request('web', NEW);
    const h = await started(ex, r);
    expect(k8s.imageOf('Deployment', 'shop', 'web', 'app')).toBe(`myregistry.azurecr.io/app@${NEW}`);
    const meta = k8s.workload('Deployment', 'shop', 'web')?.metadata as {
      annotations: Record<string, string>;
      generation: number;
    };
    expect(meta.annotations[RELEASE_ANNOTATION]).toBe(r.releaseId);
    const generation = meta.generation;
    expect(await ex.status(r, h)).toEqual({ kind: 'running' });
    const { status } = await finalStatus(ex, r, h);
    expect(status.kind).toBe('succeeded');
    expect(ex.stats().patches).toBe(1);
    // The same start again (an ambiguous start re-sent): already runs the digest, not patched.
    const again = await started(ex, r);
    expect(ex.stats().patches).toBe(1);
    expect((k8s.workload('Deployment', 'shop', 'web')?.metadata as { generation: number }).generation).toBe(
      generation,
    );
    expect((await ex.status(r, again)).kind).toBe('succeeded');
    // The Entra path: the kubeconfig came from listClusterUserCredential; the bearer is the app's token.
    expect(aks.requests().filter((q) => q.operation === 'listClusterUserCredential').length).toBeGreaterThan(
      0,
    );
  });

  it('when the answer to an applied patch is lost, the retried patch is recognised as ours: one change, started, then succeeded', async () => {
    const ex = executor();
    const r = request('lost', NEW);
    const before = k8s.patchLog.length;
    k8s.dropPatchAnswers = 1;
    const h = await started(ex, r);
    const changes = k8s.patchLog.slice(before).filter((p) => p.name === 'lost');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.release).toBe(r.releaseId);
    expect((await finalStatus(ex, r, h)).status.kind).toBe('succeeded');
  });

  it('reports "a newer change is already there" when the fence finds another release, and changes nothing', async () => {
    k8s.annotate('Deployment', 'shop', 'racy', { [RELEASE_ANNOTATION]: '0000000000009-999999999999' });
    const ex = executor();
    const r = request('racy', NEW);
    const h = await started(ex, r);
    const s = await ex.status(r, h);
    expect(s.kind).toBe('fenced');
    expect(s.kind === 'fenced' && s.reason).toContain('0000000000009-999999999999');
    expect(k8s.imageOf('Deployment', 'shop', 'racy', 'app')).toBe(OLD);
  });

  it('fails fast with the pod reason and message once a pull stays in ImagePullBackOff longer than failFastSeconds, long before the progress deadline', async () => {
    const ex = executor();
    const r = request('pull', MISSING);
    const h = await started(ex, r);
    const t0 = k8s.now();
    const { status, polls } = await finalStatus(ex, r, h, 5000);
    expect(status).toMatchObject({ kind: 'failed', transient: true });
    const reason = status.kind === 'failed' ? status.reason : '';
    expect(reason).toMatch(/ImagePullBackOff|ErrImagePull/);
    expect(reason).toContain(MISSING);
    const elapsed = k8s.now() - t0;
    expect(elapsed).toBeGreaterThan(FAIL_FAST_SECONDS * 1000);
    expect(elapsed).toBeLessThan(600_000);
    expect(polls.filter((p) => p.kind === 'running').length).toBeGreaterThan(1);
  });

  it('fails a crash-looping digest with CrashLoopBackOff for good (not retried)', async () => {
    const ex = executor();
    const r = request('crash', BAD);
    const h = await started(ex, r);
    const { status } = await finalStatus(ex, r, h, 5000);
    expect(status).toMatchObject({ kind: 'failed', transient: false });
    expect(status.kind === 'failed' && status.reason).toContain('CrashLoopBackOff');
  });

  it('refuses a local-accounts cluster unless the region allows it', async () => {
    const r = request('local', NEW, { cluster: clusterId('aks-local'), region: 'eastus' });
    const refused = await executor(false).start(r);
    expect(refused).toMatchObject({ kind: 'rejected', transient: false });
    expect(refused.kind === 'rejected' && refused.reason).toMatch(/local accounts.*allowLocalAccounts/);
    expect(k8s.imageOf('Deployment', 'shop', 'local', 'app')).toBe(OLD);
    const ex = executor(true);
    const h = await started(ex, r);
    expect((await finalStatus(ex, r, h)).status.kind).toBe('succeeded');
  });

  it('names the missing permission when the identity may not patch, and changes nothing', async () => {
    const r = request('denied', NEW, { cluster: clusterId('aks-reader'), region: 'eastus' });
    const out = await executor(true).start(r);
    expect(out).toMatchObject({ kind: 'rejected', transient: false });
    expect(out.kind === 'rejected' && out.reason).toContain('missing permission "patch" on "deployments"');
    expect(k8s.imageOf('Deployment', 'shop', 'denied', 'app')).toBe(OLD);
  });

  it('a token the API server does not accept is refused with 401 named, and the kubeconfig is read again next time', async () => {
    const credentials = new K8sCredentials({
      armEndpoint: aks.url,
      credential: new StaticTokenCredential(TOKEN),
    });
    const ex = createK8sExecutor({
      connect: (req, s) => credentials.connect(req, s),
      onUnauthorized: (cluster) => credentials.forget(cluster),
      allowLocalAccounts: () => true,
      http: fast,
    });
    const r = request('denied', NEW, { cluster: clusterId('aks-stale'), region: 'eastus' });
    const first = await ex.start(r);
    expect(first).toMatchObject({ kind: 'rejected', transient: false });
    expect(first.kind === 'rejected' && first.reason).toContain(
      'did not accept the token (401 Unauthorized)',
    );
    await ex.start(r);
    expect(credentials.counters.kubeconfigReads).toBe(2);
    expect(k8s.imageOf('Deployment', 'shop', 'denied', 'app')).toBe(OLD);
  });

  it('names the Cluster User Role when ARM refuses listClusterUserCredential', async () => {
    aks.injectFault({ on: 'listClusterUserCredential', status: 403, cluster: 'aks-entra' });
    const out = await executor().start(request('web', NEW));
    expect(out).toMatchObject({ kind: 'rejected', transient: false });
    expect(out.kind === 'rejected' && out.reason).toMatch(
      /listClusterUserCredential\/action.*Cluster User Role/,
    );
  });

  it('reverts through the same fenced path: the failed release is what the fence expects', async () => {
    const ex = executor();
    const failed = request('revert', BAD, { releaseId: '0000000000003-cccccccccccc' });
    await started(ex, failed);
    const back = request('revert', NEW, {
      releaseId: '0000000000002-bbbbbbbbbbbb',
      revertOf: failed.releaseId,
      workloads: [
        {
          repository: 'app',
          tags: ['*'],
          namespace: 'shop',
          kind: 'Deployment',
          name: 'revert',
          container: 'app',
          expectedRelease: failed.releaseId,
        },
      ],
    });
    const h = await started(ex, back);
    expect((await finalStatus(ex, back, h)).status.kind).toBe('succeeded');
    expect(k8s.imageOf('Deployment', 'shop', 'revert', 'app')).toBe(`myregistry.azurecr.io/app@${NEW}`);
  });
});

describe('the access router', () => {
  it('sends each region to its path and polls a handle on the path that made it', async () => {
    const calls: string[] = [];
    const fake = (path: string): RolloutExecutorPort => ({
      start: (req) => {
        calls.push(`${path} start ${req.region}`);
        return Promise.resolve({ kind: 'started', handle: { value: `${path}-handle` } });
      },
      status: (_req, h) => {
        calls.push(`${path} status ${h.value}`);
        return Promise.resolve({ kind: 'running' });
      },
      describe: () => path,
    });
    const router = createAccessRouter({
      accessOf: (region) => (region === 'eastus' ? 'run-command' : 'kubernetes-api'),
      kubernetesApi: fake('k8s'),
      runCommand: fake('rc'),
    });
    const a = await router.start(request('web', NEW, { region: 'eastus' }));
    const b = await router.start(request('web', NEW, { region: 'westeurope' }));
    if (a.kind !== 'started' || b.kind !== 'started') throw new Error('not started');
    expect(untagHandle(a.handle).path).toBe('run-command');
    expect(untagHandle(b.handle).path).toBe('kubernetes-api');
    // Polled on the path that made it, whatever the region says now.
    await router.status(request('web', NEW, { region: 'westeurope' }), a.handle);
    // A handle recorded before the router existed is a Run Command one.
    await router.status(request('web', NEW), { value: '{"v":1}' });
    expect(calls).toEqual([
      'rc start eastus',
      'k8s start westeurope',
      'rc status rc-handle',
      'rc status {"v":1}',
    ]);
  });
});
