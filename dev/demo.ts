// `npm run demo`: the product end to end on one machine, no Azure. A simulated geo-replicated ACR
// (home + slower replicas), one simulated AKS cluster per region running my-app at an old digest,
// Azurite and the real functions on the local host. It pushes my-app:1.0.0, then my-app:1.1.0
// while 1.0.0 is still replicating to the slow region, shows each region's state live, replays the
// first push with a naive strategy for contrast, and ends with a per-region summary.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerView } from '../src/app/status/ledger';
import type { ReleasesPageView } from '../src/app/status/releases';
import type { ReleaseDetailView, ReleaseSummaryView } from '../src/app/status/views';
import { isTerminal } from '../src/core/model/records';
import { LiveView, fmtMs, shortDigest } from './demo-live';
import { runNaive, type NaiveResult } from './demo-naive';
import { DemoApprover } from './demo-operator';
import { startNotifySink, type NotifySink } from './demo-notify';
import { DEMO_HELP, DemoOptionsError, parseDemoOptions, type DemoOptions } from './demo-options';
import { openDashboard, type DashboardCamera } from './demo-screenshot';
import { findKubectl } from './aks-simulator';
import { startStack, type Stack } from './stack';
import { invariantProblems } from './stack-invariants';

const REPOSITORY = 'my-app';
const WORKLOAD = 'default/Deployment/my-app/my-app';

interface Watch {
  latest(): ReleaseSummaryView[];
  stop(): Promise<void>;
}

