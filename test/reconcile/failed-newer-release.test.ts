// A failed newer release, through the use cases against Azurite and the simulators: 1.2.0 is
// still pending in southeastasia (its replica is stuck) when bad-1 is pushed; bad-1 fails in
// eastus (its image cannot be pulled there) and halts wave 1. southeastasia must still end on
// 1.2.0, and the ledger must say that eastus's spec points at bad-1 (onFailure stop) or that
// eastus was put back on 1.2.0 (onFailure revert). Every case ends with the invariants.
import { afterEach, describe, expect, it } from 'vitest';
import { stackClusterId, startStack, type Stack } from '../../dev/stack';
import { buildDeps, type AppDeps } from '../../src/app/composition';
import { parseConfig } from '../../src/app/config/schema';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import type { LedgerView } from '../../src/app/status/ledger';
import type { RegionRollout, Release } from '../../src/core/model/records';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const WORKLOAD = 'default/Deployment/my-app/my-app';
const log = new Logger(silentSink);
const digestOf = (image: string | undefined) => /@(sha256:[0-9a-f]{64})$/.exec(image ?? '')?.[1];
const scriptDigest = (script: string) => /@(sha256:[0-9a-f]{64})/.exec(script)?.[1];

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  stack: Stack;
  deps: AppDeps;
  /** One timer run of the product, then the release of `digest` and its rollouts by region. */
  tick(): Promise<void>;
  release(digest: string): Promise<{ release: Release; rollouts: Record<string, RegionRollout> } | undefined>;
  image(region: string): string | undefined;
}

async function start(onFailure: 'stop' | 'revert'): Promise<Run> {
  const stack = await startStack({
    regions: REGIONS,
    defaultDelayMs: 50,
    timers: false,
    webhooks: 'regional',
    rolloutMs: 100,
    pullFailureDelayMs: 100,
    policy: {
      maxAttempts: 1,
      onFailure,
      rolloutTimeoutSeconds: 10,
      retryBaseSeconds: 0.2,
      replicaCheckIntervalSeconds: 0.2,
      rolloutPollIntervalSeconds: 0.2,
    },
  });
  const deps = buildDeps(parseConfig(stack.settings));
  return {
    stack,
    deps,
    tick: async () => {
      await reconcileAll(deps, log);
    },
    release: async (digest) => {
      const page = await deps.store.listReleases({ limit: 50 });
      const release = page.releases.find((r) => r.digest === digest);
      if (!release) return undefined;
      const list = await deps.store.listRollouts(release.id, release.regions);
      return { release, rollouts: Object.fromEntries(list.map((r) => [r.region, r])) };
    },
    image: (region) => stack.aks.images(stackClusterId(region))[WORKLOAD],
  };
}

/** Pushes a tag and drives the timer until its release is done everywhere (or `stopWhen`). */
async function pushAndSettle(t: Run, tag: string): Promise<string> {
  const { digest } = t.stack.acr.push({ repository: 'my-app', tag });
  await until(`${tag} done`, async () => {
    await t.tick();
    const r = await t.release(digest);
    return r?.release.status === 'done' ? true : undefined;
  });
  return digest;
}

/** The invariants: the ledger (last good, or the failed digest) is what each cluster runs. */
async function expectLedgerIsTheTruth(t: Run, extra: Record<string, number> = {}): Promise<LedgerView> {
  const view = await t.stack.api<LedgerView>('/api/ledger');
  for (const region of view.regions) {
    const w = region.workloads.find((x) => x.workload === WORKLOAD)!;
    const runs = digestOf(t.image(region.region));
    const says = w.status === 'failed' ? w.failed?.digest : w.digest;
    expect(says, `${region.region}: ledger ${JSON.stringify(w)} vs cluster ${runs}`).toBe(runs);
    expect(w.inFlight, `${region.region} keeps no lock`).toBeNull();
  }
  // No (release, region) ran twice: one command per digest and cluster (plus the reverts named).
  const perCluster = new Map<string, number>();
  for (const c of t.stack.aks.runCommands()) {
    const key = `${c.cluster} ${scriptDigest(c.script)}`;
    perCluster.set(key, (perCluster.get(key) ?? 0) + 1);
  }
  for (const [key, n] of perCluster) expect(n, key).toBe(1 + (extra[key] ?? 0));
  expect(t.stack.aks.pullFailures(stackClusterId('southeastasia'))).toBe(0);
  return view;
}

