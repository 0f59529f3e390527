// The product end to end on loopback: the real functions in the local host, the real ACR and
// AKS adapters talking HTTP to the simulators, Table Storage on Azurite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import type { RegionAccess, RegionRollout, Release } from '../../src/core/model/records';
import { startStack, type Stack } from '../../dev/stack';
import { quietTimerStep } from '../support/quiet-steps';

/** How the test moves the app's timers between probes (it steps them itself: `timers: false`). */
let step: () => Promise<void> = () => Promise.resolve();

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await step();
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function settledRelease(
  stack: Stack,
  digest: string,
): Promise<{ release: Release; rollouts: RegionRollout[] }> {
  const store = appDeps(stack.settings).store;
  return until(`release of ${digest} to finish`, async () => {
    const page = await store.listReleases({ limit: 50 });
    const release = page.releases.find((r) => r.digest === digest);
    if (!release || release.status !== 'done') return undefined;
    return { release, rollouts: await store.listRollouts(release.id, release.regions) };
  });
}

/**
 * How many changes the region's cluster got for this release: Run Commands carrying its digest on
 * the in-process clusters; on simulated API servers (both paths) the patches that moved the spec's
 * generation to this release (kubectl annotate is not a change).
 */
function changesOf(stack: Stack, region: string, releaseId: string, digest: string): number {
  const sim = stack.k8s[region];
  if (!sim)
    return stack.aks.runCommands().filter((c) => c.cluster === `aks-${region}` && c.script.includes(digest))
      .length;
  const patches = sim.patchLog.filter((p) => p.name === 'my-app');
  return patches.filter(
    (p, i) => p.release === releaseId && p.generation > (i === 0 ? 1 : patches[i - 1]!.generation),
  ).length;
}

const MODES: Array<{ title: string; kubernetes: boolean; access?: Record<string, RegionAccess> }> = [
  { title: 'Run Command on in-process clusters', kubernetes: false },
  {
    title: 'the Kubernetes API (southeastasia through Run Command) on simulated API servers',
    kubernetes: true,
    access: { southeastasia: 'run-command' },
  },
];

