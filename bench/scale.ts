// Scale benchmark: does a reconcile run cost what is active, or what is history? Two identical
// installations (10 regions, 100 active releases = 1,000 active region rollouts, the releases
// sharing 10 digests), one of them with 100,000 finished releases of history seeded straight
// into its tables. The same reconcile runs on both; we count wall time, Table operations,
// registry calls and ARM calls, and compare.
import { randomBytes } from 'node:crypto';
import { TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { AcrSimulator } from '../dev/acr-simulator';
import { AksSimulator } from '../dev/aks-simulator';
import { startAzurite, type AzuriteHandle } from '../dev/azurite';
import { STACK_TOKEN, stackClusterId, OLD_DIGEST } from '../dev/stack';
import { buildDeps, type AppDeps } from '../src/app/composition';
import { parseConfig } from '../src/app/config/schema';
import { Logger, silentSink } from '../src/app/platform/logger';
import { planRelease } from '../src/app/intake/plan-release';
import { writeOutRelease } from '../src/app/intake/pending-release';
import { reconcileAll, type RunSummary } from '../src/app/rollout/reconcile-all';
import { makeReleaseId } from '../src/core/intake/release-id';
import { REGION_POOL } from './reaction';
import { markdownTable, ratio, textTable, type Row } from './support/report';

export interface ScaleOptions {
  regions?: number;
  repositories?: number;
  tagsPerRepository?: number;
  history?: number;
  progress?: (line: string) => void;
}

export interface RunFigures {
  wallMs: number;
  tableOps: number;
  registryRequests: number;
  tokenRequests: number;
  armRequests: number;
  runCommands: number;
  /** HEAD/GET manifest requests the ACR simulator served (all regions). */
  manifestChecks: number;
  summary: RunSummary;
}

export interface ScaleReport {
  regions: number;
  activeReleases: number;
  activeRollouts: number;
  digests: number;
  history: number;
  historyDescription: string;
  seedMs: number;
  runs: Array<{ label: string; noHistory: RunFigures; history: RunFigures }>;
}

const PREFIX = 'rollout';

interface Env {
  azurite: AzuriteHandle;
  acr: AcrSimulator;
  aks: AksSimulator;
  deps: AppDeps;
  stop(): Promise<void>;
}

async function startEnv(regions: string[], repos: number, tags: number): Promise<Env> {
  const azurite = await startAzurite({ inMemory: true });
  // Every non-home replica is stuck: its rollouts keep waiting, so each run re-checks them all.
  const acr = await AcrSimulator.start({
    regions,
    home: regions[0]!,
    defaultDelayMs: 0,
    faults: { stuckRegions: regions.slice(1) },
  });
  const workloads: Array<{
    repository: string;
    tags: string[];
    namespace: string;
    kind: 'Deployment';
    name: string;
    container: string;
  }> = [];
  for (let r = 0; r < repos; r++)
    for (let t = 0; t < tags; t++)
      workloads.push({
        repository: `app-${r}`,
        tags: [`t${t}`],
        namespace: 'default',
        kind: 'Deployment' as const,
        name: `app-${r}-t${t}`,
        container: 'main',
      });
  const aks = await AksSimulator.start({
    token: STACK_TOKEN,
    replicaHolds: acr.holds,
    rolloutMs: 50,
    pullFailureDelayMs: 50,
    clusters: regions.map((region) => ({
      resourceId: stackClusterId(region),
      region,
      workloads: workloads.map((w) => ({
        namespace: w.namespace,
        kind: w.kind,
        name: w.name,
        containers: [{ name: 'main', image: `${acr.loginServer}/${w.repository}@${OLD_DIGEST}` }],
      })),
    })),
  });
  const config = {
    registry: {
      loginServer: acr.loginServer,
      homeRegion: regions[0],
      endpoint: acr.endpoint,
      regionalEndpoint: acr.regionalEndpoint,
    },
    regions: regions.map((name) => ({ name, cluster: stackClusterId(name), access: 'run-command' })),
    workloads,
    policy: {
      replicationTimeoutSeconds: 86_400,
      rolloutTimeoutSeconds: 600,
      bakeSeconds: 0,
      replicaCheckIntervalSeconds: 0,
      rolloutPollIntervalSeconds: 0,
    },
  };
  const deps = buildDeps(
    parseConfig({
      ROLLOUT_CONFIG: JSON.stringify(config),
      ROLLOUT_STORAGE: azurite.connectionString,
      WEBHOOK_SECRETS: 'scale-bench-secret-000001',
      ARM_ENDPOINT: aks.url,
      LOCAL_DEV_TOKEN: STACK_TOKEN,
      RECONCILE_BUDGET_SECONDS: '600',
      ROLLOUT_TABLE_PREFIX: PREFIX,
    }),
  );
  return {
    azurite,
    acr,
    aks,
    deps,
    stop: async () => {
      await Promise.allSettled([acr.stop(), aks.stop()]);
      await azurite.stop();
    },
  };
}

/** The active work: repos x tags releases, each tag of a repository pointing at its one digest. */
async function planActive(env: Env, repos: number, tags: number): Promise<void> {
  const base = Date.now() - 60_000;
  for (let r = 0; r < repos; r++) {
    const digest = `sha256:${randomBytes(32).toString('hex')}`;
    for (let t = 0; t < tags; t++) env.acr.push({ repository: `app-${r}`, tag: `t${t}`, digest });
    await Promise.all(
      Array.from({ length: tags }, async (_, t) => {
        const planned = await planRelease(env.deps, {
          repository: `app-${r}`,
          tag: `t${t}`,
          digest,
          eventAt: new Date(base + r * tags + t).toISOString(),
          source: 'webhook',
          region: env.acr.home,
        });
        if (planned.kind === 'claimed') await writeOutRelease(env.deps, { claimed: planned.pending });
      }),
    );
  }
}

/** Seeds finished history with entity group transactions of 100 entities, several in flight. */
async function seedHistory(connectionString: string, regions: string[], count: number): Promise<void> {
  const client = (name: string) =>
    TableClient.fromConnectionString(connectionString, `${PREFIX}${name}`, { allowInsecureConnection: true });
  const releases = client('releases');
  const regionsT = client('regions');
  const deliveries = client('deliveries');
  await Promise.all([releases.createTable(), regionsT.createTable(), deliveries.createTable()]);
  const yearAgo = Date.now() - 365 * 86_400_000;
  const batches: Array<() => Promise<unknown>> = [];
  const BATCH = 100;
  for (let start = 0; start < count; start += BATCH) {
    const rel: TransactionAction[] = [];
    const del: TransactionAction[] = [];
    const roll: TransactionAction[] = [];
    const region = regions[(start / BATCH) % regions.length]!;
    const day = new Date(yearAgo + Math.floor(start / 1000) * 86_400_000).toISOString().slice(0, 10);
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const pushedAt = new Date(yearAgo + i * 300_000).toISOString();
      const repository = `app-${i % 10}`;
      const tag = `h${i}`;
      const digest = `sha256:${i.toString(16).padStart(64, '0')}`;
      const id = makeReleaseId({ pushedAt, repository, tag, digest, generation: 1 });
      const completedAt = new Date(Date.parse(pushedAt) + 120_000).toISOString();
      const release: TableEntity = {
        partitionKey: 'release',
        rowKey: id,
        repository,
        tag,
        digest,
        pushedAt,
        source: 'webhook',
        announcedBy: regions[0],
        createdAt: pushedAt,
        status: 'done',
        completedAt,
        regions: JSON.stringify(regions),
      };
      rel.push(['create', release]);
      del.push([
        'create',
        {
          partitionKey: day,
          rowKey: `h${i.toString(16).padStart(38, '0')}`,
          region: regions[0],
          eventId: `hist-${i}`,
          action: 'push',
          repository,
          tag,
          digest,
          eventAt: pushedAt,
          receivedAt: pushedAt,
          outcome: 'recorded',
          releaseIds: JSON.stringify([id]),
          payloadChunks: 1,
          payload0: JSON.stringify({ id: `hist-${i}`, action: 'push', target: { repository, tag, digest } }),
        },
      ]);
      roll.push([
        'create',
        {
          partitionKey: region,
          rowKey: `rollout~${id}`,
          kind: 'rollout',
          releaseId: id,
          wave: region === regions[0] ? 0 : 1,
          state: 'succeeded',
          reason: 'rollout succeeded',
          workloads: JSON.stringify([`default/Deployment/${repository}-t0/main`]),
          createdAt: pushedAt,
          updatedAt: completedAt,
          replicaReadyAt: pushedAt,
          replicaReadySource: 'webhook',
          attempts: 1,
          nextCheckAt: completedAt,
          startedAt: pushedAt,
          finishedAt: completedAt,
        },
      ]);
    }
    batches.push(() => releases.submitTransaction(rel));
    batches.push(() => deliveries.submitTransaction(del));
    batches.push(() => regionsT.submitTransaction(roll));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) await batches[next++]!();
    }),
  );
}

