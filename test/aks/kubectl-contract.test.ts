// Contract: every command the builder generates is one the real kubectl accepts and that
// changes exactly the intended container. Each generated argv is translated into its offline
// `--local -f <manifest>` form and executed with execFile (no shell). The fenced patch against a
// live API server, with the real sh, is in fenced-script.test.ts.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRolloutScript,
  buildRolloutSteps,
  changeCause,
  rolloutImage,
} from '../../src/adapters/clusters/rollout-command';
import { OR } from '../../src/adapters/clusters/script-syntax';
import { AksSimulator } from '../../dev/aks-simulator';
import { executeScript } from '../../dev/aks-simulator/commands';
import { OLD_IMAGE, TOKEN, request, simCluster, workload } from './fixtures';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { template: { spec: { containers: Array<{ name: string; image: string }> } } };
}

function manifest(kind: string, name: string, namespace: string, containers: string[]): Manifest {
  const labels = { app: name };
  const m = {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      ...(kind === 'StatefulSet' ? { serviceName: name } : {}),
      template: {
        metadata: { labels },
        spec: { containers: containers.map((c) => ({ name: c, image: `${OLD_IMAGE}-${c}` })) },
      },
    },
  };
  return m;
}

const objects = [
  manifest('Deployment', 'web', 'shop', ['app', 'sidecar', 'worker']),
  manifest('StatefulSet', 'db', 'shop', ['app', 'backup']),
  manifest('DaemonSet', 'agent', 'infra', ['agent', 'logs']),
];

// Targets several containers, including the middle and last one of a multi-container pod.
const req = request({
  workloads: [
    { ...workload({ kind: 'Deployment', name: 'web', container: 'worker' }), containerIndex: 2 },
    { ...workload({ kind: 'StatefulSet', name: 'db', container: 'app' }), containerIndex: 0 },
    {
      ...workload({ namespace: 'infra', kind: 'DaemonSet', name: 'agent', container: 'logs' }),
      containerIndex: 1,
    },
  ],
});

let dir: string;
const files = new Map<string, string>();
let kubeconfig: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kubectl-contract-'));
  for (const m of objects) {
    const file = path.join(dir, `${m.kind}-${m.metadata.name}.json`);
    await writeFile(file, JSON.stringify(m));
    files.set(`${m.metadata.namespace}/${m.kind.toLowerCase()}/${m.metadata.name}`, file);
  }
  // A cluster nobody listens on: proves `rollout status` parses its flags, then fails to connect.
  kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: none, user: {token: x}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      'current-context: none',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function splitOr(step: string[]): string[][] {
  const out: string[][] = [[]];
  for (const w of step) {
    if (w === OR) out.push([]);
    else out[out.length - 1]!.push(w);
  }
  return out;
}

/** `kubectl <verb...> -n NS kind/name ARGS` -> `kubectl <verb...> --local -f FILE -o json ARGS`. */
function toLocal(argv: string[]): { args: string[]; file: string } {
  const n = argv.indexOf('-n');
  const ns = argv[n + 1] ?? '';
  const target = argv[n + 2] ?? '';
  const file = files.get(`${ns}/${target}`);
  if (n < 0 || !file) throw new Error(`no sample manifest for ${ns}/${target}`);
  const verb = argv.slice(1, n);
  const rest = argv.slice(n + 3);
  return { args: [...verb, '--local', '-f', file, '-o', 'json', ...rest], file };
}

async function kubectl(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(KUBECTL, args, { timeout: 20_000 });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

describe('generated commands against the real kubectl', () => {
  const steps = buildRolloutSteps(req);

  it('when the fenced patch runs on each sample, then exactly the intended container gets the digest image', async () => {
    const patches = steps.filter((s) => s[1] === 'patch');
    expect(patches).toHaveLength(3);
    for (const step of patches) {
      // `a || b || c`: the shell runs the alternatives until one succeeds; so does this loop.
      const alternatives = splitOr(step);
      let out: { stdout: string; stderr: string; code: number } | undefined;
      const tried: number[] = [];
      for (const alt of alternatives) {
        out = await kubectl(toLocal(alt).args);
        tried.push(out.code);
        if (out.code === 0) break;
      }
      // No annotations on the samples: the map-present absence test fails, the no-map one applies.
      expect(tried).toEqual([1, 0]);
      expect(out?.stderr).toBe('');
      const file = toLocal(alternatives[0]!).file;
      const before = objects.find((o) => file.endsWith(`${o.kind}-${o.metadata.name}.json`))!;
      const after = JSON.parse(out?.stdout ?? '{}') as Manifest;
      const intended = req.workloads.find((w) => w.kind === before.kind)!.container;
      for (const c of after.spec.template.spec.containers) {
        const old = before.spec.template.spec.containers.find((x) => x.name === c.name)!;
        expect(c.image, `${before.kind}/${c.name}`).toBe(c.name === intended ? rolloutImage(req) : old.image);
      }
      expect(after.metadata.annotations?.['acr-geo-rollout/release']).toBe(req.releaseId);
    }
  });

  it('when annotate runs on each sample, then the change cause is recorded verbatim', async () => {
    const annotates = steps.filter((s) => s[1] === 'annotate');
    expect(annotates).toHaveLength(3);
    for (const step of annotates) {
      const out = await kubectl(toLocal(step).args);
      expect(out.code, out.stderr).toBe(0);
      const after = JSON.parse(out.stdout) as Manifest;
      expect(after.metadata.annotations?.['kubernetes.io/change-cause']).toBe(changeCause(req));
    }
  });

  it('when rollout status is parsed by kubectl, then its flags are accepted (it only fails to connect)', async () => {
    const waits = steps.filter((s) => s[1] === 'rollout');
    expect(waits).toHaveLength(3);
    for (const step of waits) {
      const out = await kubectl(['--kubeconfig', kubeconfig, '--request-timeout=2s', ...step.slice(1)]);
      expect(out.code).not.toBe(0);
      expect(out.stderr).not.toMatch(/unknown (flag|command|shorthand)|doesn't have a resource type/);
      expect(out.stderr).toMatch(/connection to the server 127\.0\.0\.1:1 was refused|connection refused/);
    }
  });

  it('when the container is not at the addressed index, then kubectl and the simulator refuse every alternative', async () => {
    const bad = request({ workloads: [{ ...workload({ container: 'nope' }), containerIndex: 0 }] });
    const patch = buildRolloutSteps(bad).find((s) => s[1] === 'patch')!;
    for (const alt of splitOr(patch)) {
      const real = await kubectl(toLocal(alt).args);
      expect(real.code).toBe(1);
      expect(real.stderr).toMatch(/test/i);
    }
    const sim = await AksSimulator.start({ token: TOKEN, clusters: [simCluster('aks-weu', 'westeurope')] });
    try {
      const before = sim.images('aks-weu');
      const outcome = await executeScript(sim.cluster('aks-weu'), buildRolloutScript(bad));
      expect(outcome.exitCode).toBe(1);
      expect(outcome.logs).toContain('The request is invalid');
      expect(sim.images('aks-weu')).toEqual(before);
    } finally {
      await sim.stop();
    }
  });
});
