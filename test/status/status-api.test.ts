// The status API over HTTP through the local host, after real rollouts on the ACR and AKS
// simulators with Table Storage on Azurite: list and paging, filters, detail with the derived
// figures, the ledger, and the 404/400 answers (which leave the store as it was).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../dev/stack';
import type { LedgerView } from '../../src/app/status/ledger';
import type { ReleasesPageView } from '../../src/app/status/releases';
import type { ReleaseDetailView } from '../../src/app/status/views';
import { quietTimerStep, releaseDone, rolloutReaches } from './support';

const MY_APP = 'default/Deployment/my-app/my-app';
const BILLING_API = 'billing/Deployment/api/api';

let stack: Stack;
let emptyList: ReleasesPageView;
let emptyLedger: LedgerView;
const digests = { v100: '', v110: '', billing: '' };
const ids = { v100: '', v110: '', billing: '' };

interface ErrorBody {
  error: string;
  id?: string;
  parameter?: string;
  message: string;
  problems?: Array<{ parameter: string; message: string }>;
}

async function get(path: string): Promise<{ status: number; body: ErrorBody; type: string | null }> {
  const res = await fetch(`${stack.host.url}${path}`);
  return { status: res.status, body: (await res.json()) as ErrorBody, type: res.headers.get('content-type') };
}

/** Follows continuation tokens from `first` to the end; returns every page. */
async function allPages(path: string): Promise<ReleasesPageView[]> {
  const pages: ReleasesPageView[] = [];
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await stack.api<ReleasesPageView>(
      token ? `${path}${sep}continuationToken=${encodeURIComponent(token)}` : path,
    );
    pages.push(page);
    token = page.continuationToken;
    if (pages.length > 20) throw new Error('paging did not end');
  } while (token);
  return pages;
}

beforeAll(async () => {
  stack = await startStack({
    delays: { westeurope: 200, southeastasia: 400 },
    rolloutMs: 100,
    pullFailureDelayMs: 100,
    // The test steps the timers itself, only while no webhook is in flight (quietTimerStep): a
    // scheduled run could otherwise check a replica that landed before its webhook was processed
    // (under load), and the region would say 'check' where this test asserts 'webhook'.
    timers: false,
    workloads: [
      { repository: 'my-app', name: 'my-app' },
      { repository: 'billing/api', namespace: 'billing', name: 'api' },
    ],
  });
  emptyList = await stack.api<ReleasesPageView>('/api/releases');
  emptyLedger = await stack.api<LedgerView>('/api/ledger');

  // 1.0.0 cannot reach southeastasia (its replication is held) until 1.1.0 was planned, so 1.0.0
  // waits there for 1.1.0 (pending behind its wave 0), ends superseded once 1.1.0 rolls out
  // there, and never runs there: deterministic, whatever the timing.
  let stuck = ['southeastasia'];
  // The home region's webhook is answered before any replica lands, so it announces the release
  // (a westeurope delivery 200 ms later could otherwise overtake it on a loaded machine).
  const push = async (repository: string, tag: string) => {
    stack.acr.setFaults({ stuckRegions: stack.regions.filter((r) => r !== stack.home) });
    const digest = stack.acr.push({ repository, tag }).digest;
    await stack.acr.deliveriesSettled();
    stack.acr.setFaults({ stuckRegions: stuck });
    return digest;
  };
  digests.v100 = await push('my-app', '1.0.0');
  const step = () => quietTimerStep(stack);
  await rolloutReaches(stack, digests.v100, 'westeurope', (s) => s === 'succeeded', 'succeeds', step);
  digests.v110 = await push('my-app', '1.1.0');
  await rolloutReaches(
    stack,
    digests.v110,
    'southeastasia',
    (s) => s === 'waiting-for-replica',
    'is planned',
    step,
  );
  stuck = [];
  stack.acr.setFaults({ stuckRegions: stuck });
  await rolloutReaches(
    stack,
    digests.v100,
    'southeastasia',
    (s) => s === 'superseded',
    'is superseded',
    step,
  );
  await releaseDone(stack, digests.v110, step);
  digests.billing = await push('billing/api', '2.0.0');
  await releaseDone(stack, digests.billing, step);
  await releaseDone(stack, digests.v100, step);

  const all = await stack.api<ReleasesPageView>('/api/releases');
  const idOf = (d: string) => all.releases.find((r) => r.digest === d)!.id;
  ids.v100 = idOf(digests.v100);
  ids.v110 = idOf(digests.v110);
  ids.billing = idOf(digests.billing);
}, 180_000);

