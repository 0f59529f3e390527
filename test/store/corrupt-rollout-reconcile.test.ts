// What the timer run does with corrupt rows (Table store on Azurite, faked registry/executor):
// a corrupt rollout fails that release only (logged with table, keys and field, counted as an
// error, row left as found); a corrupt active entry is logged and skipped; other releases advance.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { writeOutPending } from '../support/write-out';
import { testConfig } from '../support/config';
import { pushPayload } from '../support/acr-payloads';
import { fakeDeps } from '../support/fakes';
import { storeOnFreshTables } from './support';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const REPOS = ['my-app', 'other-app'];
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

async function twoReleases() {
  const env = storeOnFreshTables();
  const config = testConfig({
    workloads: REPOS.map((r) => ({
      repository: r,
      tags: ['*'],
      namespace: 'default',
      kind: 'Deployment',
      name: r,
      container: r,
    })),
  });
  const { clock, registry, executor, deps } = fakeDeps(config, env.store);
  const errors: string[] = [];
  const sink: LogSink = { info: () => {}, warn: () => {}, error: (m) => errors.push(m) };
  const log = new Logger(sink);
  for (const repository of REPOS) {
    const digest = digestOf(repository);
    for (const region of REGIONS) registry.hold(region, repository, digest);
    const res = await receiveWebhook(
      deps,
      {
        region: 'eastus',
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${repository}`,
              timestamp: clock.now().toISOString(),
              digest,
              repository,
              tag: '1',
            }),
          ),
        ),
      },
      log,
    );
    expect(res.status).toBe(202);
  }
  await writeOutPending(deps); // what their first wake-ups do
  const active = await env.store.listActiveReleases();
  const idOf = (repository: string) => active.find((a) => a.repository === repository)!.releaseId;
  return { ...env, deps, executor, log, errors, broken: idOf('my-app'), healthy: idOf('other-app') };
}

describe('reconcile with corrupt rows', () => {
  it('a corrupt rollout row fails that release only: logged by field, counted, the others advance', async () => {
    const t = await twoReleases();
    const rowKey = `rollout~${t.broken}`;
    await t.rewrite('regions', 'westeurope', rowKey, (row) => (row.workloads = 'not json'));

    const summary = await reconcileAll(t.deps, t.log, { scan: false });

    expect(summary.errors).toBeGreaterThanOrEqual(1);
    const logged = t.errors.map((m) => JSON.parse(m) as { releaseId?: string; error?: string });
    const about = logged.find((l) => l.releaseId === t.broken);
    expect(about?.error).toContain('workloads');
    expect(about?.error).toContain(rowKey);
    expect(about?.error).toContain(`${t.at.prefix}regions`);
    // The healthy release started its first wave (the home region); the broken one started
    // nowhere, not even in its readable regions (no release is advanced with a rollout left out).
    expect(t.executor.started.filter((s) => s.releaseId === t.healthy).map((s) => s.region)).toEqual([
      'eastus',
    ]);
    expect(t.executor.started.filter((s) => s.releaseId === t.broken)).toEqual([]);
    // Nothing was "repaired" into a default: the row is as the bad writer left it, still active.
    expect((await t.read('regions', 'westeurope', rowKey)).workloads).toBe('not json');
    expect((await t.store.getRelease(t.broken))?.status).toBe('active');
  });

  it('a rollout without state does not end the run or the release; it is reported each run', async () => {
    const t = await twoReleases();
    await t.rewrite('regions', 'eastus', `rollout~${t.broken}`, (row) => delete row.state);
    const first = await reconcileAll(t.deps, t.log, { scan: false });
    const second = await reconcileAll(t.deps, t.log, { scan: false });
    expect(first.errors).toBeGreaterThanOrEqual(1);
    expect(second.errors).toBeGreaterThanOrEqual(1);
    expect(t.errors.filter((m) => m.includes(`rollout~${t.broken}`) && m.includes('state'))).toHaveLength(2);
    expect((await t.store.listActiveReleases()).map((a) => a.releaseId)).toContain(t.broken);
  });

  it('a corrupt active entry is logged and skipped; the rest of the run goes on', async () => {
    const t = await twoReleases();
    const rowKey = `my-app~${t.broken}`;
    await t.rewrite('releases', 'active', rowKey, (row) => delete row.pushedAt);

    const summary = await reconcileAll(t.deps, t.log, { scan: false });

    expect(summary.errors).toBeGreaterThanOrEqual(1);
    expect(summary.active).toBe(1);
    const logged = t.errors.map((m) => JSON.parse(m) as { event: string; rowKey?: string; error?: string });
    expect(logged).toContainEqual(
      expect.objectContaining({
        event: 'release.corrupt-active-entry',
        rowKey,
        error: expect.stringContaining('pushedAt'),
      }),
    );
    expect(t.executor.started.filter((s) => s.releaseId === t.healthy).map((s) => s.region)).toEqual([
      'eastus',
    ]);
    expect(t.executor.started.filter((s) => s.releaseId === t.broken)).toEqual([]);
  });
});
