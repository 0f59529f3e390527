// Reaction benchmark: how long after a region's replica holds a pushed digest does that region's
// rollout start, and how many pulls fail because the image was not there yet? Five strategies
// on the same simulated registry and clusters, the same seeded replication delays:
//   a. ours, regional webhooks          b. ours, 30 % of webhooks dropped (the timer's check finds
//   c. ours, home webhook only (no       readiness, the registry scan finds lost pushes)
//      regional ones: check only)       d. the fixed-interval polling script users write today
//   e. naive: every region deployed on the push event
// Time is compressed (default 10x): replication delays of 2-60 s run as 0.2-6 s, the 30 s
// reconcile interval as 3 s, the 10 s polling interval as 1 s. Figures are printed raw (as
// measured) and scaled back (x compression).
import { createAcrAdapters } from '../src/adapters/registry/registry-adapters';
import { createAksExecutor } from '../src/adapters/clusters/run-command/executor';
import { StaticTokenCredential } from '../src/adapters/platform/credential';
import type { RolloutRequest } from '../src/core/model/ports';
import type { Workload } from '../src/core/model/records';
import { STACK_TOKEN, startStack, stackClusterId, type Stack } from '../dev/stack';
import {
  markdownTable,
  max,
  percentile,
  ratio,
  secs,
  seeded,
  sleep,
  textTable,
  type Row,
} from './support/report';

export const REGION_POOL = [
  'eastus',
  'westeurope',
  'southeastasia',
  'westus2',
  'northeurope',
  'japaneast',
  'australiaeast',
  'uksouth',
  'canadacentral',
  'brazilsouth',
] as const;

export type StrategyId = 'a' | 'b' | 'c' | 'd' | 'e';
export const STRATEGIES: Record<StrategyId, string> = {
  a: 'ours, regional webhooks',
  b: 'ours, 30% webhooks dropped',
  c: 'ours, check only (home webhook kept)',
  d: 'polling script (every 10 s)',
  e: 'naive: deploy all on push',
};

export interface ReactionOptions {
  regionCounts?: number[];
  pushes?: number;
  /** Time compression factor (10 = 10x faster than the scale). */
  compression?: number;
  /** Replication delay range at the scale (ms); run at range / compression. */
  delayRangeMs?: [number, number];
  /** Reconcile interval at the scale (s); must divide into whole seconds once compressed. */
  reconcileIntervalSeconds?: number;
  /** Polling script interval at the scale (ms). */
  pollIntervalMs?: number;
  /** Gap between pushes, compressed (ms). */
  pushSpacingMs?: number;
  strategies?: StrategyId[];
  seed?: number;
  progress?: (line: string) => void;
  /** The timer's real period in seconds, instead of reconcileIntervalSeconds / compression (e.g. 30: production). */
  timerSeconds?: number;
  /** Serve the queue wake-ups for ours (default true). */
  queue?: boolean;
  /** WEBHOOK_NUDGE_BUDGET_MS for ours (default: the stack's 2500). */
  nudgeBudgetMs?: number;
}

export interface StrategyResult {
  strategy: StrategyId;
  name: string;
  regions: number;
  /** (push, region) pairs. */
  pairs: number;
  /** Pairs whose rollout started. */
  started: number;
  /** Replica holds digest -> first run command for it on that cluster (ms, raw). */
  startDelays: number[];
  /** Replica holds digest -> first pull that succeeds (ms, raw; modelled kubelet retries for failed pulls). */
  readyDelays: number[];
  failedPulls: number;
  /** Run commands beyond the first per (cluster, digest). */
  extraCommands: number;
  /** Run commands sent before the region's replica held the digest. */
  startedEarly: number;
  wallMs: number;
}

export interface ReactionReport {
  compression: number;
  reconcileIntervalSeconds: number;
  pollIntervalMs: number;
  delayRangeMs: [number, number];
  pushes: number;
  results: StrategyResult[];
}

const repoOf = (i: number) => `svc-${String(i).padStart(2, '0')}`;

/** kubelet image pull back-off: 10 s, doubling, capped at 300 s (at the scale). */
function kubeletRetryReady(failedAt: number, replicatedAt: number, compression: number): number {
  let t = failedAt;
  let backoff = 10_000 / compression;
  while (t < replicatedAt) {
    t += backoff;
    backoff = Math.min(backoff * 2, 300_000 / compression);
  }
  return t;
}