describe('when a bad newer release fails in the home region while an older one is pending in a later wave', () => {
  let run: Run | undefined;
  afterEach(async () => {
    await run?.stack.stop();
    run = undefined;
  });

  async function scenario(t: Run) {
    const v100 = await pushAndSettle(t, '1.0.0');
    for (const region of REGIONS) expect(digestOf(t.image(region))).toBe(v100);

    // 1.2.0 rolls out in eastus and westeurope; southeastasia's replica is stuck: still pending.
    t.stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
    const v120 = t.stack.acr.push({ repository: 'my-app', tag: '1.2.0' }).digest;
    await until('1.2.0 in eastus and westeurope', async () => {
      await t.tick();
      const r = await t.release(v120);
      return r?.rollouts.eastus?.state === 'succeeded' && r.rollouts.westeurope?.state === 'succeeded'
        ? r
        : undefined;
    });

    // bad-1: its image cannot be pulled in eastus, so its rollout there fails (maxAttempts 1).
    const bad = t.stack.acr.push({ repository: 'my-app', tag: 'bad-1' }).digest;
    const holds = t.stack.acr.holds;
    t.stack.aks.setReplicaHolds((region, repository, digest) =>
      region === 'eastus' && digest === bad ? false : holds(region, repository, digest),
    );
    const halted = await until('bad-1 to fail in eastus and halt wave 1', async () => {
      await t.tick();
      const r = await t.release(bad);
      return r && ['failed'].includes(r.rollouts.eastus?.state ?? '') && r.release.status === 'done'
        ? r
        : undefined;
    });
    expect(halted.rollouts.southeastasia!.state).toBe('halted');
    expect(halted.rollouts.westeurope!.state).toBe('halted');
    // 1.2.0 was not given up in southeastasia: it waits there, not superseded.
    const waiting = (await t.release(v120))!.rollouts.southeastasia!;
    expect(waiting.state, waiting.reason).not.toBe('superseded');

    // The replica recovers: southeastasia converges to 1.2.0, the newest that passed wave 0.
    t.stack.acr.setFaults({ stuckRegions: [] });
    const done = await until('1.2.0 done', async () => {
      await t.tick();
      const r = await t.release(v120);
      return r?.release.status === 'done' ? r : undefined;
    });
    const sea = done.rollouts.southeastasia!;
    expect(sea.state, sea.reason).toBe('succeeded');
    // The status says which release it stood in for, and why.
    expect(sea.newerEnded).toEqual([`${halted.release.id} (ended without rolling out here)`]);
    expect(digestOf(t.image('southeastasia'))).toBe(v120);
    expect(digestOf(t.image('westeurope'))).toBe(v120);
    return { v120, bad, badRelease: halted.release, eastus: halted.rollouts.eastus! };
  }

  it('then with onFailure stop, southeastasia ends on 1.2.0 and the ledger says eastus runs the failed bad-1 (in red on the page)', async () => {
    run = await start('stop');
    const { v120, bad, badRelease, eastus } = await scenario(run);
    expect(['attempts-exhausted', 'failed-permanent']).toContain(eastus.reasonCode);
    expect(digestOf(run.image('eastus'))).toBe(bad);
    const view = await expectLedgerIsTheTruth(run);
    const e = view.regions.find((r) => r.region === 'eastus')!.workloads[0]!;
    expect(e).toMatchObject({ digest: v120, tag: '1.2.0', status: 'failed' });
    expect(e.failed).toMatchObject({ releaseId: badRelease.id, tag: 'bad-1', digest: bad });
    expect(e.failed!.reason).toMatch(/ImagePullBackOff|manifest unknown/);
    for (const region of ['westeurope', 'southeastasia'])
      expect(view.regions.find((r) => r.region === region)!.workloads[0]).toMatchObject({
        digest: v120,
        status: 'ok',
        failed: null,
      });
  }, 120_000);

  it('then with onFailure revert, eastus is put back on 1.2.0 by one more fenced change, the ledger is ok again, and every cluster runs 1.2.0', async () => {
    run = await start('revert');
    const { v120, bad, badRelease, eastus } = await scenario(run);
    expect(eastus.reasonCode, eastus.reason).toBe('reverted');
    expect(eastus.reason).toContain('reverted to release');
    expect(eastus.revertTo).toMatchObject({ digest: v120, tag: '1.2.0' });
    const view = await expectLedgerIsTheTruth(run, { [`aks-eastus ${v120}`]: 1 });
    for (const region of view.regions)
      expect(region.workloads[0], region.region).toMatchObject({ digest: v120, status: 'ok', failed: null });
    for (const region of REGIONS) expect(digestOf(run.image(region)), region).toBe(v120);
    // Exactly one revert command, on eastus, for the last good digest.
    const east = run.stack.aks.runCommands().filter((c) => c.cluster === 'aks-eastus');
    expect(east.map((c) => scriptDigest(c.script))).toEqual([expect.any(String), v120, bad, v120]);
    expect(east[3]!.script).toContain(`by release ${(await run.release(v120))!.release.id}`);
    expect(badRelease.status).toBe('done');
  }, 120_000);
});