afterAll(async () => stack?.stop());

describe('GET /api/releases', () => {
  it('when nothing was pushed yet, then the list is empty and has no continuation token', () => {
    expect(emptyList).toEqual({ releases: [] });
  });

  it('when releases exist, then they come newest first, each with a per-region summary for the grid', async () => {
    const page = await stack.api<ReleasesPageView>('/api/releases');
    expect(page.releases.map((r) => r.id)).toEqual([ids.billing, ids.v110, ids.v100]);
    expect(page.continuationToken).toBeUndefined();

    const v100 = page.releases.find((r) => r.id === ids.v100)!;
    expect(v100).toMatchObject({
      repository: 'my-app',
      tag: '1.0.0',
      digest: digests.v100,
      source: 'webhook',
      announcedBy: 'eastus',
      status: 'done',
      regions: ['eastus', 'westeurope', 'southeastasia'],
    });
    expect(v100.rollouts.map((r) => [r.region, r.wave, r.state])).toEqual([
      ['eastus', 0, 'succeeded'],
      ['westeurope', 1, 'succeeded'],
      ['southeastasia', 1, 'superseded'],
    ]);
    for (const r of v100.rollouts) {
      // startedAt only where it started (the page splits the reaction delay by its waits).
      expect(Object.keys(r).sort()).toEqual([
        'attempts',
        'figures',
        'reason',
        'region',
        'resends',
        ...(r.state === 'succeeded' ? ['startedAt'] : []),
        'state',
        'updatedAt',
        'wave',
      ]);
      expect(r.reason).not.toBe('');
    }
    expect(v100.rollouts[2]!.reason).toContain(ids.v110);
    // It never started there. Whether its replica was seen first (a lag) depends on which of the
    // two southeastasia webhooks (1.0.0's, 1.1.0's: they land together) is processed first: when
    // 1.1.0's nudge has already claimed its start there, 1.0.0 ends superseded at once, unready.
    const { replicationLagMs, ...rest } = v100.rollouts[2]!.figures;
    expect(rest).toEqual({ reactionDelayMs: null, rolloutDurationMs: null });
    expect(replicationLagMs === null || replicationLagMs >= 0).toBe(true);
  });

  it('when a limit is given, then pages follow the continuation token to the end without gaps or repeats', async () => {
    const pages = await allPages('/api/releases?limit=1');
    const seen = pages.flatMap((p) => p.releases.map((r) => r.id));
    expect(seen).toEqual([ids.billing, ids.v110, ids.v100]);
    expect(pages[0]!.releases).toHaveLength(1);
    expect(pages[0]!.continuationToken).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(pages.at(-1)!.continuationToken).toBeUndefined();

    const two = await allPages('/api/releases?limit=2');
    expect(two.map((p) => p.releases.length)).toEqual([2, 1]);
  });

  it('when filtered by repository, then only that repository’s releases come back (nested paths too)', async () => {
    const mine = await stack.api<ReleasesPageView>('/api/releases?repository=my-app');
    expect(mine.releases.map((r) => r.id)).toEqual([ids.v110, ids.v100]);
    const billing = await stack.api<ReleasesPageView>(
      `/api/releases?repository=${encodeURIComponent('billing/api')}`,
    );
    expect(billing.releases.map((r) => r.id)).toEqual([ids.billing]);
    const none = await stack.api<ReleasesPageView>('/api/releases?repository=nothing-here');
    expect(none.releases).toEqual([]);
  });

  it('when filtered by state, then release status and region states both select, and paging still works', async () => {
    const ofState = async (state: string) =>
      (await allPages(`/api/releases?state=${state}&limit=1`)).flatMap((p) => p.releases.map((r) => r.id));
    expect(await ofState('done')).toEqual([ids.billing, ids.v110, ids.v100]);
    expect(await ofState('active')).toEqual([]);
    expect(await ofState('superseded')).toEqual([ids.v100]);
    expect(await ofState('succeeded')).toEqual([ids.billing, ids.v110, ids.v100]);
    expect(await ofState('failed')).toEqual([]);
    const both = await stack.api<ReleasesPageView>('/api/releases?state=superseded&repository=my-app');
    expect(both.releases.map((r) => r.id)).toEqual([ids.v100]);
    // Empty values mean "not given"; Azure's `code` key is ignored.
    const blank = await stack.api<ReleasesPageView>('/api/releases?repository=&state=&limit=&code=abc');
    expect(blank.releases).toHaveLength(3);
  });
});