async function runStrategy(
  strategy: StrategyId,
  regions: string[],
  o: Required<
    Omit<ReactionOptions, 'progress' | 'regionCounts' | 'strategies' | 'timerSeconds' | 'nudgeBudgetMs'>
  > &
    Pick<ReactionOptions, 'timerSeconds' | 'nudgeBudgetMs'>,
  delaysPerPush: number[][],
): Promise<StrategyResult> {
  const started = Date.now();
  const C = o.compression;
  const interval = o.timerSeconds ?? o.reconcileIntervalSeconds / C;
  if (!Number.isInteger(interval)) throw new Error('the compressed reconcile interval must be whole seconds');
  const delays: Record<string, number> = {};
  const workloads = Array.from({ length: o.pushes }, (_, i) => ({ repository: repoOf(i), name: repoOf(i) }));
  const ours = strategy === 'a' || strategy === 'b' || strategy === 'c';
  const stack: Stack = await startStack({
    regions,
    seed: o.seed,
    // The simulator reads this record at each push, so every strategy replays the same delays.
    delays,
    workloads,
    webhooks: strategy === 'c' ? 'home-only' : ours ? 'regional' : 'none',
    timers: ours,
    queues: ours && o.queue,
    ...(o.nudgeBudgetMs !== undefined
      ? { extraSettings: { WEBHOOK_NUDGE_BUDGET_MS: String(o.nudgeBudgetMs) } }
      : {}),
    reconcileEverySeconds: interval,
    policy: { replicaCheckIntervalSeconds: 1, rolloutPollIntervalSeconds: 0.5 },
  });
  if (strategy === 'b') stack.acr.setFaults({ dropRate: 0.3 });
  // The app was installed before these pushes: its first timer run starts watching the
  // repositories (the registry scan never plans tags pushed before it started watching).
  if (ours) await stack.host.runTimers();
  const credential = new StaticTokenCredential(STACK_TOKEN);
  const executor = createAksExecutor({ armEndpoint: stack.aks.url, credential });
  const registry = createAcrAdapters({
    endpoint: stack.acr.endpoint,
    regionalEndpoint: stack.acr.regionalEndpoint,
    credential,
  });
  const cfgWorkload = (i: number): Workload => ({
    repository: repoOf(i),
    tags: ['*'],
    namespace: 'default',
    kind: 'Deployment',
    name: repoOf(i),
    container: repoOf(i),
  });
  const request = (i: number, region: string, digest: string): RolloutRequest => ({
    releaseId: `${String(i).padStart(13, '0')}-${'0'.repeat(12)}`,
    region,
    cluster: stackClusterId(region),
    workloads: [cfgWorkload(i)],
    image: { loginServer: stack.acr.loginServer, repository: repoOf(i), digest, tag: `1.0.${i}` },
    timeoutSeconds: 60,
  });

  let stopScripts = false;
  const scripts: Array<Promise<void>> = [];
  // d: what a CI step does after `docker push`: every 10 s, HEAD the manifest in each region's
  // regional endpoint; deploy a region (by digest, with the same executor) once it is there.
  const pollingScript = async (i: number, digest: string) => {
    const pending = new Set(regions);
    while (pending.size > 0 && !stopScripts) {
      await Promise.all(
        [...pending].map(async (region) => {
          const presence = await registry.replicaStatus.check(region, repoOf(i), digest);
          if (presence !== 'present') return;
          pending.delete(region);
          await executor.start(request(i, region, digest));
        }),
      );
      if (pending.size > 0) await sleep(o.pollIntervalMs / C);
    }
  };
  // e: on the push event, deploy everywhere at once.
  const naive = async (i: number, digest: string) => {
    await Promise.all(regions.map((region) => executor.start(request(i, region, digest))));
  };

  const pushes: Array<{ repository: string; digest: string }> = [];
  try {
    for (let i = 0; i < o.pushes; i++) {
      regions.forEach((r, k) => (delays[r] = delaysPerPush[i]![k]!));
      const rec = stack.acr.push({ repository: repoOf(i), tag: `1.0.${i}` });
      pushes.push({ repository: rec.repository, digest: rec.digest });
      if (strategy === 'd') scripts.push(pollingScript(i, rec.digest));
      if (strategy === 'e') scripts.push(naive(i, rec.digest));
      await sleep(o.pushSpacingMs);
    }
    const startedPair = (region: string, digest: string) =>
      stack.aks.runCommands().some((c) => c.region === region && c.script.includes(digest));
    const deadline = Date.now() + o.delayRangeMs[1] / C + 4 * interval * 1000 + 10_000;
    while (Date.now() < deadline) {
      const done = pushes.every((p) =>
        regions.every(
          (r) => startedPair(r, p.digest) && stack.acr.replicatedAt(r, p.repository, p.digest) !== undefined,
        ),
      );
      if (done) break;
      await sleep(100);
    }
    await sleep(500); // late duplicates, if any, would show up here
    stopScripts = true;
    await Promise.allSettled(scripts);
    await stack.aks.idle();

    const commands = stack.aks.runCommands();
    const pulls = stack.aks.pulls();
    const result: StrategyResult = {
      strategy,
      name: STRATEGIES[strategy],
      regions: regions.length,
      pairs: pushes.length * regions.length,
      started: 0,
      startDelays: [],
      readyDelays: [],
      failedPulls: pulls.filter((p) => !p.ok).length,
      extraCommands: 0,
      startedEarly: 0,
      wallMs: 0,
    };
    for (const p of pushes)
      for (const region of regions) {
        const mine = commands.filter((c) => c.region === region && c.script.includes(p.digest));
        result.extraCommands += Math.max(0, mine.length - 1);
        const first = mine[0];
        const replicated = stack.acr.replicatedAt(region, p.repository, p.digest)?.getTime();
        if (!first || replicated === undefined) continue;
        result.started++;
        const startAt = Date.parse(first.time);
        result.startDelays.push(startAt - replicated);
        if (startAt < replicated) result.startedEarly++;
        const myPulls = pulls.filter((x) => x.region === region && x.image.includes(p.digest));
        const failed = myPulls.find((x) => !x.ok);
        result.readyDelays.push(
          failed
            ? kubeletRetryReady(Date.parse(failed.time), replicated, C) - replicated
            : startAt - replicated,
        );
      }
    result.wallMs = Date.now() - started;
    return result;
  } finally {
    stopScripts = true;
    await Promise.allSettled(scripts);
    await stack.stop();
  }
}

