// Operator-controls benchmark: what do holds, a pause and waiting approvals cost the
// reconciler? Through the local host, the simulators and Azurite: N releases of N repositories
// sit in the steady state (wave 0 done, wave 1 awaiting approval), and one timer run is measured
// (Table operations, wall time) as the baseline; then every region is held and half the releases
// are paused, and the same run is measured again, in the same process. Then the waves are
// approved with the holds still in place (nothing may start), and once more after the holds are
// lifted (everything starts). Figures and ratios, not assertions.
import { setTimeout as sleep } from 'node:timers/promises';
import type { TableRolloutStore } from '../src/adapters/tables/table-store';
import type { ReleasesPageView } from '../src/app/status/releases';
import { startStack, type Stack } from '../dev/stack';
import { ratio, textTable, type Row } from './support/report';

interface RunFigure {
  label: string;
  tableOps: number;
  wallMs: number;
  runCommands: number;
}

const post = (stack: Stack, path: string, body: unknown) =>
  fetch(`${stack.host.url}/api${path}`, {
    method: path.startsWith('/holds/') ? 'DELETE' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

async function measure(stack: Stack, label: string): Promise<RunFigure> {
  const store = stack.host.deps().store as TableRolloutStore;
  const commands = stack.aks.runCommands().length;
  const before = store.operations;
  const t0 = performance.now();
  await stack.host.runTimers();
  return {
    label,
    tableOps: store.operations - before,
    wallMs: Math.round(performance.now() - t0),
    runCommands: stack.aks.runCommands().length - commands,
  };
}

async function steady(stack: Stack, n: number): Promise<string[]> {
  for (;;) {
    await stack.host.runTimers();
    const page = await stack.api<ReleasesPageView>('/api/releases?limit=100');
    const waiting = page.releases.filter((r) =>
      r.rollouts.filter((x) => x.wave > 0).every((x) => x.state === 'awaiting-approval'),
    );
    if (page.releases.length === n && waiting.length === n) return page.releases.map((r) => r.id);
    await sleep(100);
  }
}

export async function runOperatorBench(n = 20): Promise<RunFigure[]> {
  const workloads = Array.from({ length: n }, (_, i) => ({ repository: `svc${i}`, name: `svc${i}` }));
  const stack = await startStack({
    timers: false,
    workloads,
    rolloutMs: 50,
    pullFailureDelayMs: 50,
    policy: { approvalWaves: [1] },
  });
  try {
    for (let i = 0; i < n; i++) stack.acr.push({ repository: `svc${i}`, tag: '1.0.0' });
    const ids = await steady(stack, n);
    await stack.host.runTimers(); // settle the last writes
    const out = [
      await measure(stack, 'baseline: wave 1 awaiting approval'),
      await measure(stack, 'baseline again'),
    ];
    const holds: string[] = [];
    for (const region of stack.regions) holds.push(String((await post(stack, '/holds', { region })).body.id));
    for (const id of ids.slice(0, n / 2)) await post(stack, `/releases/${id}/pause`, {});
    out.push(await measure(stack, `every region held, ${n / 2} releases paused`));
    for (const id of ids.slice(0, n / 2)) await post(stack, `/releases/${id}/resume`, {});
    for (const id of ids) await post(stack, `/releases/${id}/approve`, { wave: 1 });
    out.push(await measure(stack, 'approved, still held (nothing may start)'));
    // Lifting a hold nudges the releases there at once: count the commands from the first DELETE.
    const commands = stack.aks.runCommands().length;
    for (const h of holds) await post(stack, `/holds/${h}`, {});
    const lifted = await measure(stack, 'holds lifted (DELETE nudges, then this run)');
    out.push({ ...lifted, runCommands: stack.aks.runCommands().length - commands });
    return out;
  } finally {
    await stack.stop();
  }
}

export function printOperator(rows: RunFigure[], out: (s: string) => void = console.log): void {
  const base = rows[0]!;
  const table: Row[] = rows.map((r) => [
    r.label,
    r.tableOps,
    ratio(r.tableOps, base.tableOps),
    r.wallMs,
    r.runCommands,
  ]);
  out(textTable(['timer run', 'table ops', 'ops vs baseline', 'wall ms', 'run commands'], table));
}

if (require.main === module) {
  runOperatorBench().then(
    (r) => printOperator(r),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