describe('GET /api/releases/{id}', () => {
  it('when the release rolled out, then each region shows its timestamps, readiness source, command, logs and consistent figures', async () => {
    const d = await stack.api<ReleaseDetailView>(`/api/releases/${ids.v110}`);
    expect(d).toMatchObject({
      id: ids.v110,
      repository: 'my-app',
      tag: '1.1.0',
      digest: digests.v110,
      status: 'done',
    });
    expect(d.completedAt).toBeDefined();
    expect(d.rollouts.map((r) => r.region)).toEqual(['eastus', 'westeurope', 'southeastasia']);
    const commandIds = new Set<string>();
    for (const r of d.rollouts) {
      expect(r.state, `${r.region}: ${r.reason}`).toBe('succeeded');
      expect(r.replicaReadySource).toBe('webhook');
      expect(r.attempts).toBe(1);
      expect(r.workloads).toEqual([MY_APP]);
      expect(r.commandId).toMatch(/^[0-9a-f]{8,}$/);
      commandIds.add(r.commandId!);
      expect(r.logsTail).toContain('successfully rolled out');
      expect(r.lastError).toBeUndefined();
      for (const t of [r.createdAt, r.updatedAt, r.replicaReadyAt, r.startedAt, r.finishedAt])
        expect(Number.isNaN(Date.parse(t!))).toBe(false);
      // The figures are exactly the differences of the timestamps shown next to them.
      expect(r.figures.replicationLagMs).toBe(
        Math.max(0, Date.parse(r.replicaReadyAt!) - Date.parse(d.pushedAt)),
      );
      // Reaction: from the later of replicaReadyAt and the release's createdAt .
      const ready = Math.max(Date.parse(r.replicaReadyAt!), Date.parse(d.createdAt));
      expect(r.figures.reactionDelayMs).toBe(Date.parse(r.startedAt!) - ready);
      expect(r.figures.rolloutDurationMs).toBe(Date.parse(r.finishedAt!) - Date.parse(r.startedAt!));
      expect(r).not.toHaveProperty('etag');
      expect(r).not.toHaveProperty('handle');
    }
    expect(commandIds.size).toBe(3);
    // southeastasia only got 1.1.0 once its replication was released: a real lag, above the others.
    const lag = (region: string) => d.rollouts.find((r) => r.region === region)!.figures.replicationLagMs!;
    expect(lag('southeastasia')).toBeGreaterThan(lag('eastus'));
  });

  it('when a region was superseded, then it says by which release and has no start or duration', async () => {
    const d = await stack.api<ReleaseDetailView>(`/api/releases/${ids.v100}`);
    const sea = d.rollouts.find((r) => r.region === 'southeastasia')!;
    expect(sea.state).toBe('superseded');
    expect(sea.reason).toContain(ids.v110);
    expect(sea.startedAt).toBeUndefined();
    expect(sea.commandId).toBeUndefined();
    expect(sea.skippedWorkloads).toEqual([MY_APP]);
    expect(sea.finishedAt).toBeDefined();
    expect(sea.figures.rolloutDurationMs).toBeNull();
  });

  it('when the id is unknown or malformed, then 404 JSON names it', async () => {
    for (const id of ['8204255882827-000000000000', 'not-a-release', '1234']) {
      const res = await get(`/api/releases/${encodeURIComponent(id)}`);
      expect(res.status).toBe(404);
      expect(res.type).toContain('application/json');
      expect(res.body).toMatchObject({ error: 'not-found', id });
      expect(res.body.message).toContain(id);
    }
  });
});

