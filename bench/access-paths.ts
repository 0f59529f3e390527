// Access-path benchmark (`npx tsx bench/access-paths.ts`): the two ways the app reaches a
// cluster, side by side in one run, on one simulated cluster state:
//   kubernetes-api: the app's executor patches the workload over HTTPS (src/adapters/clusters/kubernetes-api/executor.ts)
//   run-command:    the app's AKS executor posts a Run Command; the AKS simulator waits the
//                   command pod's scheduling delay, then runs the script with the real kubectl
//                   against the same Kubernetes API simulator.
// Two figures per rollout:
//   gate open -> change applied: executor.start() is called (the reconcile found the gate open)
//                until the API server accepted the patch (the simulator's patch log);
//   rollout finished -> finish observed: the workload's status shows the rollout complete (checked
//                in process every 5 ms) until the app's status poll, at the compressed
//                rolloutPollIntervalSeconds, first says succeeded.
// The command pod's scheduling delay is a seeded uniform spread over the documented 0-60 s,
// compressed 10x like the reaction benchmark (0-6 s); the "uncompressed" column adds it back at
// full scale. The Kubernetes API path has no such delay and is measured as is.
import { AksSimulator } from '../dev/aks-simulator';
import { K8sSimulator } from '../dev/k8s-simulator';
import { createAksExecutor } from '../src/adapters/clusters/run-command/executor';
import { StaticTokenCredential } from '../src/adapters/platform/credential';
import { K8sCredentials } from '../src/adapters/clusters/kubernetes-api/credentials';
import { createK8sExecutor } from '../src/adapters/clusters/kubernetes-api/executor';
import { workloadProgress } from '../src/core/rollout/k8s-progress';
import type { RolloutExecutorPort, RolloutRequest } from '../src/core/model/ports';
import {
  machine,
  markdownTable,
  percentile,
  ratio,
  seeded,
  sleep,
  textTable,
  type Row,
} from './support/report';

