// A re-tag of a digest replicated long ago must not report a reaction of
// minutes. The reaction counts from the later of replicaReadyAt and the release's createdAt.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { getReleaseView } from '../../src/app/status/releases';
import { rolloutFigures } from '../../src/app/status/views';
import { regionFigures } from '../../src/core/notify/figures';
import type { RegionRollout } from '../../src/core/model/records';
import { pushPayload } from '../support/acr-payloads';
import { testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const DIGEST = 'sha256:' + createHash('sha256').update('retag').digest('hex');
const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const log = new Logger(silentSink);

function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig({ env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' } });
  const t = fakeDeps(config, store);
  let seq = 0;
  const push = (region: string, tag: string) => {
    t.registry.hold(region, 'my-app', DIGEST);
    return receiveWebhook(
      t.deps,
      {
        region,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${++seq}`,
              timestamp: t.clock.now().toISOString(),
              digest: DIGEST,
              repository: 'my-app',
              tag,
            }),
          ),
        ),
      },
      log,
    );
  };
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      t.clock.advance(5);
      await reconcileAll(t.deps, log);
    }
  };
  return { ...t, store, push, settle };
}

describe('reaction delay', () => {
  it('when a digest replicated ten minutes ago is re-tagged, then the new release reports the reaction from its creation, not from the old replica signal', async () => {
    const t = setup();
    for (const region of REGIONS) await t.push(region, '1.0.0');
    await t.settle();

    t.clock.advance(600);
    const answer = await t.push('eastus', '1.0.1');
    const id = answer.body.releases?.[0];
    expect(id).toBeDefined();
    await t.settle();

    const view = await getReleaseView(t.deps, id!);
    expect(view?.tag).toBe('1.0.1');
    for (const r of view!.rollouts) {
      expect(r.state).toBe('succeeded');
      // The replica held the digest long before this release existed ...
      expect(Date.parse(r.replicaReadyAt!)).toBeLessThan(Date.parse(view!.createdAt));
      // ... so the reaction counts from createdAt: eastus started on the webhook itself, the
      // other wave after eastus succeeded (one poll plus the next timer run), never 600 s.
      expect(r.figures.reactionDelayMs).toBe(Date.parse(r.startedAt!) - Date.parse(view!.createdAt));
      expect(r.figures.reactionDelayMs).toBeLessThan(60_000);
    }
    expect(view!.rollouts.find((r) => r.region === 'eastus')!.figures.reactionDelayMs).toBe(0);
    // Invariants: the newest release runs everywhere, the ledger says so, one start per region.
    for (const region of REGIONS) {
      const [entry] = await t.store.listLedger(region);
      expect(entry?.releaseId).toBe(id);
      expect(entry?.digest).toBe(DIGEST);
      expect(entry?.inFlightReleaseId).toBeUndefined();
    }
    const starts = t.executor.started.map((s) => `${s.releaseId}|${s.region}`);
    expect(new Set(starts).size).toBe(starts.length);
  });

  it('when the replica became ready after the release was created, then the reaction counts from replicaReadyAt (status and notification figures agree)', () => {
    const release = { pushedAt: '2026-03-01T10:00:00.000Z', createdAt: '2026-03-01T10:00:00.050Z' };
    const r = {
      state: 'succeeded',
      replicaReadyAt: '2026-03-01T10:00:04.000Z',
      startedAt: '2026-03-01T10:00:04.020Z',
      finishedAt: '2026-03-01T10:00:05.000Z',
    } as RegionRollout;
    expect(rolloutFigures(release, r).reactionDelayMs).toBe(20);
    expect(regionFigures(release, r)?.reactionDelayMs).toBe(20);
    const retag = { ...release, createdAt: '2026-03-01T10:09:00.000Z' };
    const early = { ...r, replicaReadyAt: '2026-03-01T09:59:00.000Z', startedAt: '2026-03-01T10:09:00.013Z' };
    expect(rolloutFigures(retag, early).reactionDelayMs).toBe(13);
    expect(regionFigures(retag, early)?.reactionDelayMs).toBe(13);
    expect(rolloutFigures(retag, { ...early, replicaReadyAt: undefined }).reactionDelayMs).toBeNull();
  });
});
