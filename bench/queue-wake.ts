// Queue wake-ups against the timer alone, side by side in one run:
//   npx tsx bench/queue-wake.ts [--pushes 10] [--skip-ingest]
// (1) Wave handoff at the production schedule (timer */30): the home (wave-0) rollout finished on
//     the simulated cluster -> the first wave-1 command, per (release, region), with the queue and
//     with the timer alone; the same stack otherwise (compressed simulator delays: replicas land
//     0.2-0.6 s after the push, a rollout takes 1.5 s; rolloutPollIntervalSeconds 1).
// (2) Due-time lateness of every wake-up the queue function ran (handler start - due).
// (3) The webhook at concurrency 32 (bench/ingest.ts, queue live) and the exact table operations
//     (TableRolloutStore.operations) of one new push and one duplicate, nudge off.
// Figures, not assertions.
import { startAzurite } from '../dev/azurite';
import { stackClusterId, startStack } from '../dev/stack';
import { buildDeps } from '../src/app/composition';
import { parseConfig } from '../src/app/config/schema';
import { Logger, silentSink } from '../src/app/platform/logger';
import { materializeAllPending } from '../src/app/intake/pending-release';
import { receiveWebhook } from '../src/app/intake/receive-webhook';
import { digestOf, pushPayload } from '../test/support/acr-payloads';
import { testRolloutConfig } from '../test/support/config';
import { machine, max, percentile, secs, sleep, textTable } from './support/report';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const SCHEDULE_SECONDS = 30;

interface HandoffResult {
  strategy: string;
  handoffsMs: number[];
  lateMs: number[];
  wakeups: number;
  timerRuns: number;
  wallSeconds: number;
  startedTwice: number;
  notNewest: number;
}

interface CommandRow {
  cluster: string;
  time: string;
  script: string;
  finishedAt?: string;
}

async function handoff(queue: boolean, pushes: number): Promise<HandoffResult> {
  const lines: string[] = [];
  const repos = Array.from({ length: pushes }, (_, i) => `svc-${i}`);
  const stack = await startStack({
    regions: REGIONS,
    delays: { westeurope: [200, 600], southeastasia: [200, 600] },
    seed: 7,
    rolloutMs: 1500,
    workloads: repos.map((r) => ({ repository: r, name: r })),
    reconcileEverySeconds: SCHEDULE_SECONDS,
    queues: queue,
    policy: { rolloutPollIntervalSeconds: 1, replicaCheckIntervalSeconds: 1 },
    log: (_level, message) => {
      if (message.includes('wakeup.advanced') || message.includes('reconcile.summary')) lines.push(message);
    },
  });
  const started = Date.now();
  try {
    const digests: string[] = [];
    for (const repository of repos) {
      digests.push(stack.acr.push({ repository, tag: '1.0.0' }).digest);
      await sleep(500);
    }
    const store = stack.host.deps().store;
    const deadline = Date.now() + 5 * 60_000;
    while (Date.now() < deadline) {
      const active = await store.listActiveReleases();
      if (active.length === 0) break;
      await sleep(500);
    }
    await stack.aks.idle();
    const state = stack.aks.state() as { runCommands: CommandRow[] };
    const digestIn = (s: string) => /@(sha256:[0-9a-f]{64})"/.exec(s)?.[1];
    const handoffsMs: number[] = [];
    let startedTwice = 0;
    for (const digest of digests) {
      const cmds = state.runCommands.filter((c) => digestIn(c.script) === digest);
      const home = cmds.find((c) => c.cluster.toLowerCase().includes('eastus'));
      for (const region of REGIONS.slice(1)) {
        const mine = cmds.filter((c) => c.cluster.toLowerCase().includes(region));
        if (mine.length > 1) startedTwice++;
        if (home?.finishedAt && mine[0])
          handoffsMs.push(Date.parse(mine[0].time) - Date.parse(home.finishedAt));
      }
    }
    let notNewest = 0;
    for (const region of REGIONS) {
      const images = stack.aks.images(stackClusterId(region));
      repos.forEach((r, i) => {
        if (!images[`default/Deployment/${r}/${r}`]?.endsWith(digests[i]!)) notNewest++;
      });
    }
    const lateMs = lines
      .filter((l) => l.includes('wakeup.advanced'))
      .map((l) => Number((JSON.parse(l.slice(l.indexOf('{'))) as { lateMs?: number }).lateMs))
      .filter((n) => Number.isFinite(n));
    return {
      strategy: queue ? `queue + timer */${SCHEDULE_SECONDS}` : `timer */${SCHEDULE_SECONDS} alone`,
      handoffsMs,
      lateMs,
      wakeups: stack.host.queueStats().advance?.succeeded ?? 0,
      timerRuns: lines.filter((l) => l.includes('reconcile.summary')).length,
      wallSeconds: (Date.now() - started) / 1000,
      startedTwice,
      notNewest,
    };
  } finally {
    await stack.stop();
  }
}

/** Exact table operations of one new push and one duplicate delivery (nudge off, queue live). */
export interface WebhookOps {
  /** A new push on the region-less URL. */
  newPush: number;
  duplicate: number;
  /** Another region's delivery of a push already known. */
  regionalSignal: number;
  /** A new push on the home region's URL (its readiness signal rides in the claim). */
  newPushHome: number;
  /** A tag that has a release pushed again with a new digest, on the home region's URL. */
  newDigestOfTag: number;
  /** Writing out one claimed release afterwards (off the answer path: the wake-up or the nudge). */
  writeOut: number;
}

