// The queue path end to end on loopback: the local host serves the queue trigger `advance` from
// Azurite's queue and its timer never runs, so every step after the webhooks (the wave-0
// completion, the wave-1 start, the replica re-checks) happens only through wake-ups at each
// rollout's due time. Then a poisoned wake-up shows its release as stuck.
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackClusterId, stackDeps, startStack, type Stack } from '../../dev/stack';
import type { ReleasesPageView } from '../../src/app/status/releases';
import { POISONED_REASON } from '../../src/app/wakeups/poisoned-wakeups';
import type { RegionRollout, Release } from '../../src/core/model/records';
import { wakeQueueName } from '../../src/core/wakeups/due-time';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const digestOf = (image: string) => /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1];

describe('when the timer never runs and only queue wake-ups advance the releases', () => {
  let stack: Stack;
  let done: { release: Release; rollouts: RegionRollout[] };
  let digest: string;

  beforeAll(async () => {
    stack = await startStack({
      regions: ['eastus', 'westeurope', 'southeastasia'],
      delays: { westeurope: 300, southeastasia: 800 },
      timers: false,
      queues: true,
      rolloutMs: 600,
      policy: { rolloutPollIntervalSeconds: 1, replicaCheckIntervalSeconds: 1 },
    });
    digest = stack.acr.push({ repository: 'my-app', tag: '1.0.0' }).digest;
    const store = stackDeps(stack).store;
    done = await until('the release to finish', async () => {
      const release = (await store.listReleases({ limit: 10 })).releases.find((r) => r.digest === digest);
      if (!release || release.status !== 'done') return undefined;
      return { release, rollouts: await store.listRollouts(release.id, release.regions) };
    });
    await stack.aks.idle();
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('then every region succeeded, wave 1 after wave 0, through wake-ups the advance function ran', () => {
    expect(Object.fromEntries(done.rollouts.map((r) => [r.region, r.state]))).toEqual({
      eastus: 'succeeded',
      westeurope: 'succeeded',
      southeastasia: 'succeeded',
    });
    const home = done.rollouts.find((r) => r.region === 'eastus')!;
    for (const r of done.rollouts.filter((x) => x.region !== 'eastus'))
      expect(Date.parse(r.startedAt!)).toBeGreaterThanOrEqual(Date.parse(home.finishedAt!));
    expect(stack.host.queueStats().advance?.succeeded).toBeGreaterThan(0);
  });

  it('then each cluster runs the pushed digest, the ledger says so, and each cluster got exactly one run command', async () => {
    const deps = stackDeps(stack);
    for (const region of stack.regions) {
      const images = stack.aks.images(stackClusterId(region));
      const key = 'default/Deployment/my-app/my-app';
      expect(digestOf(images[key] ?? ''), region).toBe(digest);
      const ledger = await deps.store.listLedger(region);
      expect(ledger.find((l) => l.workload === key)?.digest, region).toBe(digest);
      expect(ledger.find((l) => l.workload === key)?.releaseId).toBe(done.release.id);
    }
    const perCluster = new Map<string, number>();
    for (const c of stack.aks.runCommands()) perCluster.set(c.cluster, (perCluster.get(c.cluster) ?? 0) + 1);
    expect([...perCluster.values()]).toEqual([1, 1, 1]);
    expect(stack.aks.pulls().filter((p) => !p.ok)).toEqual([]);
  });

  it('when a wake-up of an active release lands in the poison queue, then the timer logs it and GET /api/releases shows the release stuck', async () => {
    // A second push stays active: southeastasia's replica never gets it.
    stack.acr.setFaults({ stuckRegions: ['southeastasia'] });
    const second = stack.acr.push({ repository: 'my-app', tag: '1.1.0' }).digest;
    const release = await until('the second release', async () =>
      (await stackDeps(stack).store.listReleases({ limit: 10 })).releases.find((r) => r.digest === second),
    );
    // What the Functions host does after maxDequeueCount failures: the body, copied to <queue>-poison.
    const poison = new QueueClient(stack.settings.ROLLOUT_STORAGE!, `${wakeQueueName('rollout')}-poison`);
    await poison.createIfNotExists();
    const body = Buffer.from(JSON.stringify({ releaseId: release.id, due: new Date().toISOString() }));
    await poison.sendMessage(body.toString('base64'));
    await stack.host.runTimers();
    const page = await stack.api<ReleasesPageView>('/api/releases?limit=10');
    const view = page.releases.find((r) => r.id === release.id);
    expect(view?.stuck?.reason).toBe(POISONED_REASON);
    expect(Number.isFinite(Date.parse(view?.stuck?.at ?? ''))).toBe(true);
    expect(page.releases.find((r) => r.id === done.release.id)?.stuck).toBeUndefined();
  });
});
