// The two simulators as separate processes, as `tsx dev/acr-simulator/main.ts` and
// `tsx dev/aks-simulator/main.ts --acr <url>` run them: each pull of the AKS simulator asks the
// ACR simulator's GET /_control/holds, so a replicated digest pulls and a not-yet-replicated one
// fails with ImagePullBackOff.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../dev/azurite';
import { buildRolloutScript } from '../../src/adapters/clusters/rollout-command';
import { DIGEST_A, REPO, TOKEN, clusterId, request, simCluster } from '../aks/fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const API = 'api-version=2025-10-01';

interface Proc {
  child: ChildProcess;
  output: () => string;
}

/** Node with tsx as a loader (one process, so the SIGKILL on cleanup reaches it); waits for `ready`. */
async function start(script: string, args: string[], ready: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 30_000;
  while (!output.includes(ready)) {
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${script} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => output };
}

describe('ACR and AKS simulators as two processes', () => {
  let dir: string;
  let acr: Proc | undefined;
  let aks: Proc | undefined;
  let acrUrl: string;
  let aksUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sim-procs-'));
    const clusters = path.join(dir, 'clusters.json');
    writeFileSync(
      clusters,
      JSON.stringify([simCluster('aks-eus', 'eastus'), simCluster('aks-weu', 'westeurope')]),
    );
    const [acrPort, aksPort] = [await freePort(), await freePort()];
    acrUrl = `http://127.0.0.1:${acrPort}`;
    aksUrl = `http://127.0.0.1:${aksPort}`;
    // westeurope's replica lags by an hour: within the test it never holds the digest.
    acr = await start(
      'dev/acr-simulator/main.ts',
      ['--port', String(acrPort), '--regions', 'eastus,westeurope', '--delays', 'westeurope=3600000'],
      'ACR simulator listening',
    );
    aks = await start(
      'dev/aks-simulator/main.ts',
      [
        ...['--port', String(aksPort), '--token', TOKEN, '--clusters', clusters, '--acr', acrUrl],
        ...['--rollout-ms', '50', '--pull-failure-ms', '50'],
      ],
      'AKS simulator listening',
    );
  }, 60_000);

  afterAll(() => {
    for (const p of [acr, aks]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function rollout(cluster: string, region: string): Promise<Record<string, unknown>> {
    const script = buildRolloutScript(request({ region, cluster: clusterId(cluster) }));
    const auth = { authorization: `Bearer ${TOKEN}` };
    const post = await fetch(`${aksUrl}${clusterId(cluster)}/runCommand?${API}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ command: script, context: '', clusterToken: '' }),
    });
    expect(post.status).toBe(202);
    const location = post.headers.get('location')!;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(location, { headers: auth });
      if (res.status === 200)
        return ((await res.json()) as { properties: Record<string, unknown> }).properties;
      expect(res.status).toBe(202);
      if (Date.now() > deadline) throw new Error(`the command did not finish:\n${aks?.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('when a digest is replicated to one region only, then its pull succeeds there and fails in the other', async () => {
    const pushed = await fetch(`${acrUrl}/_control/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: REPO, tag: '1.4.0', digest: DIGEST_A }),
    });
    expect(pushed.status).toBe(201);
    const holds = async (region: string) =>
      (await (
        await fetch(`${acrUrl}/_control/holds?region=${region}&repository=${REPO}&digest=${DIGEST_A}`)
      ).json()) as { holds: boolean };
    expect(await holds('eastus')).toEqual({ holds: true });
    expect(await holds('westeurope')).toEqual({ holds: false });

    const home = await rollout('aks-eus', 'eastus');
    expect(home).toMatchObject({ provisioningState: 'succeeded', exitCode: 0 });
    const lagging = await rollout('aks-weu', 'westeurope');
    expect(lagging).toMatchObject({ provisioningState: 'succeeded', exitCode: 1 });
    expect(lagging.logs).toMatch(/ImagePullBackOff/);

    const state = (await (await fetch(`${aksUrl}/_control/state`)).json()) as {
      pulls: Array<{ cluster: string; ok: boolean }>;
    };
    expect(state.pulls.map((p) => [p.cluster, p.ok])).toEqual([
      ['aks-eus', true],
      ['aks-weu', false],
    ]);
  }, 60_000);

  it('when holds is asked with a malformed query, then 400 naming each parameter', async () => {
    const res = await fetch(`${acrUrl}/_control/holds?region=mars&repository=UPPER&digest=x`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^region: .*; repository: .*; digest: /);
  });
});
