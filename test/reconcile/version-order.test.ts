// The semver order through the product's own path (webhook intake, the nudge, the timer's
// reconcile) on the in-memory store with fake ports: a hotfix 1.4.3 pushed after 2.0.0 is a
// release whose rollouts end `skipped` (older-version) in every region, visible in the release
// view; whatever the arrival order, every region ends on 2.0.0; duplicated and late deliveries
// change nothing; push order keeps today's rule (the later push wins); a rollback goes down.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { rollBack } from '../../src/app/operator/rollback';
import { getReleaseView } from '../../src/app/status/releases';
import { testConfig } from '../support/config';
import { pushPayload } from '../support/acr-payloads';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const WORKLOAD = 'default/Deployment/my-app/my-app';
const log = new Logger(silentSink);

function setup(order?: 'semver' | 'pushed') {
  const store = new MemoryRolloutStore();
  const config = testConfig({
    regions: REGIONS,
    workloads: [
      {
        repository: 'my-app',
        tags: ['*'],
        namespace: 'default',
        kind: 'Deployment',
        name: 'my-app',
        container: 'my-app',
        ...(order ? { order } : {}),
      },
    ],
    env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' },
  });
  const { clock, registry, executor, deps } = fakeDeps(config, store);
  const pushes = new Map<string, { digest: string; at: string }>();
  let seq = 0;

  /** A push on the home registry (its replica holds it at once); the far replicas wait for replicate(). */
  const push = (tag: string) => {
    clock.advance(1);
    const digest = 'sha256:' + createHash('sha256').update(tag).digest('hex');
    const at = clock.now().toISOString();
    pushes.set(tag, { digest, at });
    const listed = registry.tags.get('my-app') ?? [];
    registry.tags.set('my-app', [{ tag, digest, updatedAt: at }, ...listed.filter((t) => t.tag !== tag)]);
    registry.hold(REGIONS[0]!, 'my-app', digest);
  };
  const of = (tag: string) => pushes.get(tag)!;
  const replicate = (tag: string, regions = REGIONS) => {
    for (const r of regions) registry.hold(r, 'my-app', of(tag).digest);
  };
  /** The region's webhook of the push; the same event id again is a duplicate delivery. */
  const deliver = async (tag: string, regions = REGIONS, eventId?: string) => {
    for (const region of regions) {
      const { digest, at } = of(tag);
      const body = pushPayload({
        id: eventId ?? `evt-${++seq}`,
        timestamp: at,
        digest,
        repository: 'my-app',
        tag,
      });
      const answer = await receiveWebhook(
        deps,
        {
          region,
          authorization: `Bearer ${config.webhookSecrets[0]}`,
          body: Buffer.from(JSON.stringify(body)),
        },
        log,
      );
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    }
  };
  /** Timer runs until every release is done. */
  const settle = async () => {
    for (let i = 0; i < 40; i++) {
      clock.advance(15);
      await reconcileAll(deps, log);
      if ((await store.listActiveReleases()).length === 0) return;
    }
    throw new Error('releases did not settle');
  };
  const releaseOf = (tag: string) => store.allReleases().find((r) => r.digest === of(tag).digest);
  const view = async (tag: string) => (await getReleaseView(deps, releaseOf(tag)!.id))!;
  /** What the ledger says each region runs, as tags. */
  const running = async (): Promise<Record<string, string | undefined>> => {
    const tags = await Promise.all(
      REGIONS.map(async (r) => (await store.listLedger(r)).find((l) => l.workload === WORKLOAD)?.tag),
    );
    return Object.fromEntries(REGIONS.map((r, i) => [r, tags[i]]));
  };
  const startsOf = (tag: string) => executor.started.filter((s) => s.digest === of(tag).digest).length;
  const everywhere = (tag: string) => Object.fromEntries(REGIONS.map((r) => [r, tag]));
  return {
    store,
    deps,
    clock,
    push,
    replicate,
    deliver,
    settle,
    releaseOf,
    view,
    running,
    startsOf,
    everywhere,
  };
}

