// Webhook ingest benchmark: `npx tsx bench/ingest.ts [--n 500] [--intake-only]`.
// Starts an in-memory Azurite, the loopback ACR and AKS simulators and the local host (timers off,
// the inline nudge ON with its default budget, so each webhook does the real work: record, plan,
// then reconcile the release - regional manifest checks and, for the home region, the AKS start).
// Sends N distinct home-region push webhooks at concurrency 1 and 32, then N more at concurrency 32
// with the nudge off (the intake alone), and measures Azurite's raw single-entity insert rate
// (createEntity of similar-size entities, concurrency 32) in the same run for the ratio.
// Figures, not assertions: targets are printed next to what was measured.
import { performance } from 'node:perf_hooks';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { AcrSimulator } from '../dev/acr-simulator';
import { AksSimulator } from '../dev/aks-simulator';
import { startAzurite } from '../dev/azurite';
import { startLocalHost, type LocalHost } from '../dev/local-host';
import { appDeps } from '../src/app/composition';
import { acrTimestamp, digestOf, pushPayload } from '../test/support/acr-payloads';

export interface IngestBenchOptions {
  /** Webhooks per measured row (default 500). */
  n?: number;
  /** Concurrencies to measure with the nudge on (default [1, 32]). */
  concurrencies?: number[];
  /** Also measure the intake alone (nudge off) at the highest concurrency (default true). */
  nudgeOffRow?: boolean;
  /** Measure the nudge-on rows (default true; false with nudgeOffRow measures the intake alone). */
  nudgeOnRows?: boolean;
  /** Concurrencies of the nudge-off rows (default: the highest of `concurrencies`). */
  nudgeOffConcurrencies?: number[];
  /** Also measure the webhook's storage round trips alone at the highest concurrency (default true). */
  storageFloor?: boolean;
  /** Print the table (default true). */
  print?: boolean;
  /**
   * Serve the queue trigger `advance` in the same host during the row (default false: in Azure it
   * runs on its own instances; here it would share the two cores with the measured webhooks). The
   * webhooks' wake-up sends happen either way.
   */
  queueConsumer?: boolean;
}

export interface IngestRow {
  scenario: string;
  concurrency: number;
  n: number;
  ok: number;
  /** Answers other than 202, by status. */
  failures: Record<string, number>;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Table Storage operations per webhook, as counted by the store. */
  tableOpsPerRequest: number;
  /** The nudge's real work during the row: AKS runCommand starts and ACR registry requests. */
  aksStarts: number;
  acrRequests: number;
  /** Median latency of the first and the last tenth of the requests, in the order sent. */
  firstTenthP50Ms: number;
  lastTenthP50Ms: number;
}

