// The key end-to-end scenario on both access paths, against one cluster state per region: every
// region's cluster is a Kubernetes API simulator; kubernetes-api regions are patched by the app
// over HTTPS, run-command regions through the AKS simulator, which runs the script with the real
// kubectl against the same simulator. Each run checks the invariants: never pulled before the
// replica, exactly one change per (release, region), never rolled back (a late older change is
// fenced), and at the end every cluster runs the newest release and the ledger says exactly that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { RELEASE_ANNOTATION } from '../../src/core/rollout/fence';
import type { RegionAccess, RegionRollout, Release } from '../../src/core/model/records';
import type { RolloutRequest } from '../../src/core/model/ports';
import { startStack, type Stack } from '../../dev/stack';
import { quietTimerStep } from '../support/quiet-steps';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const WORKLOAD = 'default/Deployment/my-app/my-app';

const MODES: Array<{ title: string; access: Record<string, RegionAccess> }> = [
  {
    title: 'kubernetes-api regions (default) and one run-command region',
    access: { southeastasia: 'run-command' },
  },
  {
    title: 'run-command regions on the same simulated API servers',
    access: { eastus: 'run-command', westeurope: 'run-command', southeastasia: 'run-command' },
  },
];

describe.each(MODES)('with $title', ({ access }) => {
  let stack: Stack;
  let step: () => Promise<void> = () => Promise.resolve();

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await step();
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function settled(digest: string): Promise<{ release: Release; rollouts: RegionRollout[] }> {
    const store = appDeps(stack.settings).store;
    return until(`release of ${digest} to finish`, async () => {
      const page = await store.listReleases({ limit: 50 });
      const release = page.releases.find((r) => r.digest === digest);
      if (!release || release.status !== 'done') return undefined;
      return { release, rollouts: await store.listRollouts(release.id, release.regions) };
    });
  }

  function annotationOf(region: string): string | undefined {
    const meta = stack.k8s[region]!.workload('Deployment', 'default', 'my-app')?.metadata as
      { annotations?: Record<string, string> } | undefined;
    return meta?.annotations?.[RELEASE_ANNOTATION];
  }

  beforeAll(async () => {
    stack = await startStack({
      regions: REGIONS,
      delays: { westeurope: 1500, southeastasia: 3500 },
      timers: false,
      kubernetes: true,
      access,
    });
    step = () => quietTimerStep(stack);
  }, 90_000);
  afterAll(async () => stack?.stop());

  it('rolls each region out once its replica holds the digest, exactly once, newest wins, a late older change is fenced, and the ledger equals the clusters', async () => {
    const first = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    const one = await settled(first.digest);
    for (const r of one.rollouts) {
      expect(r.state, `${r.region}: ${r.reason}`).toBe('succeeded');
      const landed = stack.acr.replicatedAt(r.region, 'my-app', first.digest)!;
      expect(Date.parse(r.startedAt!)).toBeGreaterThanOrEqual(landed.getTime());
      expect(r.attempts).toBe(1);
    }

    // A newer push while the older one is still replicating to southeastasia: 2.1.0 supersedes it.
    stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
    const older = stack.acr.push({ repository: 'my-app', tag: '2.0.0' });
    await until('2.0.0 to reach westeurope', () =>
      Promise.resolve(stack.images('westeurope')[WORKLOAD]?.endsWith(older.digest) ? true : undefined),
    );
    const newer = stack.acr.push({ repository: 'my-app', tag: '2.1.0' });
    // 2.1.0 is planned (its home webhook answered) before 2.0.0 can land in southeastasia, whose
    // regional webhook would otherwise start 2.0.0 there first on a loaded machine.
    await stack.acr.deliveriesSettled();
    stack.acr.setFaults({ stuckRegions: [] });
    const two = await settled(newer.digest);
    const twoOld = await settled(older.digest);
    expect(two.rollouts.map((r) => [r.region, r.state])).toEqual(REGIONS.map((r) => [r, 'succeeded']));
    expect(twoOld.rollouts.find((r) => r.region === 'southeastasia')?.state).toBe('superseded');

    // A late copy of the older change (what a lost Run Command or a slow instance would send) is
    // fenced on either path: nothing moves back.
    const deps = appDeps(stack.settings);
    for (const region of REGIONS) {
      const late: RolloutRequest = {
        releaseId: twoOld.release.id,
        region,
        cluster: deps.config.regions.find((r) => r.name === region)!.cluster,
        workloads: [{ ...deps.config.workloads[0]!, expectedRelease: one.release.id }],
        pushedAt: twoOld.release.pushedAt,
        image: {
          loginServer: stack.acr.loginServer,
          repository: 'my-app',
          digest: older.digest,
          tag: '2.0.0',
        },
        timeoutSeconds: 60,
      };
      const start = await deps.executor.start(late);
      expect(start.kind, region).toBe('started');
      if (start.kind !== 'started') continue;
      const verdict = await until(`the late change in ${region} to be judged`, async () => {
        const s = await deps.executor.status(late, start.handle);
        return s.kind === 'running' || s.kind === 'unknown' ? undefined : s;
      });
      expect(verdict.kind, `${region}: ${JSON.stringify(verdict)}`).toBe('fenced');
    }

    const ledgerReleases: Record<string, string> = {};
    for (const region of REGIONS) {
      // Every cluster runs the newest release, and the ledger says exactly what it runs.
      expect(stack.images(region)[WORKLOAD], region).toBe(`${stack.acr.loginServer}/my-app@${newer.digest}`);
      const ledger = await deps.store.listLedger(region);
      expect(ledger.map((l) => [l.workload, l.digest, l.releaseId])).toEqual([
        [WORKLOAD, newer.digest, two.release.id],
      ]);
      expect(annotationOf(region)).toBe(two.release.id);
      ledgerReleases[region] = ledger[0]!.releaseId;
      // Exactly once: one accepted patch per (release, region), none for the superseded 2.0.0 in
      // southeastasia, and none from the late older changes.
      // (A change is a patch that moved the spec's generation; kubectl annotate is not one.)
      const patches = stack.k8s[region]!.patchLog.filter((p) => p.name === 'my-app');
      const changes = patches.filter((p, i) => p.generation > (i === 0 ? 1 : patches[i - 1]!.generation));
      const perRelease = new Map<string, number>();
      for (const p of changes) perRelease.set(p.release ?? '', (perRelease.get(p.release ?? '') ?? 0) + 1);
      for (const [release, count] of perRelease) expect(count, `${region} ${release}`).toBe(1);
      expect(perRelease.has(two.release.id)).toBe(true);
      // The path each region is configured for is the one that changed it.
      const rc = stack.aks.runCommands().filter((c) => c.cluster === `aks-${region}`);
      if (stack.access[region] === 'run-command') expect(rc.length).toBeGreaterThanOrEqual(3);
      else expect(rc).toHaveLength(0);
    }
    expect(stack.k8s.southeastasia!.patchLog.some((p) => p.release === twoOld.release.id)).toBe(false);
    expect(stack.k8s.westeurope!.patchLog.some((p) => p.release === twoOld.release.id)).toBe(true);
    expect(stack.pullFailures()).toBe(0);
    for (const r of two.rollouts) expect(r.attempts).toBe(1);
  }, 240_000);
});