async function measure(env: Env, log: Logger): Promise<RunFigures> {
  const { deps, acr, aks } = env;
  const acr0 = deps.acr.stats();
  const ex0 = deps.runCommand.stats();
  const manifests0 = env.acr.regions.reduce((n, r) => n + acr.requestCount(r, 'manifest'), 0);
  deps.store.operations = 0;
  const t0 = performance.now();
  const summary = await reconcileAll(deps, log);
  const wallMs = performance.now() - t0;
  await aks.idle();
  const acr1 = deps.acr.stats();
  const ex1 = deps.runCommand.stats();
  return {
    wallMs,
    tableOps: deps.store.operations,
    registryRequests: acr1.requests - acr0.requests,
    tokenRequests: acr1.tokenRequests - acr0.tokenRequests,
    armRequests: ex1.armRequests - ex0.armRequests,
    runCommands: ex1.runCommands - ex0.runCommands,
    manifestChecks: env.acr.regions.reduce((n, r) => n + acr.requestCount(r, 'manifest'), 0) - manifests0,
    summary,
  };
}

export async function runScaleBench(opts: ScaleOptions = {}): Promise<ScaleReport> {
  const regions = REGION_POOL.slice(0, opts.regions ?? 10) as unknown as string[];
  const repos = opts.repositories ?? 10;
  const tags = opts.tagsPerRepository ?? 10;
  const history = opts.history ?? 100_000;
  const progress = opts.progress ?? (() => undefined);
  const log = new Logger(silentSink);
  const runs: ScaleReport['runs'] = [];
  const envs: { noHistory?: Env; history?: Env } = {};
  let seedMs = 0;
  try {
    envs.noHistory = await startEnv(regions, repos, tags);
    envs.history = await startEnv(regions, repos, tags);
    const t0 = Date.now();
    progress(`scale: seeding ${history} finished releases of history...`);
    await seedHistory(envs.history.azurite.connectionString, regions, history);
    seedMs = Date.now() - t0;
    progress(`scale: seeded in ${(seedMs / 1000).toFixed(1)} s; planning ${repos * tags} active releases`);
    await planActive(envs.noHistory, repos, tags);
    await planActive(envs.history, repos, tags);
    const labels = [
      'run 1 (checks 1,000 rollouts, starts the home region)',
      'run 2 (checks again, polls the home rollouts)',
      'run 3 (steady: 900 rollouts waiting)',
    ];
    for (const label of labels) {
      const noHistory = await measure(envs.noHistory, log);
      const withHistory = await measure(envs.history, log);
      runs.push({ label, noHistory, history: withHistory });
      progress(
        `scale: ${label}: ${noHistory.wallMs.toFixed(0)} ms / ${withHistory.wallMs.toFixed(0)} ms, ops ${noHistory.tableOps} / ${withHistory.tableOps}`,
      );
    }
  } finally {
    await Promise.allSettled([envs.noHistory?.stop(), envs.history?.stop()]);
  }
  return {
    regions: regions.length,
    activeReleases: repos * tags,
    activeRollouts: repos * tags * regions.length,
    digests: repos,
    history,
    historyDescription: `${history.toLocaleString('en-US')} finished releases (status done, partition 'release'), their ${history.toLocaleString('en-US')} delivery records (audit log, 100 days) and ${history.toLocaleString('en-US')} succeeded region rollouts (${(history / regions.length).toLocaleString('en-US')} in each region partition, next to the active rollouts and the ledger)`,
    seedMs,
    runs,
  };
}

