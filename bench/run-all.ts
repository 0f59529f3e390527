// `npm run bench`: the reaction, ingest, scale and access-path benchmarks in one run, a summary
// table, the machine and the date; the same as Markdown in bench/RESULTS.md (for docs/performance.md).
// Figures, not assertions.
import fs from 'node:fs';
import path from 'node:path';
import {
  STRATEGIES,
  printReaction,
  reactionMarkdown,
  runReactionBench,
  type ReactionReport,
  type StrategyId,
} from './reaction';
import { printScale, runScaleBench, scaleMarkdown, type ScaleReport } from './scale';
import { runAccessPathBench, type AccessPathReport } from './access-paths';
import { machine, markdownTable, max, percentile, ratio, secs, textTable, type Row } from './support/report';

interface IngestRowLike {
  scenario: string;
  concurrency: number;
  n: number;
  ok: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}
interface IngestLike {
  rows: IngestRowLike[];
  rawInsert: { concurrency: number; perSecond: number; p50Ms: number; p99Ms: number };
  ratio: number;
  intakeOnlyRatio?: number | undefined;
  table: string;
}

async function runIngest(): Promise<IngestLike | string> {
  const file = path.join(__dirname, 'ingest.ts');
  if (!fs.existsSync(file)) return 'bench/ingest.ts is not present: ingest benchmark skipped';
  // Loaded only when present (another piece of work provides it).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./ingest') as {
    runIngestBench?: (o: { print?: boolean }) => Promise<IngestLike>;
  };
  if (typeof mod.runIngestBench !== 'function')
    return 'bench/ingest.ts exports no runIngestBench: ingest benchmark skipped';
  return mod.runIngestBench({ print: false });
}

function summaryRows(
  reaction: ReactionReport | undefined,
  ingest: IngestLike | string | undefined,
  scale: ScaleReport | undefined,
): Row[] {
  const rows: Row[] = [];
  if (reaction) {
    for (const regions of [...new Set(reaction.results.map((r) => r.regions))]) {
      const of = (s: StrategyId) => reaction.results.find((r) => r.regions === regions && r.strategy === s);
      const a = of('a');
      for (const s of ['a', 'b', 'c', 'd', 'e'] as StrategyId[]) {
        const x = of(s);
        if (!x) continue;
        rows.push([
          'reaction',
          `${regions} regions, ${s}. ${STRATEGIES[s]}`,
          `p50 ${secs(percentile(x.readyDelays, 50))} s, p95 ${secs(percentile(x.readyDelays, 95))} s, max ${secs(max(x.readyDelays))} s (raw); failed pulls ${x.failedPulls}; extra commands ${x.extraCommands}`,
          s === 'a' || !a
            ? s === 'a'
              ? `target p50 < 1 s: ${percentile(x.readyDelays, 50) < 1000 ? 'met' : 'NOT met'}; 0 failed pulls: ${x.failedPulls === 0 ? 'met' : 'NOT met'}`
              : ''
            : `p50 ${ratio(percentile(x.readyDelays, 50), percentile(a.readyDelays, 50))} of a` +
              (s === 'b' || s === 'c'
                ? `; max <= interval (${reaction.reconcileIntervalSeconds / reaction.compression} s raw): ${max(x.readyDelays) <= (reaction.reconcileIntervalSeconds / reaction.compression) * 1000 ? 'met' : 'NOT met'}`
                : ''),
        ]);
      }
    }
  }
  if (typeof ingest === 'string') rows.push(['ingest', 'skipped', ingest, '']);
  else if (ingest) {
    const top =
      [...ingest.rows].filter((r) => r.concurrency === 32)[0] ?? ingest.rows[ingest.rows.length - 1];
    if (top)
      rows.push([
        'ingest',
        `${top.scenario}, concurrency ${top.concurrency}`,
        `${top.perSecond.toFixed(0)} webhooks/s, p99 ${top.p99Ms.toFixed(0)} ms`,
        `${ingest.ratio.toFixed(2)}x of raw Azurite inserts (${ingest.rawInsert.perSecond.toFixed(0)}/s)`,
      ]);
  }
  if (scale) {
    for (const run of scale.runs)
      rows.push([
        'scale',
        `${scale.activeRollouts} active rollouts, ${run.label}`,
        `${run.noHistory.wallMs.toFixed(0)} ms / ${run.history.wallMs.toFixed(0)} ms wall; ${run.noHistory.tableOps} / ${run.history.tableOps} table ops; ${run.history.manifestChecks} manifest checks`,
        `history/no-history: wall ${ratio(run.history.wallMs, run.noHistory.wallMs)}, table ops ${ratio(run.history.tableOps, run.noHistory.tableOps)}`,
      ]);
  }
  return rows;
}