/** Polls the status API (as the dashboard does) and feeds the live view. */
function watchReleases(stack: Stack, live: LiveView, digests: () => string[], approver: DemoApprover): Watch {
  let latest: ReleaseSummaryView[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const page = await stack.api<ReleasesPageView>(`/api/releases?repository=${REPOSITORY}&limit=10`);
        const wanted = digests();
        latest = page.releases.filter((r) => wanted.includes(r.digest));
        live.update(latest);
        await approver.check(latest);
      } catch {
        // The next poll tries again; the summary reports what the API finally says.
      }
      await sleep(200);
    }
  })();
  return {
    latest: () => latest,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const allTerminal = (r: ReleaseSummaryView | undefined) =>
  r !== undefined && r.rollouts.length === r.regions.length && r.rollouts.every((x) => isTerminal(x.state));

interface Outcome {
  ok: boolean;
  ourPullFailures: number;
  naive: NaiveResult | undefined;
}

async function run(
  o: DemoOptions,
  stack: Stack,
  sink: NotifySink,
  live: LiveView,
  camera: DashboardCamera | undefined,
): Promise<Outcome> {
  const slow = Object.entries(o.delays).sort((a, b) => b[1] - a[1])[0]?.[0] ?? o.regions[1]!;
  const slowDelay = o.delays[slow] ?? 0;
  const digests: string[] = [];
  const approver = new DemoApprover(
    stack,
    (t) => live.note(t),
    (id, wave) =>
      sink.received.some((m) => m.event === 'approval.required' && m.release?.id === id && m.wave === wave),
  );
  const watch = watchReleases(stack, live, () => digests, approver);
  let shot: Promise<void> | undefined;
  try {
    // 1. The first push.
    const first = stack.acr.push({ repository: REPOSITORY, tag: '1.0.0' });
    digests.push(first.digest);
    live.note(`1. pushed ${REPOSITORY}:1.0.0 (${shortDigest(first.digest)}) to ${o.home}; replicas follow`);
    const rel1 = await waitFor('release 1.0.0 to be planned', 15_000, () =>
      watch.latest().find((r) => r.digest === first.digest),
    );

    // 2. The second push, while 1.0.0 is still on its way to the slow region.
    const others = o.regions.filter((r) => r !== slow);
    await waitFor(`1.0.0 to finish outside ${slow}`, slowDelay + 20_000, () => {
      const r = watch.latest().find((x) => x.id === rel1.id);
      const done = others.every((region) => {
        const s = r?.rollouts.find((x) => x.region === region)?.state;
        return s !== undefined && isTerminal(s);
      });
      return done || Date.now() - Date.parse(rel1.pushedAt) > slowDelay * 0.75 ? true : undefined;
    });
    const second = stack.acr.push({ repository: REPOSITORY, tag: '1.1.0' });
    digests.push(second.digest);
    const slowNow = watch
      .latest()
      .find((x) => x.id === rel1.id)
      ?.rollouts.find((x) => x.region === slow)?.state;
    live.note(
      `2. pushed ${REPOSITORY}:1.1.0 (${shortDigest(second.digest)}) while ${slow} still ${slowNow ?? 'waits'} for 1.0.0` +
        (slowNow === 'waiting-for-replica' ? `; 1.0.0 should end superseded there` : ''),
    );
    const rel2 = await waitFor('release 1.1.0 to be planned', 15_000, () =>
      watch.latest().find((r) => r.digest === second.digest),
    );
    if (camera && o.screenshot) {
      const cell = (id: string, state: string) =>
        `:has(td[data-release="${id}"][data-region="${slow}"][data-state="${state}"])`;
      shot = camera
        .shoot(`tbody${cell(rel1.id, 'superseded')}${cell(rel2.id, 'waiting-for-replica')}`, o.screenshot)
        .then(
          () => live.note(`   (screenshot of the status page saved to ${o.screenshot})`),
          (err: unknown) => live.note(`   (no screenshot: ${String(err)})`),
        );
    }
    await waitFor('both releases to finish in every region', slowDelay * 2 + 60_000, () => {
      const l = watch.latest();
      return allTerminal(l.find((r) => r.id === rel1.id)) && allTerminal(l.find((r) => r.id === rel2.id))
        ? true
        : undefined;
    });
    await sleep(300); // one more poll, so the table shows the final states
    await shot;
  } finally {
    await watch.stop();
    live.stop();
  }

  // 3. The naive strategy, for contrast.
  const ourPullFailures = stack.pullFailures();
  live.note(`3. replaying the first push with a naive strategy: roll out every region on the push webhook`);
  let naive: NaiveResult | undefined;
  try {
    naive = await runNaive({
      regions: o.regions,
      home: o.home,
      delays: o.delays,
      rolloutMs: o.rolloutMs,
      repository: REPOSITORY,
      tag: '1.0.0',
      digest: digests[0],
      note: (t) => live.note(`   ${t}`),
    });
  } catch (err) {
    live.note(`   naive run failed: ${String(err)}`);
  }

  // 4. The summary, from the product's own API.
  const [id1, id2] = [digests[0]!, digests[1]!].map(
    (d) => watch.latest().find((r) => r.digest === d)?.id ?? '',
  ) as [string, string];
  const [d1, d2] = await Promise.all(
    [id1, id2].map((id) => stack.api<ReleaseDetailView>(`/api/releases/${id}`)),
  );
  const ledger = await stack.api<LedgerView>('/api/ledger');
  const final = d2!;
  const expected = final.digest;

  const rows: string[][] = [];
  let everyRegionOk = true;
  for (const region of o.regions) {
    const r2 = final.rollouts.find((r) => r.region === region);
    const r1 = d1!.rollouts.find((r) => r.region === region);
    const entry = ledger.regions
      .find((r) => r.region === region)
      ?.workloads.find((w) => w.workload === WORKLOAD);
    const image = stack.images(region)[WORKLOAD] ?? '';
    const onExpected = entry?.digest === expected && image.endsWith(`@${expected}`);
    if (!onExpected) everyRegionOk = false;
    const naiveRegion = naive?.regions.find((r) => r.region === region);
    rows.push([
      region + (region === o.home ? ' (home)' : ''),
      fmtMs(r2?.figures.replicationLagMs),
      fmtMs(r2?.figures.reactionDelayMs),
      fmtMs(r2?.figures.rolloutDurationMs),
      r1?.state ?? '–',
      r2?.state ?? '–',
      entry?.digest
        ? `${entry.tag ?? '?'} ${shortDigest(entry.digest)} ${onExpected ? '✔' : '✘'}`
        : '(none) ✘',
      (stack.access[region] ?? '?') + (stack.withoutKubectl.includes(region) ? ' (no kubectl)' : ''),
      String(stack.pullFailures(region)),
      naiveRegion ? `${naiveRegion.pullFailures} (${naiveRegion.result})` : '?',
    ]);
  }
  const header = [
    'region',
    'repl. lag',
    'reaction',
    'rollout',
    '1.0.0',
    '1.1.0',
    'final digest (ledger)',
    'access',
    'failed pulls: ours',
    'naive',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '  ' +
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();

  const p = (s = '') => process.stdout.write(s + '\n');
  p();
  p(`4. Summary: ${REPOSITORY}:1.1.0 = ${expected}`);
  p(
    '   (lag: push → the region’s replica held it; reaction: replica ready → rollout start; figures for 1.1.0)',
  );
  p(line(header));
  p(line(widths.map((w) => '─'.repeat(w))));
  rows.forEach((r) => p(line(r)));
  p();
  const naivePulls = naive?.pullFailures;
  const naiveWhere = naive?.regions.filter((r) => r.pullFailures > 0).map((r) => r.region) ?? [];
  p(
    `  failed pulls: ours ${ourPullFailures}, naive ${naivePulls ?? '?'}` +
      (naiveWhere.length ? ` (ImagePullBackOff in ${naiveWhere.join(', ')})` : ''),
  );
  p(
    approver.approved.length > 0
      ? `  operator actions: approved ${approver.approved.join(', ')} (policy.approvalWaves [1]; who and when: GET /api/audit)`
      : '  operator actions: none were needed',
  );
  const broken = await invariantProblems(stack, { [WORKLOAD]: expected });
  p(
    broken.length === 0
      ? '  invariants: hold (each cluster runs the newest release, the ledger equals what it runs, one start per attempt, no pull before the replica held the digest)'
      : `  invariants: BROKEN: ${broken.join('; ')}`,
  );
  const ok = everyRegionOk && ourPullFailures === 0 && broken.length === 0;
  p(
    ok
      ? `  result: ok: every region runs ${REPOSITORY}:1.1.0 (${shortDigest(expected)}), rolled out once its replica held it`
      : `  result: FAILED: ${!everyRegionOk ? 'a region is not on 1.1.0’s digest' : ''}${ourPullFailures ? ` ${ourPullFailures} failed pull(s) in our run` : ''}`,
  );
  // Without --keep the stack stops right after this summary: no link that is dead once printed.
  p(
    o.keep
      ? `  status page: ${stack.host.url}/api/dashboard   (JSON: /api/releases, /api/releases/{id}, /api/ledger)`
      : '  status page: it was up during the run and stops with the demo; `npm run demo -- --keep` keeps it up',
  );
  return { ok, ourPullFailures, naive };
}

/** One line on how the Run Command region's scripts run here (the real kubectl, or none on PATH). */
function runCommandNote(stack: Stack): string {
  const regions = stack.regions.filter((r) => stack.access[r] === 'run-command');
  if (regions.length === 0) return 'Every region is reached through the Kubernetes API.';
  const which = regions.join(', ');
  if (stack.withoutKubectl.length > 0)
    return (
      `kubectl: none on PATH, so ${stack.withoutKubectl.join(', ')} (Run Command) runs its scripts through the AKS ` +
      `simulator's own executor (the product's script tokenizer and a simulated kubectl) instead of sh + kubectl; ` +
      '`bash dev/setup.sh` installs kubectl.'
    );
  return `${which} (Run Command): its scripts run with sh + the real kubectl (${findKubectl() ?? 'kubectl'}) against its Kubernetes API simulator.`;
}

async function main(argv: string[]): Promise<number> {
  let o: DemoOptions;
  try {
    o = parseDemoOptions(argv);
  } catch (err) {
    if (!(err instanceof DemoOptionsError)) throw err;
    process.stderr.write(`demo: ${err.message}\n(see --help)\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(DEMO_HELP + '\n');
    return 0;
  }

  const live = new LiveView(process.stdout, o.regions);
  const delays = Object.entries(o.delays)
    .map(([r, ms]) => `${r} ${fmtMs(ms)}`)
    .join(', ');
  process.stdout.write(
    `Demo: registry home ${o.home}; replication delays ${delays}${o.speed !== 1 ? ` (speed ×${o.speed})` : ''}\n` +
      `Starting Azurite (in memory), the ACR and AKS simulators and the local Functions host…\n`,
  );
  const hostErrors: string[] = [];
  // Notifications go to a loopback sink that prints them as they arrive.
  const sink = await startNotifySink((line) => live.note(`   ${line}`));
  const stack = await startStack({
    regions: o.regions,
    home: o.home,
    delays: o.delays,
    rolloutMs: o.rolloutMs,
    pullFailureDelayMs: o.rolloutMs,
    reconcileEverySeconds: 1,
    // Wave 1 waits for an operator's approval: the demo approves it (dev/demo-operator.ts).
    policy: { approvalWaves: [1] },
    // Every cluster is a Kubernetes API simulator; the last region is reached through Run Command
    // (its script runs the real kubectl against the same simulator; without kubectl on PATH the
    // AKS simulator executes it on its own cluster), the others through the API.
    kubernetes: true,
    access: { [o.regions[o.regions.length - 1]!]: 'run-command' },
    hostPort: o.port,
    log: (level, message) => {
      if (level === 'error') hostErrors.push(message);
    },
    extraSettings: { NOTIFY_TARGETS: JSON.stringify([{ url: sink.url, format: 'json' }]) },
  });
  process.stdout.write(runCommandNote(stack) + '\n');
  let camera: DashboardCamera | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      await camera?.close().catch(() => undefined);
      await stack.stop();
      await sink.close();
    })());
  const onSignal = () => {
    process.stdout.write('\nStopping…\n');
    void shutdown().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let code = 1;
  try {
    process.stdout.write(`Status page: ${stack.host.url}/api/dashboard\n\n`);
    if (o.screenshot) {
      camera = await openDashboard(`${stack.host.url}/api/dashboard`);
    }
    const outcome = await run(o, stack, sink, live, camera);
    await camera?.close();
    camera = undefined;
    if (hostErrors.length > 0)
      process.stdout.write(
        `\n  (the functions logged ${hostErrors.length} error(s); first: ${hostErrors[0]})\n`,
      );
    process.stdout.write(
      `  notifications: ${sink.received.length} arrived at the loopback sink (${sink.url})\n`,
    );
    code = outcome.ok ? 0 : 1;
    if (o.keep) {
      process.stdout.write(`\nThe stack stays up: open ${stack.host.url}/api/dashboard — Ctrl-C to stop.\n`);
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      process.stdout.write('\nStopping…\n');
    }
  } catch (err) {
    process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    code = 1;
  } finally {
    await shutdown();
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${String(err)}\n`);
    process.exit(1);
  },
);