describe('on a kubernetes-api region, a crash-looping release with onFailure revert', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      regions: ['eastus', 'westeurope'],
      delays: { westeurope: 200 },
      timers: false,
      kubernetes: true,
      policy: { onFailure: 'revert', failFastSeconds: 2, maxAttempts: 1 },
    });
  }, 90_000);
  afterAll(async () => stack?.stop());

  it('fails fast with CrashLoopBackOff and the pod message, reverts through the same fenced path, and halts the later wave', async () => {
    const store = appDeps(stack.settings).store;
    const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        await quietTimerStep(stack);
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const done = (digest: string) =>
      until(`release ${digest} done`, async () => {
        const rel = (await store.listReleases({ limit: 50 })).releases.find((r) => r.digest === digest);
        return rel?.status === 'done'
          ? { rel, rollouts: await store.listRollouts(rel.id, rel.regions) }
          : undefined;
      });
    const good = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
    const first = await done(good.digest);
    expect(first.rollouts.map((r) => r.state)).toEqual(['succeeded', 'succeeded']);

    const bad = `sha256:${'d'.repeat(64)}`;
    for (const k of Object.values(stack.k8s)) k.badDigests.add(bad);
    stack.acr.push({ repository: 'my-app', tag: '2.0.0', digest: bad });
    const second = await done(bad);
    const east = second.rollouts.find((r) => r.region === 'eastus')!;
    expect(east.state).toBe('failed');
    expect(east.reasonCode).toBe('reverted');
    expect(east.reason).toMatch(/CrashLoopBackOff/);
    expect(east.reason).toMatch(/back-off .* restarting failed container=my-app/);
    expect(second.rollouts.find((r) => r.region === 'westeurope')?.state).toBe('halted');
    // Reverted on the cluster and in the ledger; westeurope never got the bad digest.
    const image = `${stack.acr.loginServer}/my-app@${good.digest}`;
    expect(stack.images('eastus')[WORKLOAD]).toBe(image);
    expect(stack.images('westeurope')[WORKLOAD]).toBe(image);
    const ledger = await store.listLedger('eastus');
    expect(ledger[0]?.digest).toBe(good.digest);
    expect(stack.k8s.westeurope!.patchLog.some((p) => p.release === second.rel.id)).toBe(false);
    expect(stack.aks.runCommands()).toHaveLength(0);
  }, 180_000);
});