const TOKEN = 'bench-token';
const SUB = '00000000-0000-0000-0000-000000000000';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/aks-bench`;
const LOGIN = 'myregistry.azurecr.io';

export interface AccessPathOptions {
  rollouts?: number;
  compression?: number;
  /** Documented command-pod scheduling allowance (ms, full scale). */
  schedulingRangeMs?: [number, number];
  /** rolloutPollIntervalSeconds at full scale. */
  pollIntervalSeconds?: number;
  seed?: number;
}

interface Sample {
  applyMs: number;
  observeMs: number;
  schedulingMs: number;
}

export interface AccessPathReport {
  rollouts: number;
  compression: number;
  paths: Record<'kubernetes-api' | 'run-command', Sample[]>;
  table: string;
  markdown: string;
}

const digestOf = (i: number, path: number) => `sha256:${(path * 1000 + i).toString(16).padStart(64, '0')}`;

async function until(ok: () => boolean, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('benchmark step timed out');
    await sleep(5);
  }
  return Date.now();
}

function request(name: string, digest: string, i: number, expectedRelease?: string): RolloutRequest {
  return {
    releaseId: `${String(1_000_000 + i).padStart(13, '0')}-${'0'.repeat(12)}`,
    region: 'westeurope',
    cluster: CLUSTER,
    workloads: [
      {
        repository: 'app',
        tags: ['*'],
        namespace: 'bench',
        kind: 'Deployment',
        name,
        container: 'app',
        expectedRelease,
      },
    ],
    pushedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString().replace('.000Z', 'Z'),
    image: { loginServer: LOGIN, repository: 'app', digest, tag: `1.0.${i}` },
    timeoutSeconds: 120,
  };
}

async function oneRollout(
  k8s: K8sSimulator,
  executor: RolloutExecutorPort,
  r: RolloutRequest,
  pollMs: number,
): Promise<{ applyMs: number; observeMs: number }> {
  const w = r.workloads[0]!;
  const patchesBefore = k8s.patchLog.length;
  const t0 = Date.now();
  const started = await executor.start(r);
  if (started.kind !== 'started') throw new Error(`not started: ${JSON.stringify(started)}`);
  const patchOf = () => k8s.patchLog.slice(patchesBefore).find((p) => p.name === w.name);
  await until(() => patchOf() !== undefined);
  const appliedAt = patchOf()!.at;
  let finishedAt: number | undefined;
  const watcher = (async () => {
    finishedAt = await until(() => {
      const obj = k8s.workload('Deployment', 'bench', w.name);
      return (
        obj !== undefined &&
        workloadProgress('Deployment', obj).state === 'succeeded' &&
        (k8s.imageOf('Deployment', 'bench', w.name, 'app') ?? '').endsWith(r.image.digest)
      );
    });
  })();
  // The app's poll: status at every (compressed) rolloutPollIntervalSeconds after the start.
  let observedAt: number | undefined;
  for (let n = 1; observedAt === undefined; n++) {
    await sleep(Math.max(0, t0 + n * pollMs - Date.now()));
    const s = await executor.status(r, started.handle);
    if (s.kind === 'succeeded') observedAt = Date.now();
    else if (s.kind !== 'running' && s.kind !== 'unknown')
      throw new Error(`rollout ended ${JSON.stringify(s)}`);
    if (n > 600) throw new Error('rollout never observed finished');
  }
  await watcher;
  return { applyMs: appliedAt - t0, observeMs: observedAt - (finishedAt ?? observedAt) };
}

export async function runAccessPathBench(o: AccessPathOptions = {}): Promise<AccessPathReport> {
  const rollouts = o.rollouts ?? 20;
  const C = o.compression ?? 10;
  const [lo, hi] = o.schedulingRangeMs ?? [0, 60_000];
  const pollMs = ((o.pollIntervalSeconds ?? 10) * 1000) / C;
  const rnd = seeded(o.seed ?? 14);
  const k8s = new K8sSimulator({
    identities: [{ token: TOKEN, user: 'acr-geo-rollout' }],
    timings: { podReadyMs: 300 },
  });
  await k8s.start();
  // One workload per path, rolled out again and again (each time to a new digest, fenced on the
  // previous release): the simulated cluster stays small, so its controllers do not load the run.
  for (const name of ['k', 'r'])
    k8s.seed({
      kind: 'Deployment',
      namespace: 'bench',
      name,
      containers: [{ name: 'app', image: `${LOGIN}/app@${digestOf(0, 9)}` }],
    });
  k8s.runClock(50, 1);
  const aks = await AksSimulator.start({
    token: TOKEN,
    clusters: [
      {
        resourceId: CLUSTER,
        region: 'westeurope',
        aadManaged: true,
        kubernetesApi: { url: k8s.url, ca: k8s.ca ?? '', token: TOKEN },
        workloads: [],
      },
    ],
  });
  const credential = new StaticTokenCredential(TOKEN);
  const credentials = new K8sCredentials({ armEndpoint: aks.url, credential });
  const kubernetesApi = createK8sExecutor({ connect: (req, s) => credentials.connect(req, s) });
  const runCommand = createAksExecutor({ armEndpoint: aks.url, credential });
  const paths: AccessPathReport['paths'] = { 'kubernetes-api': [], 'run-command': [] };
  try {
    // The first kubernetes-api rollout includes the kubeconfig read (listClusterUserCredential).
    let previous: string | undefined;
    for (let i = 0; i < rollouts; i++) {
      const schedulingMs = (lo + rnd() * (hi - lo)) / C;
      const kr = request('k', digestOf(i, 1), i, previous);
      const k = await oneRollout(k8s, kubernetesApi, kr, pollMs);
      paths['kubernetes-api'].push({ ...k, schedulingMs: 0 });
      aks.setTunables({ commandStartDelayMs: schedulingMs });
      const r = await oneRollout(k8s, runCommand, request('r', digestOf(i, 2), i, previous), pollMs);
      paths['run-command'].push({ ...r, schedulingMs });
      previous = kr.releaseId;
    }
  } finally {
    await aks.stop();
    await k8s.stop();
  }
  const { table, markdown } = render(paths, C);
  return { rollouts, compression: C, paths, table, markdown };
}

function render(paths: AccessPathReport['paths'], C: number): { table: string; markdown: string } {
  const headers = [
    'path',
    'figure',
    'n',
    'p50 ms',
    'p95 ms',
    'p50 ms (uncompressed)',
    'p95 ms (uncompressed)',
  ];
  const rows: Row[] = [];
  const k = paths['kubernetes-api'];
  const r = paths['run-command'];
  const full = (s: Sample, v: number) => v + s.schedulingMs * (C - 1);
  const fig = (xs: number[]) => [percentile(xs, 50), percentile(xs, 95)].map((v) => Math.round(v));
  for (const [path, samples] of [
    ['kubernetes-api', k],
    ['run-command', r],
  ] as const) {
    const apply = samples.map((s) => s.applyMs);
    const applyFull = samples.map((s) => full(s, s.applyMs));
    rows.push([path, 'gate open -> change applied', samples.length, ...fig(apply), ...fig(applyFull)]);
    const obs = samples.map((s) => s.observeMs);
    rows.push([path, 'rollout finished -> finish observed', samples.length, ...fig(obs), ...fig(obs)]);
  }
  const p = (xs: Sample[], f: (s: Sample) => number, q: number) => percentile(xs.map(f), q);
  rows.push([
    'ratio run-command / kubernetes-api',
    'gate open -> change applied (uncompressed)',
    '',
    ratio(
      p(r, (s) => full(s, s.applyMs), 50),
      p(k, (s) => s.applyMs, 50),
    ),
    ratio(
      p(r, (s) => full(s, s.applyMs), 95),
      p(k, (s) => s.applyMs, 95),
    ),
    '',
    '',
  ]);
  const goal = p(k, (s) => s.applyMs, 95) <= 200 ? 'met' : 'NOT met';
  const note = `goal: change applied within 200 ms of the gate opening on the Kubernetes path (p95 ${Math.round(p(k, (s) => s.applyMs, 95))} ms): ${goal}`;
  return {
    table: `${textTable(headers, rows)}\n${note}`,
    markdown: `${markdownTable(headers, rows)}\n\n${note}`,
  };
}

if (require.main === module) {
  const rollouts = Number(process.argv[2] ?? 20);
  runAccessPathBench({ rollouts })
    .then((rep) => {
      const m = machine();
      console.log(`access paths, ${rep.rollouts} rollouts per path, compression ${rep.compression}x`);
      console.log(`${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, ${m.date}`);
      console.log(rep.table);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