function ingestMarkdown(ingest: IngestLike | string | undefined): string {
  if (ingest === undefined) return '';
  if (typeof ingest === 'string') return `_${ingest}_`;
  return [
    markdownTable(
      ['scenario', 'concurrency', 'n', 'ok', 'webhooks/s', 'p50 ms', 'p99 ms', 'max ms'],
      ingest.rows.map((r) => [
        r.scenario,
        r.concurrency,
        r.n,
        r.ok,
        r.perSecond.toFixed(0),
        r.p50Ms.toFixed(0),
        r.p99Ms.toFixed(0),
        r.maxMs.toFixed(0),
      ]),
    ),
    '',
    `Raw Azurite inserts (concurrency ${ingest.rawInsert.concurrency}): ${ingest.rawInsert.perSecond.toFixed(0)}/s, p50 ${ingest.rawInsert.p50Ms.toFixed(0)} ms, p99 ${ingest.rawInsert.p99Ms.toFixed(0)} ms. Ingest/raw ratio: ${ingest.ratio.toFixed(2)}x${ingest.intakeOnlyRatio !== undefined ? ` (intake alone, nudge off: ${ingest.intakeOnlyRatio.toFixed(2)}x)` : ''}.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const progress = (l: string) => console.error(l);
  const started = Date.now();
  const m = machine();

  let reaction: ReactionReport | undefined;
  let ingest: IngestLike | string | undefined;
  let scale: ScaleReport | undefined;
  let access: AccessPathReport | undefined;
  if (want('reaction')) {
    reaction = await runReactionBench({ progress });
    printReaction(reaction);
    console.log('');
  }
  if (want('ingest')) {
    ingest = await runIngest();
    console.log(typeof ingest === 'string' ? ingest : ingest.table);
    console.log('');
  }
  if (want('scale')) {
    scale = await runScaleBench({ progress });
    printScale(scale);
    console.log('');
  }

  if (want('access')) {
    access = await runAccessPathBench();
    console.log(access.table);
    console.log('');
  }

  const headers = ['bench', 'case', 'figures', 'vs target / baseline'];
  const rows = summaryRows(reaction, ingest, scale);
  const machineLine = `${m.cpus} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform}; ${m.date}; total ${((Date.now() - started) / 1000).toFixed(0)} s`;
  console.log('Summary');
  console.log(textTable(headers, rows));
  console.log(`Machine: ${machineLine}`);

  const md = [
    '# Benchmark results',
    '',
    `Machine: ${machineLine}. Produced by \`npm run bench\` (bench/run-all.ts) on the loopback simulators and Azurite; figures, not assertions.`,
    '',
    '## Summary',
    '',
    markdownTable(headers, rows),
    '',
    ...(reaction
      ? ['## Reaction: replica holds the digest -> rollout started', '', reactionMarkdown(reaction), '']
      : []),
    ...(ingest !== undefined
      ? ['## Ingest: webhooks through the local host', '', ingestMarkdown(ingest), '']
      : []),
    ...(scale ? ['## Scale: cost follows active work, not history', '', scaleMarkdown(scale), ''] : []),
    ...(access ? ['## Access paths: kubernetes-api against run-command', '', access.markdown, ''] : []),
  ].join('\n');
  if (only.length === 0) fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md);
  else console.error('(a subset was run: bench/RESULTS.md left unchanged)');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