describe('GET /api/ledger', () => {
  it('when nothing was rolled out yet, then every configured workload is listed with no digest', () => {
    expect(emptyLedger.regions.map((r) => r.region)).toEqual(['eastus', 'westeurope', 'southeastasia']);
    for (const r of emptyLedger.regions) {
      expect(r.workloads.map((w) => w.workload)).toEqual([MY_APP, BILLING_API]);
      for (const w of r.workloads)
        expect(w).toMatchObject({ digest: null, tag: null, releaseId: null, inFlight: null });
    }
  });

  it('when releases finished, then each region and workload shows the digest running, its tag and the release that put it there', async () => {
    const ledger = await stack.api<LedgerView>('/api/ledger');
    expect(ledger.regions.map((r) => [r.region, r.wave])).toEqual([
      ['eastus', 0],
      ['westeurope', 1],
      ['southeastasia', 1],
    ]);
    for (const r of ledger.regions) {
      const app = r.workloads.find((w) => w.workload === MY_APP)!;
      expect(app).toMatchObject({
        repository: 'my-app',
        digest: digests.v110,
        tag: '1.1.0',
        releaseId: ids.v110,
        inFlight: null,
        configured: true,
      });
      expect(Number.isNaN(Date.parse(app.updatedAt!))).toBe(false);
      const billing = r.workloads.find((w) => w.workload === BILLING_API)!;
      expect(billing).toMatchObject({
        repository: 'billing/api',
        digest: digests.billing,
        tag: '2.0.0',
        releaseId: ids.billing,
      });
      // The ledger says what the clusters really run.
      const images = stack.aks.images(`aks-${r.region}`);
      expect(images[MY_APP]).toBe(`myregistry.azurecr.io/my-app@${digests.v110}`);
      expect(images[BILLING_API]).toBe(`myregistry.azurecr.io/billing/api@${digests.billing}`);
    }
    expect(stack.aks.pullFailures()).toBe(0);
  });
});

describe('bad queries', () => {
  const cases: Array<[string, string]> = [
    ['limit=0', 'limit'],
    ['limit=1000', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['state=bogus', 'state'],
    ['state=SUCCEEDED', 'state'],
    ['repository=My-App', 'repository'],
    ['repository=a//b', 'repository'],
    [`repository=${encodeURIComponent("x' or 'a' eq 'a")}`, 'repository'],
    ['continuationToken=%25%25%25', 'continuationToken'],
    ['continuationToken=bm90IGpzb24', 'continuationToken'], // base64url of "not json"
    [`continuationToken=${Buffer.from('{"x":1}').toString('base64url')}`, 'continuationToken'],
    [`continuationToken=${Buffer.from('[1,2]').toString('base64url')}`, 'continuationToken'],
  ];

  it('when a parameter is invalid, then 400 names it, and the store is unchanged', async () => {
    const snapshot = async () => ({
      list: await stack.api('/api/releases?limit=100'),
      details: await Promise.all(Object.values(ids).map((id) => stack.api(`/api/releases/${id}`))),
      ledger: await stack.api('/api/ledger'),
      runCommands: stack.aks.runCommands().length,
    });
    const before = await snapshot();
    for (const [query, parameter] of cases) {
      const res = await get(`/api/releases?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.type).toContain('application/json');
      expect(res.body, query).toMatchObject({ error: 'bad-request', parameter });
      expect(res.body.message, query).toContain(parameter);
    }
    const many = await get('/api/releases?limit=0&state=nope');
    expect(many.body.problems?.map((p) => p.parameter).sort()).toEqual(['limit', 'state']);
    expect(await snapshot()).toEqual(before);
  });

  it('when the limit is at its bounds, then it is accepted', async () => {
    expect((await get('/api/releases?limit=1')).status).toBe(200);
    const res = await fetch(`${stack.host.url}/api/releases?limit=100`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as ReleasesPageView).releases).toHaveLength(3);
  });
});