const HEADERS = [
  'run',
  'history',
  'wall ms',
  'table ops',
  'registry calls',
  'token calls',
  'manifest checks',
  'ARM calls',
  'run commands',
  'active',
];

function rowOf(label: string, which: string, f: RunFigures): Row {
  return [
    label,
    which,
    f.wallMs.toFixed(0),
    f.tableOps,
    f.registryRequests,
    f.tokenRequests,
    f.manifestChecks,
    f.armRequests,
    f.runCommands,
    f.summary.active,
  ];
}

export function scaleRows(r: ScaleReport): Row[] {
  const rows: Row[] = [];
  for (const run of r.runs) {
    rows.push(rowOf(run.label, 'none', run.noHistory));
    rows.push(rowOf(run.label, r.history.toLocaleString('en-US'), run.history));
    rows.push([
      run.label,
      'ratio',
      ratio(run.history.wallMs, run.noHistory.wallMs),
      ratio(run.history.tableOps, run.noHistory.tableOps),
      ratio(run.history.registryRequests, run.noHistory.registryRequests),
      ratio(run.history.tokenRequests, run.noHistory.tokenRequests),
      ratio(run.history.manifestChecks, run.noHistory.manifestChecks),
      ratio(run.history.armRequests, run.noHistory.armRequests),
      ratio(run.history.runCommands, run.noHistory.runCommands),
      '',
    ]);
  }
  return rows;
}

