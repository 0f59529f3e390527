// The operator routes against the local host, the ACR and AKS simulators and Azurite: each action's
// success, its 409 and its 400, each recorded in the audit with who did it, and the invariants at
// the end (the ledger equals what each cluster runs, one run command per attempt, nothing rolled
// back by accident). One stack, steps in order: each step builds on the releases before it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../dev/stack';
import type { ReleaseDetailView, ReleaseSummaryView } from '../../src/app/status/views';
import { releaseDone, releaseOf, rolloutReaches, until } from '../status/support';
import { IMAGE, call, ledgerMatchesClusters } from './support';

let stack: Stack;
const ids: Record<string, string> = {};
const digests: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack({
    rolloutMs: 100,
    pullFailureDelayMs: 100,
    reconcileEverySeconds: 1,
    policy: { maxAttempts: 1, approvalWaves: [1] },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

const releasePath = (tag: string, action: string) => `/api/releases/${ids[tag]}/${action}`;
const stateOf = (rel: ReleaseSummaryView | undefined, region: string) =>
  rel?.rollouts.find((r) => r.region === region);

async function push(tag: string, digest?: string): Promise<ReleaseSummaryView> {
  const p = stack.acr.push({ repository: 'my-app', tag, ...(digest ? { digest } : {}) });
  digests[tag] = p.digest;
  const rel = await until(`release of ${tag}`, async () => {
    const page = await stack.api<{ releases: ReleaseSummaryView[] }>('/api/releases?limit=100');
    return page.releases.find((r) => r.tag === tag);
  });
  ids[tag] = rel.id;
  return rel;
}

async function wave1Awaits(tag: string): Promise<void> {
  for (const region of ['westeurope', 'southeastasia'])
    await rolloutReaches(stack, digests[tag]!, region, (s) => s === 'awaiting-approval', 'awaits approval');
}

describe('operator routes', () => {
  it('when a request is malformed, then 400 names the field, 404 names the release, and nothing is recorded', async () => {
    const p = await push('0.9.0');
    await wave1Awaits('0.9.0');
    const cases: Array<[string, string, unknown, number, string | undefined]> = [
      ['POST', '/api/releases/not-an-id/retry', {}, 404, undefined],
      ['POST', '/api/releases/0000000000000-000000000000/pause', {}, 404, undefined],
      ['POST', releasePath('0.9.0', 'pause'), '{not json', 400, 'body'],
      ['POST', releasePath('0.9.0', 'pause'), [], 400, 'body'],
      ['POST', releasePath('0.9.0', 'pause'), { reason: 'x'.repeat(501) }, 400, 'reason'],
      ['POST', releasePath('0.9.0', 'pause'), { reason: 7 }, 400, 'reason'],
      ['POST', releasePath('0.9.0', 'pause'), { actor: 'mallory' }, 400, 'actor'],
      ['POST', releasePath('0.9.0', 'approve'), {}, 400, 'wave'],
      ['POST', releasePath('0.9.0', 'approve'), { wave: 'one' }, 400, 'wave'],
      ['POST', releasePath('0.9.0', 'retry'), { regions: 'eastus' }, 400, 'regions'],
      ['POST', releasePath('0.9.0', 'retry'), { regions: ['mars'] }, 400, 'regions'],
      ['POST', '/api/holds', {}, 400, 'region'],
      ['POST', '/api/holds', { region: 'mars' }, 400, 'region'],
      ['POST', '/api/holds', { region: 'eastus', workload: 'a;rm -rf /' }, 400, 'workload'],
      [
        'POST',
        '/api/holds',
        { region: 'eastus', workload: 'default/Deployment/other/other' },
        400,
        'workload',
      ],
      ['POST', '/api/rollbacks', { releaseId: '../etc' }, 400, 'releaseId'],
      ['POST', '/api/rollbacks', { releaseId: '0000000000000-000000000000' }, 404, undefined],
      ['DELETE', '/api/rejections?repository=my-app&digest=nope', undefined, 400, 'digest'],
      ['DELETE', '/api/rejections?repository=My_App&digest=' + p.digest, undefined, 400, 'repository'],
      ['DELETE', '/api/holds/h-0000000000000000', undefined, 404, undefined],
      ['GET', '/api/audit?limit=0', undefined, 400, undefined],
    ];
    for (const [method, path, body, status, field] of cases) {
      const a = await call(stack, method, path, body);
      expect(a.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      if (field) expect(a.body.field, path).toBe(field);
      expect(a.body.message, path).toMatch(field ? new RegExp(field) : /./);
    }
    expect((await call<{ entries: unknown[] }>(stack, 'GET', '/api/audit')).body.entries).toEqual([]);
    const rel = await releaseOf(stack, p.digest);
    expect(rel?.paused).toBeUndefined();
    expect((await call<{ holds: unknown[] }>(stack, 'GET', '/api/holds')).body.holds).toEqual([]);
    // Leave it finished for the next steps.
    expect((await call(stack, 'POST', releasePath('0.9.0', 'approve'), { wave: 1 })).status).toBe(200);
    await releaseDone(stack, p.digest);
  });

  it('when a release is paused, then its awaiting regions say "paused by" and start only after resume', async () => {
    await push('1.0.0');
    await wave1Awaits('1.0.0');
    const paused = await call<{ release: ReleaseDetailView }>(stack, 'POST', releasePath('1.0.0', 'pause'), {
      reason: 'checking dashboards',
    });
    expect(paused.status).toBe(200);
    expect(paused.body.release).toMatchObject({ paused: true, pausedBy: 'local' });
    expect(paused.body.release.pausedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const again = await call(stack, 'POST', releasePath('1.0.0', 'pause'), {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'conflict' });
    expect(again.body.message).toMatch(/already paused/);

    expect((await call(stack, 'POST', releasePath('1.0.0', 'approve'), { wave: 0 })).status).toBe(409);
    expect((await call(stack, 'POST', releasePath('1.0.0', 'approve'), { wave: 1 })).status).toBe(200);
    expect((await call(stack, 'POST', releasePath('1.0.0', 'approve'), { wave: 1 })).status).toBe(409);
    const held = await until('paused reason', async () => {
      const rel = await releaseOf(stack, digests['1.0.0']!);
      const r = stateOf(rel, 'westeurope');
      return r && /^paused by local/.test(r.reason) ? rel : undefined;
    });
    expect(stateOf(held, 'westeurope')?.state).toBe('replica-ready');
    expect(Object.values(stack.aks.images('aks-westeurope'))).toEqual([IMAGE(digests['0.9.0']!)]);

    expect((await call(stack, 'POST', releasePath('1.0.0', 'resume'), {})).status).toBe(200);
    const done = await releaseDone(stack, digests['1.0.0']!);
    expect(done.rollouts.every((r) => r.state === 'succeeded')).toBe(true);
    expect((await call(stack, 'POST', releasePath('1.0.0', 'resume'), {})).status).toBe(409);
    expect((await call(stack, 'POST', releasePath('1.0.0', 'pause'), {})).status).toBe(409);
    await ledgerMatchesClusters(stack);
  });

  it('when a region is held, then nothing starts there until the hold is lifted', async () => {
    const placed = await call<{ id: string; region: string; actor: string }>(stack, 'POST', '/api/holds', {
      region: 'southeastasia',
      reason: 'freeze',
    });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ region: 'southeastasia', actor: 'local' });
    expect(placed.body.id).toMatch(/^h-[0-9a-f]{16}$/);
    expect((await call(stack, 'POST', '/api/holds', { region: 'southeastasia' })).status).toBe(409);
    const listed = await call<{ holds: Array<{ id: string }> }>(stack, 'GET', '/api/holds');
    expect(listed.body.holds.map((h) => h.id)).toEqual([placed.body.id]);

    await push('1.1.0');
    await rolloutReaches(stack, digests['1.1.0']!, 'westeurope', (s) => s === 'awaiting-approval', 'awaits');
    expect((await call(stack, 'POST', releasePath('1.1.0', 'approve'), { wave: 1 })).status).toBe(200);
    await rolloutReaches(stack, digests['1.1.0']!, 'westeurope', (s) => s === 'succeeded', 'succeeds');
    const r = await until('held reason', async () => {
      const x = stateOf(await releaseOf(stack, digests['1.1.0']!), 'southeastasia');
      return x && /^held: southeastasia by local: freeze/.test(x.reason) ? x : undefined;
    });
    expect(r.state).toBe('replica-ready');
    expect(Object.values(stack.aks.images('aks-southeastasia'))).toEqual([IMAGE(digests['1.0.0']!)]);

    expect((await call(stack, 'DELETE', `/api/holds/${placed.body.id}`)).status).toBe(200);
    expect((await call(stack, 'DELETE', `/api/holds/${placed.body.id}`)).status).toBe(404);
    await releaseDone(stack, digests['1.1.0']!);
    expect(Object.values(stack.aks.images('aks-southeastasia'))).toEqual([IMAGE(digests['1.1.0']!)]);
    await ledgerMatchesClusters(stack);
  });

  it('when a region failed, then retry starts it over, and a retry that would roll back is refused', async () => {
    const real = stack.acr.holds;
    stack.aks.setReplicaHolds((region, repo, digest) => region !== 'eastus' && real(region, repo, digest));
    await push('1.2.0');
    await rolloutReaches(stack, digests['1.2.0']!, 'eastus', (s) => s === 'failed', 'fails');
    await rolloutReaches(stack, digests['1.2.0']!, 'westeurope', (s) => s === 'halted', 'halts');
    expect((await call(stack, 'POST', releasePath('1.1.0', 'retry'), {})).status).toBe(409);
    // Retrying only the halted region would halt it again at once: refused, naming eastus.
    const behind = await call(stack, 'POST', releasePath('1.2.0', 'retry'), { regions: ['westeurope'] });
    expect(behind.status).toBe(409);
    expect(behind.body.message).toMatch(
      /westeurope would halt again: retry eastus \(failed\) first or with it/,
    );
    stack.aks.setReplicaHolds(real);
    const retried = await call<{ retried: string[] }>(stack, 'POST', releasePath('1.2.0', 'retry'), {
      regions: ['eastus'],
      reason: 'pull fixed',
    });
    expect(retried.status).toBe(200);
    expect(retried.body.retried).toEqual(['eastus']);
    await rolloutReaches(stack, digests['1.2.0']!, 'eastus', (s) => s === 'succeeded', 'succeeds');
    // The halted wave 1: retry the rest (default: every retryable region), then approve it.
    const rest = await call<{ retried: string[] }>(stack, 'POST', releasePath('1.2.0', 'retry'), {});
    expect(rest.status).toBe(200);
    expect(rest.body.retried.sort()).toEqual(['southeastasia', 'westeurope']);
    await wave1Awaits('1.2.0');
    expect((await call(stack, 'POST', releasePath('1.2.0', 'approve'), { wave: 1 })).status).toBe(200);
    const done = await releaseDone(stack, digests['1.2.0']!);
    expect(done.rollouts.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect((await call(stack, 'POST', releasePath('1.2.0', 'retry'), { regions: ['eastus'] })).status).toBe(
      409,
    );
    // eastus ran 1.2.0 twice (the failed attempt, the retry); the other regions once.
    const cmds = stack.aks.runCommands().filter((c) => c.script.includes(digests['1.2.0']!));
    expect(cmds.filter((c) => c.cluster === 'aks-eastus')).toHaveLength(2);
    expect(cmds.filter((c) => c.cluster === 'aks-westeurope')).toHaveLength(1);
    expect(cmds.filter((c) => c.cluster === 'aks-southeastasia')).toHaveLength(1);

    // 1.1.0 failed nowhere, but were it failed: a region already on 1.2.0 must not go back.
    const older = await call(stack, 'POST', releasePath('1.1.0', 'retry'), { regions: ['eastus'] });
    expect(older.status).toBe(409);
    await ledgerMatchesClusters(stack);
  });

  it('when a failed release is overtaken, then its retry is refused because the region runs newer', async () => {
    const real = stack.acr.holds;
    stack.aks.setReplicaHolds((region, repo, digest) => region !== 'eastus' && real(region, repo, digest));
    await push('1.3.0');
    await rolloutReaches(stack, digests['1.3.0']!, 'eastus', (s) => s === 'failed', 'fails');
    await releaseDone(stack, digests['1.3.0']!);
    stack.aks.setReplicaHolds(real);
    await push('1.4.0');
    await wave1Awaits('1.4.0');
    expect((await call(stack, 'POST', releasePath('1.4.0', 'approve'), { wave: 1 })).status).toBe(200);
    await releaseDone(stack, digests['1.4.0']!);
    const refused = await call(stack, 'POST', releasePath('1.3.0', 'retry'), { regions: ['eastus'] });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/already runs newer release .*1\.4\.0.*rollback/);
    await ledgerMatchesClusters(stack);
  });

  it('when a release is canceled, then its pending regions end canceled and keep what they ran', async () => {
    await push('1.5.0');
    await wave1Awaits('1.5.0');
    const canceled = await call<{ canceled: string[] }>(stack, 'POST', releasePath('1.5.0', 'cancel'), {
      reason: 'not today',
    });
    expect(canceled.status).toBe(200);
    expect(canceled.body.canceled.sort()).toEqual(['southeastasia', 'westeurope']);
    const done = await releaseDone(stack, digests['1.5.0']!);
    expect(stateOf(done, 'westeurope')).toMatchObject({
      state: 'canceled',
      reason: 'canceled by local: not today',
    });
    expect((await call(stack, 'POST', releasePath('1.5.0', 'cancel'), {})).status).toBe(409);
    expect(Object.values(stack.aks.images('aks-westeurope'))).toEqual([IMAGE(digests['1.4.0']!)]);
    await ledgerMatchesClusters(stack);
  });

  it('when a digest is rejected, then a later push of it is recorded but never rolled out, until unrejected', async () => {
    await push('1.6.0');
    await wave1Awaits('1.6.0');
    const rejected = await call(stack, 'POST', releasePath('1.6.0', 'reject'), { reason: 'bad build' });
    expect(rejected.status).toBe(200);
    expect((await call(stack, 'POST', releasePath('1.6.0', 'reject'), {})).status).toBe(409);
    const list = await call<{ rejections: Array<{ digest: string; actor: string }> }>(
      stack,
      'GET',
      '/api/rejections',
    );
    expect(list.body.rejections).toEqual([
      expect.objectContaining({ digest: digests['1.6.0'], actor: 'local' }),
    ]);
    const rollback = await call(stack, 'POST', '/api/rollbacks', { releaseId: ids['1.6.0'] });
    expect(rollback.status).toBe(409);

    const again = await push('1.6.1', digests['1.6.0']);
    const done = await releaseDone(stack, again.digest);
    for (const r of done.rollouts) {
      expect(r.state, r.region).toBe('canceled');
      expect(r.reason).toMatch(
        /^not rolled out: digest sha256:[0-9a-f]{64} of my-app was rejected by local .*: bad build$/,
      );
    }
    for (const region of stack.regions)
      expect(
        stack.aks
          .runCommands()
          .some(
            (c) => c.cluster === `aks-${region}` && c.script.includes(again.digest) && region !== 'eastus',
          ),
      ).toBe(false);

    const path = `/api/rejections?repository=my-app&digest=${encodeURIComponent(again.digest)}`;
    expect((await call(stack, 'DELETE', path)).status).toBe(200);
    expect((await call(stack, 'DELETE', path)).status).toBe(404);
    expect((await call<{ rejections: unknown[] }>(stack, 'GET', '/api/rejections')).body.rejections).toEqual(
      [],
    );
    await ledgerMatchesClusters(stack);
  });

  it('when an older release is rolled back to, then a new operator release puts its digest everywhere', async () => {
    const answer = await call<{ release: ReleaseDetailView }>(stack, 'POST', '/api/rollbacks', {
      releaseId: ids['1.2.0'],
      reason: 'back to 1.2.0',
    });
    expect(answer.status).toBe(202);
    const rel = answer.body.release;
    expect(rel).toMatchObject({
      source: 'operator',
      tag: '1.2.0',
      digest: digests['1.2.0'],
      rollbackOf: ids['1.2.0'],
    });
    expect(rel.id).not.toBe(ids['1.2.0']);
    expect(Date.parse(rel.pushedAt)).toBeGreaterThan(
      Date.parse((await releaseOf(stack, digests['1.6.0']!))!.pushedAt),
    );
    await until('rollback wave 1 awaits', async () => {
      const d = await stack.api<ReleaseDetailView>(`/api/releases/${rel.id}`);
      return d.rollouts.filter((r) => r.state === 'awaiting-approval').length === 2 ? d : undefined;
    });
    expect((await call(stack, 'POST', `/api/releases/${rel.id}/approve`, { wave: 1 })).status).toBe(200);
    await until('rollback done', async () => {
      const d = await stack.api<ReleaseDetailView>(`/api/releases/${rel.id}`);
      return d.status === 'done' ? d : undefined;
    });
    const detail = await stack.api<ReleaseDetailView>(`/api/releases/${rel.id}`);
    expect(detail.rollouts.map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    for (const region of stack.regions)
      expect(Object.values(stack.aks.images(`aks-${region}`)), region).toEqual([IMAGE(digests['1.2.0']!)]);
    await ledgerMatchesClusters(stack);
  });

  it('then the audit lists every applied and refused action newest first, with who did it, paged', async () => {
    // Without Easy Auth the principal header is whatever the caller sent: it names nobody.
    const alice = await call(
      stack,
      'POST',
      '/api/holds',
      { region: 'eastus' },
      { 'x-ms-client-principal-name': 'alice@contoso.com' },
    );
    expect(alice.status).toBe(201);
    const all = await call<{ entries: Array<Record<string, unknown>> }>(stack, 'GET', '/api/audit?limit=100');
    const entries = all.body.entries;
    expect(entries[0]).toMatchObject({
      action: 'hold',
      actor: 'local',
      region: 'eastus',
      outcome: 'applied',
    });
    expect(JSON.stringify(entries)).not.toContain('alice@contoso.com');
    // Written before each change, completed after it: none is left pending.
    expect(entries.filter((e) => e.outcome === 'pending')).toEqual([]);
    const at = entries.map((e) => Date.parse(e.at as string));
    expect([...at].sort((a, b) => b - a)).toEqual(at);
    const actions = new Set(entries.map((e) => e.action));
    for (const a of [
      'retry',
      'pause',
      'resume',
      'approve',
      'cancel',
      'reject',
      'unreject',
      'hold',
      'unhold',
      'rollback',
    ])
      expect(actions.has(a), a).toBe(true);
    expect(entries.some((e) => e.action === 'pause' && String(e.outcome).startsWith('refused: '))).toBe(true);
    expect(entries.find((e) => e.action === 'pause' && e.outcome === 'applied')).toMatchObject({
      actor: 'local',
      releaseId: ids['1.0.0'],
      reason: 'checking dashboards',
    });
    const first = await call<{ entries: unknown[]; continuationToken?: string }>(
      stack,
      'GET',
      '/api/audit?limit=3',
    );
    expect(first.body.entries).toEqual(entries.slice(0, 3));
    const second = await call<{ entries: unknown[] }>(
      stack,
      'GET',
      `/api/audit?limit=3&continuationToken=${encodeURIComponent(first.body.continuationToken!)}`,
    );
    expect(second.body.entries).toEqual(entries.slice(3, 6));
  });
});
