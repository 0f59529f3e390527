// Gates at the claim, through the product's own routes (the local host, the ACR and AKS
// simulators, Azurite): the report's race (approve wave 1 and pause the release at once) never
// starts a region after the pause's pausedAt, and concurrent holds on one region leave exactly
// one hold (the others 409 naming it), which one lift removes. Invariants at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../dev/stack';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { releaseDone, releaseOf, rolloutReaches, until } from '../status/support';
import { IMAGE, call, ledgerMatchesClusters } from './support';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    rolloutMs: 100,
    pullFailureDelayMs: 100,
    reconcileEverySeconds: 1,
    // Replication is not what these tests are about: short, so each round is quick.
    defaultDelayMs: 50,
    policy: { maxAttempts: 1, approvalWaves: [1] },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

async function awaitingApproval(tag: string): Promise<{ id: string; digest: string }> {
  const { digest } = stack.acr.push({ repository: 'my-app', tag });
  for (const region of ['westeurope', 'southeastasia'])
    await rolloutReaches(stack, digest, region, (s) => s === 'awaiting-approval', 'awaits approval');
  const rel = await releaseOf(stack, digest);
  return { id: rel!.id, digest };
}

describe('gates checked at the claim', () => {
  it('when wave 1 is approved and the release paused at the same moment, then no region starts after pausedAt; resumed, it finishes', async () => {
    const rounds = 3;
    let startedBefore = 0;
    for (let k = 0; k < rounds; k++) {
      const { id, digest } = await awaitingApproval(`3.${k}.0`);
      const [approved, paused] = await Promise.all([
        call(stack, 'POST', `/api/releases/${id}/approve`, { wave: 1 }),
        call<{ release: ReleaseDetailView }>(stack, 'POST', `/api/releases/${id}/pause`, { reason: 'race' }),
      ]);
      expect(approved.status).toBe(200);
      expect(paused.status).toBe(200);
      const pausedAt = Date.parse(paused.body.release.pausedAt!);
      // Let the reconciler run on (timer ticks, the approval's nudge, queue wake-ups).
      await stack.host.runTimers();
      await stack.host.runTimers();
      const detail = await stack.api<ReleaseDetailView>(`/api/releases/${id}`);
      for (const r of detail.rollouts.filter((x) => x.wave === 1)) {
        if (r.startedAt) {
          startedBefore++;
          expect(Date.parse(r.startedAt), `${r.region} started after the pause`).toBeLessThanOrEqual(
            pausedAt,
          );
        } else expect(r.reason, r.region).toMatch(/^paused by local/);
      }
      expect((await call(stack, 'POST', `/api/releases/${id}/resume`, {})).status).toBe(200);
      await releaseDone(stack, digest);
    }
    // Either outcome of the race is fine; what never happens is a start after the pause answered.
    expect(startedBefore).toBeLessThanOrEqual(rounds * 2);
    await ledgerMatchesClusters(stack);
  }, 180_000); // rounds of whole releases: generous for a loaded 2-core machine

  it('when six holds on one region are posted at once, then exactly one is placed, the others are 409 naming it, and one lift clears the region', async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call<{ id?: string }>(stack, 'POST', '/api/holds', { region: 'westeurope', reason: `try ${i}` }),
      ),
    );
    const placed = answers.filter((a) => a.status === 201);
    expect(placed).toHaveLength(1);
    const id = placed[0]!.body.id!;
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(5);
    for (const r of refused)
      expect(r.body.message).toContain(`westeurope is already held (hold ${id} by local`);
    const listed = await call<{ holds: Array<{ id: string }> }>(stack, 'GET', '/api/holds');
    expect(listed.body.holds.map((h) => h.id)).toEqual([id]);
    const audit = await call<{ entries: Array<{ action: string; outcome: string }> }>(
      stack,
      'GET',
      '/api/audit?limit=20',
    );
    const holdEntries = audit.body.entries.filter((e) => e.action === 'hold').slice(0, 6);
    expect(holdEntries.filter((e) => e.outcome === 'applied')).toHaveLength(1);
    expect(
      holdEntries.filter((e) => e.outcome.startsWith('refused: westeurope is already held')),
    ).toHaveLength(5);

    // While held, a push starts nowhere in westeurope; one lift and it goes ahead.
    const { id: rel, digest } = await awaitingApproval('4.0.0');
    expect((await call(stack, 'POST', `/api/releases/${rel}/approve`, { wave: 1 })).status).toBe(200);
    await rolloutReaches(stack, digest, 'southeastasia', (s) => s === 'succeeded', 'succeeds');
    const held = await until('held reason', async () => {
      const r = (await releaseOf(stack, digest))?.rollouts.find((x) => x.region === 'westeurope');
      return r && /^held: westeurope by local/.test(r.reason) ? r : undefined;
    });
    expect(held.state).toBe('replica-ready');
    expect((await call(stack, 'DELETE', `/api/holds/${id}`)).status).toBe(200);
    expect((await call<{ holds: unknown[] }>(stack, 'GET', '/api/holds')).body.holds).toEqual([]);
    await releaseDone(stack, digest);
    for (const region of stack.regions)
      expect(Object.values(stack.aks.images(`aks-${region}`)), region).toEqual([IMAGE(digest)]);
    await ledgerMatchesClusters(stack);
  }, 180_000);
});