export function scaleNotes(r: ScaleReport): string[] {
  return [
    `${r.activeReleases} active releases x ${r.regions} regions = ${r.activeRollouts} active region rollouts; the releases are ${r.digests} repositories x ${r.activeReleases / r.digests} tags, every tag of a repository on the same digest, so replica checks dedupe to at most ${r.digests} x ${r.regions} = ${r.digests * r.regions} per run (manifest checks column; each check is one HEAD, retries included).`,
    `Non-home replicas are stuck, so the ${r.activeRollouts - r.activeReleases} non-home rollouts wait and are re-checked every run (replicaCheckIntervalSeconds 0); each run also scans the 10 watched repositories for lost pushes.`,
    `History: ${r.historyDescription}; seeded in ${(r.seedMs / 1000).toFixed(1)} s with 100-entity batch transactions.`,
    'Manifest checks = HEAD manifest requests the ACR simulator served, 401 challenges and retries included (the first request per region and repository scope is answered with a challenge before a token is fetched).',
    'Table ops = TableRolloutStore.operations (every call and listed page); registry/token calls = the ACR adapter counters; ARM calls = the AKS executor counters.',
  ];
}

export function printScale(r: ScaleReport, out: (s: string) => void = console.log): void {
  out('Scale: one reconcile run, with and without history');
  out(textTable(HEADERS, scaleRows(r)));
  for (const n of scaleNotes(r)) out(`- ${n}`);
}

export function scaleMarkdown(r: ScaleReport): string {
  return [markdownTable(HEADERS, scaleRows(r)), '', ...scaleNotes(r).map((n) => `- ${n}`)].join('\n');
}

if (require.main === module) {
  runScaleBench({ progress: (l) => console.error(l) }).then(
    (r) => printScale(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