export async function runReactionBench(opts: ReactionOptions = {}): Promise<ReactionReport> {
  const o = {
    pushes: opts.pushes ?? 20,
    compression: opts.compression ?? 10,
    delayRangeMs: opts.delayRangeMs ?? ([2000, 60_000] as [number, number]),
    reconcileIntervalSeconds: opts.reconcileIntervalSeconds ?? 30,
    pollIntervalMs: opts.pollIntervalMs ?? 10_000,
    pushSpacingMs: opts.pushSpacingMs ?? 400,
    seed: opts.seed ?? 7,
    queue: opts.queue ?? true,
    timerSeconds: opts.timerSeconds,
    nudgeBudgetMs: opts.nudgeBudgetMs,
  };
  const progress = opts.progress ?? (() => undefined);
  const results: StrategyResult[] = [];
  for (const count of opts.regionCounts ?? [3, 10]) {
    const regions = REGION_POOL.slice(0, count);
    const rnd = seeded(o.seed + count);
    const [lo, hi] = o.delayRangeMs.map((d) => d / o.compression) as [number, number];
    // Same delays for every strategy: push i, region k (the home region lands at once).
    const delaysPerPush = Array.from({ length: o.pushes }, () =>
      regions.map((_, k) => (k === 0 ? 0 : Math.round(lo + rnd() * (hi - lo)))),
    );
    for (const s of opts.strategies ?? (['a', 'b', 'c', 'd', 'e'] as StrategyId[])) {
      const r = await runStrategy(s, [...regions], o, delaysPerPush);
      progress(
        `reaction: ${count} regions, ${s} (${r.name}): ${r.started}/${r.pairs} started, p50 ${secs(percentile(r.readyDelays, 50))} s, failed pulls ${r.failedPulls}, ${secs(r.wallMs)} s`,
      );
      results.push(r);
    }
  }
  return {
    compression: o.compression,
    reconcileIntervalSeconds: o.reconcileIntervalSeconds,
    pollIntervalMs: o.pollIntervalMs,
    delayRangeMs: o.delayRangeMs,
    pushes: o.pushes,
    results,
  };
}