/** Each region rollout of the view as [region, state, reasonCode]. */
const states = (v: Awaited<ReturnType<ReturnType<typeof setup>['view']>>) =>
  v.rollouts.map((r) => [r.region, r.state, r.reasonCode]);

describe('order semver through intake and reconcile', () => {
  it('when 1.4.3 is pushed after 2.0.0, then its release is recorded with every region skipped (older-version) and every region stays on 2.0.0', async () => {
    const t = setup('semver');
    t.push('2.0.0');
    t.replicate('2.0.0');
    await t.deliver('2.0.0');
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));

    t.push('1.4.3');
    t.replicate('1.4.3');
    await t.deliver('1.4.3');
    await t.settle();
    const v = await t.view('1.4.3');
    expect(v).toMatchObject({ tag: '1.4.3', version: '1.4.3', status: 'done' });
    expect(states(v)).toEqual(REGIONS.map((r) => [r, 'skipped', 'older-version']));
    const higher = (await t.view('2.0.0')).id;
    for (const r of v.rollouts) {
      expect(r.reason).toBe(`skipped: version 1.4.3 is older than 2.0.0 (release ${higher}, running here)`);
      expect(r.skippedWorkloads).toEqual([WORKLOAD]);
      expect(r.attempts).toBe(0);
    }
    expect(t.startsOf('1.4.3')).toBe(0);
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));
  });

  it('when 1.4.3 arrives while 2.0.0 still waits for the far replicas, then 1.4.3 is skipped there too and 2.0.0 rolls out once replicated', async () => {
    const t = setup('semver');
    t.push('2.0.0');
    await t.deliver('2.0.0', ['eastus']);
    t.push('1.4.3');
    t.replicate('1.4.3');
    await t.deliver('1.4.3');
    t.clock.advance(15);
    await reconcileAll(t.deps, log);
    expect(states(await t.view('1.4.3'))).toEqual(REGIONS.map((r) => [r, 'skipped', 'older-version']));
    const far = (await t.view('1.4.3')).rollouts.find((r) => r.region === 'southeastasia')!;
    expect(far.reason).toMatch(
      /older than 2\.0\.0 \(release \d{13}-[0-9a-f]{12}, waiting-for-replica here\)/,
    );

    t.replicate('2.0.0');
    await t.deliver('2.0.0', ['westeurope', 'southeastasia']);
    await t.settle();
    expect(states(await t.view('2.0.0'))).toEqual(REGIONS.map((r) => [r, 'succeeded', 'succeeded']));
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));
    expect(t.startsOf('1.4.3')).toBe(0);
  });

  it('when 1.4.3 is pushed and planned before 2.0.0 arrives, then 2.0.0 supersedes it where it has not run, and every region ends on 2.0.0', async () => {
    const t = setup('semver');
    t.push('1.4.3');
    await t.deliver('1.4.3', ['eastus']); // rolls out at home; the far replicas lag
    t.clock.advance(10);
    t.push('2.0.0');
    t.replicate('2.0.0');
    await t.deliver('2.0.0');
    t.replicate('1.4.3');
    await t.deliver('1.4.3', ['westeurope', 'southeastasia']);
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));
    const older = await t.view('1.4.3');
    expect(older.rollouts.find((r) => r.region === 'eastus')?.state).toBe('succeeded');
    for (const r of older.rollouts.filter((x) => x.region !== 'eastus'))
      expect(r.state, r.region).toBe('superseded');
  });

  it('when 2.0.0 was pushed first but its webhooks arrive after 1.4.3’s, then 1.4.3 is skipped where it had not run and every region ends on 2.0.0', async () => {
    const t = setup('semver');
    t.push('2.0.0');
    t.push('1.4.3');
    t.replicate('2.0.0');
    await t.deliver('1.4.3', ['eastus']); // 1.4.3 first: it rolls out at home, its far replicas lag
    expect(t.startsOf('1.4.3')).toBe(1);
    await t.deliver('2.0.0');
    t.replicate('1.4.3');
    await t.deliver('1.4.3', ['westeurope', 'southeastasia']); // late
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));
    expect(states(await t.view('1.4.3'))).toEqual([
      ['eastus', 'succeeded', 'succeeded'],
      ['westeurope', 'skipped', 'older-version'],
      ['southeastasia', 'skipped', 'older-version'],
    ]);
    const newest = t.releaseOf('2.0.0')!.id;
    for (const h of t.store.ledgerHistory)
      expect(h.before?.releaseId === newest && h.after.releaseId !== newest, 'moved off 2.0.0').toBe(false);
  });

  it('when deliveries are duplicated or come late, then nothing changes: no new release, no new start', async () => {
    const t = setup('semver');
    t.push('2.0.0');
    t.replicate('2.0.0');
    await t.deliver('2.0.0', REGIONS, 'evt-200');
    t.push('1.4.3');
    t.replicate('1.4.3');
    await t.deliver('1.4.3', REGIONS, 'evt-143');
    await t.settle();
    const before = { releases: t.store.allReleases().length, starts: t.startsOf('2.0.0') };
    const skipped = states(await t.view('1.4.3'));
    expect(skipped).toEqual(REGIONS.map((r) => [r, 'skipped', 'older-version']));

    await t.deliver('1.4.3', REGIONS, 'evt-143'); // the same deliveries again
    await t.deliver('1.4.3'); // the same push, new event ids (another webhook of the registry)
    await t.deliver('2.0.0'); // late regional webhooks of the older push time
    await t.settle();
    expect(t.store.allReleases()).toHaveLength(before.releases);
    expect(t.startsOf('2.0.0')).toBe(before.starts);
    expect(t.startsOf('1.4.3')).toBe(0);
    expect(states(await t.view('1.4.3'))).toEqual(skipped);
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));
  });

  it('when an operator rolls back below the version that runs, then the rollback rolls out; a lower push after it is skipped, a higher one goes out', async () => {
    const t = setup('semver');
    t.push('1.9.0');
    t.replicate('1.9.0');
    await t.deliver('1.9.0');
    await t.settle();
    t.push('2.0.0');
    t.replicate('2.0.0');
    await t.deliver('2.0.0');
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('2.0.0'));

    const answer = await rollBack(t.deps, log, { releaseId: t.releaseOf('1.9.0')!.id }, { actor: 'ops' });
    expect(answer.kind).toBe('ok');
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('1.9.0'));
    const rollback = t.store.allReleases().find((r) => r.source === 'operator')!;
    expect(rollback).toMatchObject({ version: '1.9.0', rollbackOf: t.releaseOf('1.9.0')!.id });

    t.push('1.8.5');
    t.replicate('1.8.5');
    await t.deliver('1.8.5');
    await t.settle();
    expect(states(await t.view('1.8.5'))).toEqual(REGIONS.map((r) => [r, 'skipped', 'older-version']));
    t.push('1.9.1');
    t.replicate('1.9.1');
    await t.deliver('1.9.1');
    await t.settle();
    expect(await t.running()).toEqual(t.everywhere('1.9.1'));
  });
});

describe('order pushed (the default) through intake and reconcile', () => {
  it('when 1.4.3 is pushed after 2.0.0, then 1.4.3 rolls out everywhere (the later push wins)', async () => {
    const t = setup();
    t.push('2.0.0');
    t.replicate('2.0.0');
    await t.deliver('2.0.0');
    await t.settle();
    t.push('1.4.3');
    t.replicate('1.4.3');
    await t.deliver('1.4.3');
    await t.settle();
    expect(states(await t.view('1.4.3'))).toEqual(REGIONS.map((r) => [r, 'succeeded', 'succeeded']));
    expect(await t.running()).toEqual(t.everywhere('1.4.3'));
  });
});