export async function webhookOps(): Promise<WebhookOps> {
  const azurite = await startAzurite({ inMemory: true });
  try {
    const secret = 'bench-queue-webhook-secret-01';
    const deps = buildDeps(
      parseConfig({
        ROLLOUT_CONFIG: JSON.stringify(testRolloutConfig()),
        WEBHOOK_SECRETS: secret,
        ROLLOUT_STORAGE: azurite.connectionString,
        ARM_ENDPOINT: 'http://127.0.0.1:9',
        LOCAL_DEV_TOKEN: 'local-dev-token',
        WEBHOOK_NUDGE_BUDGET_MS: '0',
      }),
    );
    const log = new Logger(silentSink);
    const send = async (i: number, region?: string, tag = `1.0.${i}`) => {
      const payload = pushPayload({
        id: `event-${i}`,
        repository: 'my-app',
        tag,
        digest: digestOf(`bench-${i}`),
        timestamp: new Date(Date.now() + i).toISOString(),
      });
      const before = deps.store.operations;
      await receiveWebhook(
        deps,
        { region, authorization: `Bearer ${secret}`, body: Buffer.from(JSON.stringify(payload)) },
        log,
      );
      return deps.store.operations - before;
    };
    const counted = async (work: () => Promise<unknown>) => {
      const before = deps.store.operations;
      await work();
      return deps.store.operations - before;
    };
    await send(0); // creates the tables
    await materializeAllPending(deps, log);
    const newPush = await send(1);
    const duplicate = await send(1);
    const regionalSignal = await send(1, 'westeurope');
    const newPushHome = await send(2, 'eastus', 'stable');
    const newDigestOfTag = await send(3, 'eastus', 'stable');
    // Three pending releases (1, 2, 3) written out in one timer pass: one list query, then each.
    const writeOut = Math.round(((await counted(() => materializeAllPending(deps, log))) - 1) / 3);
    return { newPush, duplicate, regionalSignal, newPushHome, newDigestOfTag, writeOut };
  } finally {
    await azurite.stop();
  }
}

function handoffTable(results: HandoffResult[]): string {
  const rows = results.map((r) => [
    r.strategy,
    r.handoffsMs.length,
    secs(percentile(r.handoffsMs, 50)),
    secs(percentile(r.handoffsMs, 95)),
    secs(max(r.handoffsMs)),
    r.wakeups,
    r.timerRuns,
    r.startedTwice,
    r.notNewest,
  ]);
  return textTable(
    [
      'strategy',
      'handoffs',
      'p50 s',
      'p95 s',
      'max s',
      'wake-ups',
      'timer runs w/ work',
      'started twice',
      'not newest',
    ],
    rows,
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pushes = Number(args[args.indexOf('--pushes') + 1] ?? '') || 10;
  const m = machine();
  console.log(`queue-wake bench, ${new Date().toISOString()}, ${JSON.stringify(m)}`);
  if (!args.includes('--skip-handoff')) await handoffs(pushes);
  if (!args.includes('--skip-webhook')) await webhook(args);
  if (args.includes('--reaction')) await reaction();
}

/** The reaction bench's (a)-(e) with the timer at the production 30 s (delays still compressed 10x). */
async function reaction(): Promise<void> {
  const { printReaction, runReactionBench } = require('./reaction') as typeof import('./reaction'); // eslint-disable-line @typescript-eslint/no-require-imports
  const progress = (line: string) => console.log(line);
  const base = { regionCounts: [3], timerSeconds: SCHEDULE_SECONDS, progress };
  const runs: Array<[string, Parameters<typeof runReactionBench>[0]]> = [
    ['queue + nudge (the default)', base],
    ['queue, nudge off', { ...base, strategies: ['a', 'c'], nudgeBudgetMs: 0 }],
    ['timer alone, nudge on', { ...base, strategies: ['a', 'c'], queue: false }],
  ];
  for (const [name, o] of runs) {
    const report = await runReactionBench(o);
    console.log(
      `\nReaction at timer */${SCHEDULE_SECONDS}: ${name} (ignore the "x C" columns: the timer ran uncompressed)`,
    );
    printReaction(report);
  }
}

async function handoffs(pushes: number): Promise<void> {
  const queue = await handoff(true, pushes);
  const timer = await handoff(false, pushes);
  console.log('\nWave handoff (wave-0 rollout finished on the cluster -> wave-1 command), timer */30:');
  console.log(handoffTable([queue, timer]));
  const p95 = (r: HandoffResult) => percentile(r.handoffsMs, 95);
  console.log(
    `ratio timer/queue: p50 ${(percentile(timer.handoffsMs, 50) / percentile(queue.handoffsMs, 50)).toFixed(1)}x, p95 ${(p95(timer) / p95(queue)).toFixed(1)}x`,
  );
  console.log(
    `\nWake-up lateness (handler start - due), ${queue.lateMs.length} wake-ups: p50 ${secs(percentile(queue.lateMs, 50))} s, p99 ${secs(percentile(queue.lateMs, 99))} s, max ${secs(max(queue.lateMs))} s`,
  );
}

async function webhook(args: string[]): Promise<void> {
  const ops = await webhookOps();
  console.log(
    `\nTable operations per webhook (nudge off): new push ${ops.newPush} (home URL ${ops.newPushHome}, ` +
      `new digest of a tag ${ops.newDigestOfTag}), duplicate ${ops.duplicate}, regional sighting of a ` +
      `known push ${ops.regionalSignal}; writing one release out afterwards ${ops.writeOut} (off the answer path)`,
  );
  if (!args.includes('--skip-ingest')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runIngestBench } = require('./ingest') as typeof import('./ingest');
    const ingest = await runIngestBench({ n: 300, concurrencies: [32], nudgeOffRow: true, print: false });
    console.log('\nWebhook at concurrency 32 (wake-ups sent; the queue consumer not in the same host):');
    console.log(ingest.table);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