const HEADERS = [
  'regions',
  'strategy',
  'started',
  'p50 s',
  'p95 s',
  'max s',
  'p50 s (x C)',
  'p95 s (x C)',
  'max s (x C)',
  'failed pulls',
  'extra cmds',
  'started early',
];

export function reactionRows(report: ReactionReport): Row[] {
  const C = report.compression;
  return report.results.map((r) => {
    const d = r.readyDelays;
    return [
      r.regions,
      `${r.strategy}. ${r.name}`,
      `${r.started}/${r.pairs}`,
      secs(percentile(d, 50)),
      secs(percentile(d, 95)),
      secs(max(d)),
      secs(percentile(d, 50) * C),
      secs(percentile(d, 95) * C),
      secs(max(d) * C),
      r.failedPulls,
      r.extraCommands,
      r.startedEarly,
    ];
  });
}

export function reactionRatioRows(report: ReactionReport): Row[] {
  const rows: Row[] = [];
  for (const regions of [...new Set(report.results.map((r) => r.regions))]) {
    const of = (s: StrategyId) => report.results.find((r) => r.regions === regions && r.strategy === s);
    const a = of('a');
    if (!a) continue;
    for (const s of ['b', 'c', 'd', 'e'] as StrategyId[]) {
      const x = of(s);
      if (!x) continue;
      rows.push([
        regions,
        `${s}/a`,
        ratio(percentile(x.readyDelays, 50), percentile(a.readyDelays, 50)),
        ratio(percentile(x.readyDelays, 95), percentile(a.readyDelays, 95)),
        ratio(max(x.readyDelays), max(a.readyDelays)),
      ]);
    }
  }
  return rows;
}

export const RATIO_HEADERS = ['regions', 'ratio', 'p50', 'p95', 'max'];

export function reactionNotes(report: ReactionReport): string[] {
  const C = report.compression;
  return [
    `Scale: ${C}x compressed. Replication delays ${report.delayRangeMs[0] / 1000}-${report.delayRangeMs[1] / 1000} s ran as ${report.delayRangeMs[0] / C / 1000}-${report.delayRangeMs[1] / C / 1000} s (seeded, the same for every strategy); reconcile interval ${report.reconcileIntervalSeconds} s ran as ${report.reconcileIntervalSeconds / C} s; polling script every ${report.pollIntervalMs / 1000} s ran as ${report.pollIntervalMs / C / 1000} s. "x C" columns multiply the measured figures by ${C}: right for interval-bound waits (b, c, d), pessimistic for (a), whose delay is processing time that does not grow with the scale.`,
    `${report.pushes} pushes, one per repository (20 services, each a workload in every cluster), 400 ms apart; the home region is wave 0, the others wave 1 (they wait for the home rollout to succeed, as the product's default safe order does).`,
    'Delay = replica holds the digest (ACR simulator replicatedAt) -> first rollout command whose image pull succeeds (AKS simulator run command). For (e), whose first pulls fail, the successful pull is the kubelet retry, modelled with its image pull back-off (10 s doubling to 300 s, compressed alike); "started early" counts commands sent before the replica held the digest.',
    "(b) drops 30 % of ALL webhook deliveries (home and regional): lost pushes are found by the timer's registry scan, lost readiness by its manifest check. (c) keeps only the home region's webhook: releases are planned at once, every other region's readiness comes from the timer's check.",
  ];
}

export function printReaction(report: ReactionReport, out: (s: string) => void = console.log): void {
  out('Reaction: replica holds digest -> rollout started (seconds)');
  out(textTable(HEADERS, reactionRows(report)));
  out('');
  out(textTable(RATIO_HEADERS, reactionRatioRows(report)));
  for (const n of reactionNotes(report)) out(`- ${n}`);
}

export function reactionMarkdown(report: ReactionReport): string {
  return [
    markdownTable(HEADERS, reactionRows(report)),
    '',
    markdownTable(RATIO_HEADERS, reactionRatioRows(report)),
    '',
    ...reactionNotes(report).map((n) => `- ${n}`),
  ].join('\n');
}

if (require.main === module) {
  runReactionBench({ progress: (l) => console.error(l) }).then(
    (r) => printReaction(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
