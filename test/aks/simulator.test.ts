// The ARM/AKS simulator on the wire: what it answers, and how its clusters behave.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRolloutScript } from '../../src/adapters/clusters/rollout-command';
import { AksSimulator } from '../../dev/aks-simulator';
import {
  DIGEST_A,
  DIGEST_B,
  LOGIN_SERVER,
  OLD_IMAGE,
  RELEASE_ID,
  REPO,
  TOKEN,
  clusterId,
  request,
  simCluster,
  workload,
} from './fixtures';

const API = 'api-version=2025-10-01';
let sim: AksSimulator;
let held: Set<string>;

async function arm(method: string, path: string, body?: unknown, token = TOKEN): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function runToEnd(
  script: string,
  cluster = 'aks-weu',
): Promise<{ id: string; properties: Record<string, unknown> }> {
  const post = await arm('POST', `${clusterId(cluster)}/runCommand?${API}`, {
    command: script,
    context: '',
    clusterToken: '',
  });
  expect(post.status).toBe(202);
  const location = post.headers.get('location')!;
  await sim.idle();
  const result = await fetch(location, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(result.status).toBe(200);
  return (await result.json()) as { id: string; properties: Record<string, unknown> };
}

beforeEach(async () => {
  held = new Set();
  sim = await AksSimulator.start({
    token: TOKEN,
    clusters: [simCluster('aks-weu', 'westeurope')],
    replicaHolds: (region, repository, digest) => held.has(`${region}/${repository}@${digest}`),
    rolloutMs: 20,
    pullFailureDelayMs: 20,
    commandStartDelayMs: 1,
  });
});
afterEach(async () => {
  await sim.stop();
});

describe('AKS simulator', () => {
  it('when a rollout pulls a digest the replica lacks, then it fails with ImagePullBackOff and counts a failed pull', async () => {
    const result = await runToEnd(buildRolloutScript(request()));
    expect(result.properties).toMatchObject({ provisioningState: 'succeeded', exitCode: 1 });
    expect(result.properties.logs).toMatch(/ImagePullBackOff/);
    expect(result.properties.logs).toMatch(/error: timed out waiting for the condition/);
    expect(sim.pullFailures('aks-weu')).toBe(1);
    expect(sim.pulls()).toMatchObject([{ cluster: 'aks-weu', region: 'westeurope', ok: false }]);
    expect(sim.workloads('aks-weu').find((w) => w.name === 'web')?.rollout).toBe('failed');
  });

  it('when a failed pull is retried with the same image once the replica holds it, then it pulls again and succeeds (kubelet back-off)', async () => {
    const first = await runToEnd(buildRolloutScript(request()));
    expect(first.properties).toMatchObject({ exitCode: 1 });
    held.add(`westeurope/${REPO}@${DIGEST_A}`);
    // The retry re-sends the same fenced change: the spec already carries this release's change.
    const retry = request({ workloads: [{ ...workload(), expectedRelease: RELEASE_ID }] });
    const second = await runToEnd(buildRolloutScript(retry));
    expect(second.properties, String(second.properties.logs)).toMatchObject({ exitCode: 0 });
    expect(sim.workloads('aks-weu').find((w) => w.name === 'web')?.rollout).toBe('complete');
    expect(sim.pulls().map((p) => p.ok)).toEqual([false, true]);
  });

  it('when the replica holds the digest, then the rollout succeeds and the image and change cause are set', async () => {
    held.add(`westeurope/${REPO}@${DIGEST_A}`);
    const result = await runToEnd(buildRolloutScript(request()));
    expect(result.properties).toMatchObject({ provisioningState: 'succeeded', exitCode: 0 });
    expect(sim.pullFailures('aks-weu')).toBe(0);
    const web = sim.workloads('aks-weu').find((w) => w.name === 'web')!;
    expect(web.containers).toEqual([
      { name: 'app', image: `${LOGIN_SERVER}/${REPO}@${DIGEST_A}` },
      { name: 'sidecar', image: 'mcr.microsoft.com/oss/envoy:v1' },
    ]);
    expect(web.annotations['kubernetes.io/change-cause']).toMatch(new RegExp(`by release ${RELEASE_ID}$`));
    expect(web.rollout).toBe('complete');
    expect(sim.images('aks-weu')['shop/StatefulSet/db/app']).toBe(OLD_IMAGE);
  });

  it('when a command is running, then commandResults answers 202 with location and Retry-After', async () => {
    held.add(`westeurope/${REPO}@${DIGEST_B}`);
    sim.setTunables({ commandStartDelayMs: 60_000 }); // the pod never starts before stop()
    const post = await arm('POST', `${clusterId('aks-weu')}/runCommand?${API}`, {
      command: 'kubectl version',
      context: '',
    });
    const location = post.headers.get('location')!;
    expect(location).toMatch(
      new RegExp(`^${sim.url}/subscriptions/.+/managedClusters/aks-weu/commandResults/[0-9a-f]+\\?${API}$`),
    );
    const poll = await fetch(location, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(poll.status).toBe(202);
    expect(poll.headers.get('location')).toBe(location);
    expect(poll.headers.get('retry-after')).toBe('1');
  });

  it('when the script holds shell syntax the builder never emits, then it fails like sh and changes nothing', async () => {
    const result = await runToEnd(
      `set -eu\nkubectl set image -n shop deployment/web app=x; kubectl delete ns shop\n`,
    );
    expect(result.properties).toMatchObject({ exitCode: 2 });
    expect(result.properties.logs).toMatch(/Syntax error/);
    expect(sim.images('aks-weu')['shop/Deployment/web/app']).toBe(OLD_IMAGE);
  });

  it('when a kubectl command is unknown, then it exits 1 like kubectl and set -e stops the script', async () => {
    const result = await runToEnd(
      `set -eu\nkubectl delete ns shop\nkubectl set image -n shop deployment/web app=x\n`,
    );
    expect(result.properties).toMatchObject({ exitCode: 1, logs: expect.stringMatching(/unknown command/) });
    expect(sim.images('aks-weu')['shop/Deployment/web/app']).toBe(OLD_IMAGE);
  });

  it('when the bearer token is wrong or the api-version missing, then ARM answers 401 / 400', async () => {
    expect((await arm('GET', `${clusterId('aks-weu')}?${API}`, undefined, 'nope')).status).toBe(401);
    const noVersion = await arm('GET', clusterId('aks-weu'));
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('when a cluster is read, then the body has the ARM shape with the Run Command and Entra switches', async () => {
    const res = await arm('GET', `${clusterId('aks-weu')}?${API}`);
    expect(await res.json()).toMatchObject({
      id: clusterId('aks-weu'),
      name: 'aks-weu',
      type: 'Microsoft.ContainerService/managedClusters',
      location: 'westeurope',
      properties: { provisioningState: 'Succeeded', apiServerAccessProfile: { disableRunCommand: false } },
    });
  });

  it('when faults are posted to the control API, then the next request gets them and the state shows them', async () => {
    const ctl = await fetch(`${sim.url}/_control/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ on: 'runCommand', status: 429, retryAfterSeconds: 7 }] }),
    });
    expect(ctl.status).toBe(200);
    const post = await arm('POST', `${clusterId('aks-weu')}/runCommand?${API}`, {
      command: 'kubectl version',
    });
    expect(post.status).toBe(429);
    expect(post.headers.get('retry-after')).toBe('7');
    const state = (await (await fetch(`${sim.url}/_control/state`)).json()) as {
      faults: Array<{ remaining: number }>;
      clusters: Array<{ name: string; workloads: unknown[] }>;
      pullFailures: Record<string, number>;
    };
    expect(state.faults).toMatchObject([{ on: 'runCommand', status: 429, remaining: 0 }]);
    expect(state.clusters[0]).toMatchObject({ name: 'aks-weu' });
    expect(state.clusters[0]!.workloads).toHaveLength(3);
    expect(state.pullFailures).toEqual({ 'aks-weu': 0 });
    const bad = await fetch(`${sim.url}/_control/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ on: 'nope' }] }),
    });
    expect(bad.status).toBe(400);
  });

  it('when the replica view never answers, then stopping the simulator still completes', async () => {
    const s = await AksSimulator.start({
      token: TOKEN,
      clusters: [simCluster('aks-weu', 'westeurope')],
      replicaHolds: () => new Promise<boolean>(() => undefined),
      commandStartDelayMs: 0,
    });
    const post = await fetch(`${s.url}${clusterId('aks-weu')}/runCommand?${API}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command: buildRolloutScript(request()) }),
    });
    expect(post.status).toBe(202);
    await expect(s.stop()).resolves.toBeUndefined();
  });

  it('when a fault has a rate, then the seeded PRNG makes the same requests fail on every run', async () => {
    const outcomes = async (): Promise<number[]> => {
      const s = await AksSimulator.start({
        token: TOKEN,
        clusters: [simCluster('aks-weu', 'westeurope')],
        seed: 42,
      });
      try {
        s.injectFault({ on: 'get', status: 500, rate: 0.5 });
        const codes: number[] = [];
        for (let i = 0; i < 12; i++)
          codes.push(
            (
              await fetch(`${s.url}${clusterId('aks-weu')}?${API}`, {
                headers: { authorization: `Bearer ${TOKEN}` },
              })
            ).status,
          );
        return codes;
      } finally {
        await s.stop();
      }
    };
    const first = await outcomes();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await outcomes()).toEqual(first);
  });
});