describe.each(MODES)(
  'when one image is pushed to a geo-replicated registry with three regions, via $title',
  (mode) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack({
        regions: ['eastus', 'westeurope', 'southeastasia'],
        delays: { westeurope: 1500, southeastasia: 3500 },
        timers: false,
        kubernetes: mode.kubernetes,
        ...(mode.access ? { access: mode.access } : {}),
      });
      step = () => stack.host.runTimers();
      // westeurope's regional webhook is lost: its readiness must come from the manifest check.
      stack.acr.setWebhooks(
        ['eastus', 'southeastasia'].map((region) => ({
          region,
          url: `${stack.host.url}/api/acr/events/${region}`,
          headers: { Authorization: `Bearer ${stack.settings.WEBHOOK_SECRETS}` },
        })),
      );
    }, 60_000);
    afterAll(async () => stack?.stop());

    it('then each region becomes ready only once its replica holds the digest, by webhook where sent and by check where not, and every cluster ends on the digest without a failed pull', async () => {
      // southeastasia is held back first: the timers may then run at any moment, its replica check
      // can only say absent, and westeurope (no webhook) gets ready by the check once it lands.
      // Then southeastasia is released and the timers run only while no replication or delivery is
      // in flight, so its webhook, not a check that raced it, makes it ready.
      stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
      const push = stack.acr.push({ repository: 'my-app', tag: '1.0.0' });
      await stack.acr.deliveriesSettled(); // the home webhook plans the release, not the scan
      const firstRelease = await until('westeurope to succeed', async () => {
        const store = appDeps(stack.settings).store;
        const page = await store.listReleases({ limit: 50 });
        const rel = page.releases.find((r) => r.digest === push.digest);
        const rs = rel ? await store.listRollouts(rel.id, rel.regions) : [];
        return rs.find((r) => r.region === 'westeurope')?.state === 'succeeded' ? rs : undefined;
      });
      const seaWaiting = firstRelease.find((r) => r.region === 'southeastasia')!;
      expect(seaWaiting.state).toBe('waiting-for-replica');
      expect(seaWaiting.lastCheckResult).toBe('absent');
      stack.acr.setFaults({ stuckRegions: [] });
      step = () => quietTimerStep(stack);
      const { release, rollouts } = await settledRelease(stack, push.digest);
      step = () => stack.host.runTimers();

      expect(release.tag).toBe('1.0.0');
      const byRegion = Object.fromEntries(rollouts.map((r) => [r.region, r]));
      for (const region of stack.regions) {
        const r = byRegion[region]!;
        expect(r.state, `${region}: ${r.reason}`).toBe('succeeded');
        const landed = stack.acr.replicatedAt(region, 'my-app', push.digest);
        expect(landed, `${region} replicated`).toBeDefined();
        // Never ready (and so never started) before the replica held the digest.
        expect(Date.parse(r.replicaReadyAt!)).toBeGreaterThanOrEqual(landed!.getTime());
        expect(Date.parse(r.startedAt!)).toBeGreaterThanOrEqual(Date.parse(r.replicaReadyAt!));
      }
      expect(byRegion.eastus!.replicaReadySource).toBe('webhook');
      expect(byRegion.southeastasia!.replicaReadySource).toBe('webhook');
      expect(byRegion.westeurope!.replicaReadySource).toBe('check');

      // Waves: the home region (wave 0) finished before any wave-1 region started.
      for (const late of ['westeurope', 'southeastasia'])
        expect(Date.parse(byRegion[late]!.startedAt!)).toBeGreaterThanOrEqual(
          Date.parse(byRegion.eastus!.finishedAt!),
        );

      // Deployed by digest through the global login server, exactly one change per cluster, by the
      // region's configured path.
      for (const region of stack.regions) {
        expect(Object.values(stack.images(region))).toEqual([`myregistry.azurecr.io/my-app@${push.digest}`]);
        expect(changesOf(stack, region, release.id, push.digest), region).toBe(1);
        const commands = stack.aks.runCommands().filter((c) => c.cluster === `aks-${region}`);
        expect(commands, region).toHaveLength(stack.access[region] === 'run-command' ? 1 : 0);
      }
      expect(stack.pullFailures()).toBe(0);

      const ledger = await appDeps(stack.settings).store.listLedger('southeastasia');
      expect(ledger.map((l) => [l.workload, l.digest, l.tag, l.releaseId])).toEqual([
        ['default/Deployment/my-app/my-app', push.digest, '1.0.0', release.id],
      ]);
    }, 150_000);

    it('then a newer push supersedes the older one still replicating, and no region ever runs the older one after the newer', async () => {
      stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
      const first = stack.acr.push({ repository: 'my-app', tag: '2.0.0' });
      const image = () => stack.images('westeurope')['default/Deployment/my-app/my-app'];
      await until('2.0.0 to reach westeurope', () =>
        Promise.resolve(image()?.endsWith(first.digest) ? true : undefined),
      );
      const second = stack.acr.push({ repository: 'my-app', tag: '2.1.0' });
      // 2.1.0 is planned before 2.0.0 can land in southeastasia (its webhook would start it there).
      await stack.acr.deliveriesSettled();
      stack.acr.setFaults({ stuckRegions: [] });
      const newer = await settledRelease(stack, second.digest);
      const older = await settledRelease(stack, first.digest);
      expect(newer.rollouts.every((r) => r.state === 'succeeded')).toBe(true);
      expect(older.rollouts.find((r) => r.region === 'southeastasia')?.state).toBe('superseded');
      for (const region of stack.regions)
        expect(stack.images(region)['default/Deployment/my-app/my-app']).toBe(
          `myregistry.azurecr.io/my-app@${second.digest}`,
        );
      // southeastasia never ran 2.0.0: one change there for 2.1.0, none for 2.0.0.
      expect(changesOf(stack, 'southeastasia', older.release.id, first.digest)).toBe(0);
      expect(changesOf(stack, 'southeastasia', newer.release.id, second.digest)).toBe(1);
      expect(stack.pullFailures()).toBe(0);
    }, 150_000);
  },
);