export interface RawInsertRow {
  concurrency: number;
  n: number;
  entityBytes: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * The storage round trips a new push waits on, alone: the same five Azurite calls in the same
 * order, straight from the SDK clients (no HTTP webhook, no registry check, none of our code).
 * What any webhook with this storage path costs on this machine at this concurrency: its floor.
 */
export interface StorageFloorRow extends RawInsertRow {
  callsPerTask: number;
}

export interface IngestBenchResult {
  rows: IngestRow[];
  rawInsert: RawInsertRow;
  storageFloor?: StorageFloorRow | undefined;
  /** Ingest rate (nudge on, highest concurrency) / raw insert rate. */
  ratio: number;
  /** The same with the nudge off: what the intake alone costs. */
  intakeOnlyRatio?: number | undefined;
  targets: { p99MsAtC32: number; ratio: number };
  met: { p99: boolean; ratio: boolean };
  table: string;
}

const REGIONS = ['eastus', 'westeurope', 'southeastasia'] as const;
const HOME = 'eastus';
const SECRET = 'bench-ingest-webhook-secret-0001';
const clusterId = (region: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs `count` tasks with at most `concurrency` in flight; returns each task's latency in ms. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  const latencies: number[] = new Array<number>(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await task(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { byIndex: [...latencies], latencies: latencies.sort((a, b) => a - b), seconds };
}

function rolloutConfig(acr: AcrSimulator, repositories: string[]): string {
  return JSON.stringify({
    registry: {
      loginServer: acr.loginServer,
      homeRegion: HOME,
      endpoint: acr.endpoint,
      regionalEndpoint: acr.regionalEndpoint,
    },
    regions: REGIONS.map((name) => ({ name, cluster: clusterId(name), access: 'run-command' })),
    workloads: repositories.map((repository, i) => ({
      repository,
      tags: ['*'],
      namespace: 'bench',
      kind: 'Deployment',
      name: `app-${i}`,
      container: 'app',
    })),
    policy: { replicationTimeoutSeconds: 1800, rolloutTimeoutSeconds: 600, bakeSeconds: 0, maxAttempts: 3 },
  });
}

function tenthMedian(byIndex: number[], which: 'first' | 'last'): number {
  const k = Math.max(1, Math.floor(byIndex.length / 10));
  const part = which === 'first' ? byIndex.slice(0, k) : byIndex.slice(-k);
  return percentile(
    part.sort((a, b) => a - b),
    50,
  );
}

const acrRequestTotal = (acr: AcrSimulator) =>
  Object.values(acr.requestCounts()).reduce((sum, v) => sum + v, 0);

async function measureIngest(
  host: LocalHost,
  acr: AcrSimulator,
  aks: AksSimulator,
  repositories: string[],
  scenario: string,
  runTag: string,
  n: number,
  concurrency: number,
): Promise<IngestRow> {
  const failures: Record<string, number> = {};
  let ok = 0;
  const store = appDeps(host.settings).store;
  const opsBefore = store.operations;
  const aksBefore = aks.runCommands().length;
  const acrBefore = acrRequestTotal(acr);
  const base = Date.now();
  const { latencies, byIndex, seconds } = await pool(n, concurrency, async (i) => {
    const repository = repositories[i]!;
    const tag = `${runTag}.${i}`;
    const digest = digestOf(`${repository}:${tag}`);
    // The image really is in the home replica (the nudge's regional checks see it), as ACR would.
    acr.push({ repository, tag, digest, receivingRegion: HOME });
    const res = await fetch(`${host.url}/api/acr/events/${HOME}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify(
        pushPayload({ repository, tag, digest, id: crypto.randomUUID(), timestamp: acrTimestamp(base + i) }),
      ),
    });
    await res.arrayBuffer();
    if (res.status === 202) ok++;
    else failures[res.status] = (failures[res.status] ?? 0) + 1;
  });
  return {
    scenario,
    concurrency,
    n,
    ok,
    failures,
    seconds,
    perSecond: n / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    tableOpsPerRequest: (store.operations - opsBefore) / n,
    aksStarts: aks.runCommands().length - aksBefore,
    acrRequests: acrRequestTotal(acr) - acrBefore,
    firstTenthP50Ms: tenthMedian(byIndex, 'first'),
    lastTenthP50Ms: tenthMedian(byIndex, 'last'),
  };
}

async function measureRawInsert(
  connectionString: string,
  n: number,
  concurrency: number,
): Promise<RawInsertRow> {
  const client = TableClient.fromConnectionString(connectionString, 'benchrawinsert', {
    allowInsecureConnection: true,
  });
  await client.createTable();
  // Shaped like a delivery record: a dozen short properties plus the ~700-byte payload.
  const payload = JSON.stringify(
    pushPayload({ repository: 'bench/app-0', tag: 'raw', digest: digestOf('raw') }),
  );
  const entity = (i: number) => ({
    partitionKey: '2026-01-01',
    rowKey: `raw-${i}-${digestOf(String(i)).slice(7, 47)}`,
    region: HOME,
    eventId: crypto.randomUUID(),
    action: 'push',
    repository: 'bench/app-0',
    tag: `raw.${i}`,
    digest: digestOf(`raw ${i}`),
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    eventAt: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
    releaseIds: '[]',
    payloadChunks: 1,
    payload0: payload,
  });
  const entityBytes = Buffer.byteLength(JSON.stringify(entity(0)));
  // Warm the connection pool and the table, as the ingest rows are warm.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => client.createEntity(entity(n + i))));
  const { latencies, seconds } = await pool(n, concurrency, async (i) => {
    await client.createEntity(entity(i));
  });
  return {
    concurrency,
    n,
    entityBytes,
    seconds,
    perSecond: n / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function measureStorageFloor(
  connectionString: string,
  n: number,
  concurrency: number,
): Promise<StorageFloorRow> {
  const opts = { allowInsecureConnection: true };
  const deliveries = TableClient.fromConnectionString(connectionString, 'benchfloordeliveries', opts);
  const heads = TableClient.fromConnectionString(connectionString, 'benchfloorheads', opts);
  const queue = new QueueClient(connectionString, 'bench-floor-work');
  await Promise.all([deliveries.createTable(), heads.createTable(), queue.createIfNotExists()]);
  const payload = JSON.stringify(
    pushPayload({ repository: 'bench/app-0', tag: 'floor', digest: digestOf('floor') }),
  );
  const absent = async (client: TableClient, pk: string, rk: string) => {
    await client.getEntity(pk, rk).then(
      () => undefined,
      (e: unknown) => {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      },
    );
  };
  const task = async (i: number) => {
    const repo = `bench-floor-${i}`; // table keys cannot hold a slash (the store encodes them)
    const digest = digestOf(`floor ${i}`);
    // 1. the delivery record (absent), 2. the tag head (absent), 3. the claim transaction (head,
    // tag->digest row, pending record), 4. the delivery record written beside 5. the wake-up.
    await absent(deliveries, '2026-01-01', `eastus~${i}`);
    await absent(heads, repo, 'head~latest');
    const claim: TransactionAction[] = [
      ['create', { partitionKey: repo, rowKey: 'head~latest', digest, releaseId: `r-${i}` }],
      ['create', { partitionKey: repo, rowKey: `tag~latest~${digest}`, releaseId: `r-${i}` }],
      [
        'create',
        {
          partitionKey: repo,
          rowKey: `pending~r-${i}`,
          digest,
          targets: '[]',
          payload0: payload.slice(0, 300),
        },
      ],
    ];
    await heads.submitTransaction(claim);
    await Promise.all([
      deliveries.createEntity({ partitionKey: '2026-01-01', rowKey: `eastus~${i}`, payload0: payload }),
      queue.sendMessage(Buffer.from(JSON.stringify({ releaseId: `r-${i}` })).toString('base64')),
    ]);
  };
  // Warm the connection pools, as the ingest rows are warm.
  await Promise.all(Array.from({ length: concurrency }, (_, i) => task(n + i)));
  const { latencies, seconds } = await pool(n, concurrency, task);
  return {
    concurrency,
    n,
    entityBytes: Buffer.byteLength(payload),
    seconds,
    perSecond: n / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    callsPerTask: 5,
  };
}

function formatTable(r: Omit<IngestBenchResult, 'table'>, simulators: string): string {
  const f = (v: number, d = 1) => v.toFixed(d);
  const head = [
    'scenario',
    'conc',
    'n',
    'ok',
    'wall s',
    'per s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'p50 1st/last 10%',
    'table ops/req*',
    'AKS starts',
    'ACR reqs',
  ];
  const lines: string[][] = r.rows.map((row) => [
    row.scenario,
    String(row.concurrency),
    String(row.n),
    String(row.ok) + (Object.keys(row.failures).length ? ` (${JSON.stringify(row.failures)})` : ''),
    f(row.seconds, 2),
    f(row.perSecond),
    f(row.p50Ms),
    f(row.p99Ms),
    f(row.maxMs),
    `${f(row.firstTenthP50Ms)}/${f(row.lastTenthP50Ms)}`,
    f(row.tableOpsPerRequest),
    String(row.aksStarts),
    String(row.acrRequests),
  ]);
  const raw = r.rawInsert;
  lines.push([
    `raw createEntity (${raw.entityBytes} B)`,
    String(raw.concurrency),
    String(raw.n),
    String(raw.n),
    f(raw.seconds, 2),
    f(raw.perSecond),
    f(raw.p50Ms),
    f(raw.p99Ms),
    '',
    '',
    '1.0',
    '',
    '',
  ]);
  const floor = r.storageFloor;
  if (floor)
    lines.push([
      `storage path alone (${floor.callsPerTask} calls)`,
      String(floor.concurrency),
      String(floor.n),
      String(floor.n),
      f(floor.seconds, 2),
      f(floor.perSecond),
      f(floor.p50Ms),
      f(floor.p99Ms),
      '',
      '',
      '4.0',
      '',
      '',
    ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const c32 = r.rows.find((x) => x.scenario.startsWith('webhook, nudge on') && x.concurrency === 32);
  return [
    `Webhook ingest: home-region push webhooks over HTTP to the local host, Azurite in memory, ${simulators}`,
    fmt(head),
    fmt(head.map((_, i) => '-'.repeat(widths[i]!))),
    ...lines.map(fmt),
    '',
    `ingest rate (nudge on, c=32) / raw insert rate = ${f(r.ratio, 3)}   target >= ${r.targets.ratio}: ${r.met.ratio ? 'met' : 'NOT met'}`,
    `ingest rate (nudge off, c=32) / raw insert rate = ${r.intakeOnlyRatio === undefined ? '-' : f(r.intakeOnlyRatio, 3)}   (the intake alone)`,
    `p99 at c=32 (nudge on) = ${c32 ? f(c32.p99Ms) : '-'} ms   target < ${r.targets.p99MsAtC32} ms: ${r.met.p99 ? 'met' : 'NOT met'}`,
    ...(floor
      ? [
          `the webhook's storage round trips alone at c=${floor.concurrency}: p99 ${f(floor.p99Ms)} ms (the floor of any webhook with this storage path on this machine)`,
        ]
      : []),
    '* TableRolloutStore.operations: one per table call the app made (a pipeline counter; SDK retries not counted).',
  ].join('\n');
}

/** The nudge-off rows' keys (and table prefixes): the first keeps the historical `off`. */
const offKey = (c: number, i: number) => (i === 0 ? 'off' : `off${c}`);

export async function runIngestBench(opts: IngestBenchOptions = {}): Promise<IngestBenchResult> {
  const n = opts.n ?? 500;
  const concurrencies = opts.concurrencies ?? [1, 32];
  const offRow = opts.nudgeOffRow !== false;
  // Every webhook names its own repository (its own workload), so every nudge has the full work
  // to do: the home region starts a rollout, the other two check their replica.
  const offConcurrencies = opts.nudgeOffConcurrencies ?? [Math.max(...concurrencies)];
  const rowNames = [...concurrencies.map((c) => `c${c}`), ...(offRow ? offConcurrencies.map(offKey) : [])];
  const perRow = new Map(
    rowNames.map((r) => [r, Array.from({ length: n }, (_, i) => `bench/${r}-app-${i}`)]),
  );
  const repositories = [...perRow.values()].flat();

  const azurite = await startAzurite({ inMemory: true });
  const acr = await AcrSimulator.start({
    regions: [...REGIONS],
    home: HOME,
    // The other replicas land later, as in life: their checks answer "absent" during the run.
    defaultDelayMs: 120_000,
  });
  const aks = await AksSimulator.start({
    token: 'local-dev-token',
    clusters: REGIONS.map((region) => ({
      resourceId: clusterId(region),
      region,
      workloads: repositories.map((repository, i) => ({
        namespace: 'bench',
        kind: 'Deployment' as const,
        name: `app-${i}`,
        containers: [{ name: 'app', image: `${acr.loginServer}/${repository}:initial` }],
      })),
    })),
    replicaHolds: acr.holds,
  });
  const settings = (prefix: string, nudgeBudgetMs?: number): Record<string, string> => ({
    ROLLOUT_STORAGE: azurite.connectionString,
    ROLLOUT_TABLE_PREFIX: prefix,
    WEBHOOK_SECRETS: SECRET,
    ROLLOUT_CONFIG: rolloutConfig(acr, repositories),
    ARM_ENDPOINT: aks.url,
    LOCAL_DEV_TOKEN: 'local-dev-token',
    DRY_RUN: 'false',
    // Empty = not set: the app's default budget applies.
    WEBHOOK_NUDGE_BUDGET_MS: nudgeBudgetMs === undefined ? '' : String(nudgeBudgetMs),
  });
  const quiet = () => undefined;

  const rows: IngestRow[] = [];
  let rawInsert: RawInsertRow | undefined;
  let storageFloor: StorageFloorRow | undefined;
  try {
    // Each row on an empty store (its own table prefix): the nudge reads every active release,
    // so leftovers of an earlier row would slow the next one down.
    const plan = [
      ...(opts.nudgeOnRows === false ? [] : concurrencies).map((c) => ({
        key: `c${c}`,
        scenario: 'webhook, nudge on',
        c,
        budget: undefined,
      })),
      ...(offRow ? offConcurrencies : []).map((c, i) => ({
        key: offKey(c, i),
        scenario: 'webhook, nudge off',
        c,
        budget: 0,
      })),
    ];
    for (const row of plan) {
      const host = await startLocalHost({
        port: 0,
        settings: settings(`bench${row.key}`, row.budget),
        timers: false,
        queues: opts.queueConsumer === true,
        logRequests: false,
        log: quiet,
      });
      try {
        rows.push(await measureIngest(host, acr, aks, perRow.get(row.key)!, row.scenario, row.key, n, row.c));
      } finally {
        await host.stop();
      }
    }
    rawInsert = await measureRawInsert(azurite.connectionString, n, 32);
    if (opts.storageFloor !== false)
      storageFloor = await measureStorageFloor(azurite.connectionString, n, Math.max(...concurrencies));
  } finally {
    await aks.stop();
    await acr.stop();
    await azurite.stop();
  }

  const top = rows
    .filter((r) => r.scenario === 'webhook, nudge on')
    .sort((a, b) => b.concurrency - a.concurrency)[0];
  const c32 = rows.find((r) => r.scenario === 'webhook, nudge on' && r.concurrency === 32);
  const ratio = top ? top.perSecond / rawInsert.perSecond : 0;
  const targets = { p99MsAtC32: 200, ratio: 0.5 };
  const off = rows.find((r) => r.scenario === 'webhook, nudge off');
  const partial = {
    rows,
    rawInsert,
    storageFloor,
    ratio,
    intakeOnlyRatio: off ? off.perSecond / rawInsert.perSecond : undefined,
    targets,
    met: { p99: c32 !== undefined && c32.p99Ms < targets.p99MsAtC32, ratio: ratio >= targets.ratio },
  };
  const table = formatTable(partial, 'nudge against the ACR + AKS simulators');
  if (opts.print !== false) console.log(table);
  return { ...partial, table };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const n = Number(argValue('--n') ?? 500);
  if (!Number.isInteger(n) || n < 1) {
    console.error('usage: npx tsx bench/ingest.ts [--n 500] [--intake-only]');
    process.exit(2);
  }
  // The intake alone (nudge off) at 32, 1 and 8 in flight: how its latency grows with the load
  // on this 2-core machine, beside the storage path alone at 32.
  runIngestBench({
    n,
    nudgeOnRows: !process.argv.includes('--intake-only'),
    nudgeOffConcurrencies: [32, 1, 8],
  }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
