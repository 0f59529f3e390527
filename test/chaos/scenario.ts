// One chaos run per seed: the whole product on the simulators and an on-disk Azurite, under every
// fault at once (the FAULT_STEPS below, each drawn from the seed), a second app instance racing
// the scheduled timer, and an Azurite restart mid-run. When the faults stop and the app converged
// on its own timer, everything the invariants need is read into a plain snapshot and the stack is
// stopped, so seeds can run side by side and be checked afterwards (chaos.test.ts).
//
// To add a fault: append a FaultStep (injected before the pushes, or a third into them with
// `at: 'mid'`; cleared when they stop).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OLD_DIGEST, stackClusterId, startStack, type Stack } from '../../dev/stack';
import { seededRandom } from '../../dev/prng';
import { poisonSome } from '../../dev/wakeup-faults';
import { buildDeps, type AppDeps } from '../../src/app/composition';
import { parseConfig } from '../../src/app/config/schema';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import type { DeliveryRecord } from '../../src/core/intake/store';
import { readDeliveries, tablesOf } from '../support/table-rows';

export const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
export const REPOS = ['my-app', 'billing'];
export const WORKLOAD_KEY: Record<string, string> = {
  'my-app': 'default/Deployment/my-app/my-app',
  billing: 'default/Deployment/billing/billing',
};
export { OLD_DIGEST };

export interface ChaosOptions {
  seed: number;
  /** Regional webhook timestamps: ACR's push time, or the time the image landed in that region. */
  stamps: 'push' | 'landing';
  pushes: number;
}

export interface PushMade {
  index: number;
  repository: string;
  tag: string;
  digest: string;
}

/** What a fault step did, so the checks know the bounds it allows (e.g. re-sent commands). */
export interface FaultBudget {
  /** Command results made unreadable: each may cost one re-run of that command. */
  lostResults: number;
  /** runCommand POSTs left unanswered (the command still runs): each costs one fenced re-send. */
  lostStarts: number;
  /** How late the late older command runs (drawn once per run). */
  lateCommandDelayMs?: number;
}

export interface FaultStep {
  name: string;
  /** When it is injected: before the first push (default), or a third into the pushes. */
  at?: 'start' | 'mid';
  inject(stack: Stack, rng: () => number, budget: FaultBudget): void;
  /** Called in FAULT_STEPS order when the pushes stop. */
  clear(stack: Stack, budget: FaultBudget): void;
}

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** The faults of every run; counts and targets drawn from the seed. */
export const FAULT_STEPS: FaultStep[] = [
  {
    // Queue wake-ups: about a third lost, copies sent twice, all a second late (the fault
    // layer at the app's queue boundary); a fifth of the messages fail every invocation (set at
    // start: QUEUE_HOST below), so the trigger retries them 5 times and poisons them.
    name: 'queue: wake-ups lost, duplicated, delayed; some poisoned',
    inject: (stack, rng) => {
      if (stack.wakeups)
        stack.wakeups.faults = { dropRate: 0.25 + rng() * 0.1, duplicates: 1, delaySeconds: 1 };
    },
    clear: (stack) => {
      if (stack.wakeups) stack.wakeups.faults = {};
    },
  },
  {
    name: 'webhooks: dropped, duplicated, reordered',
    inject: (stack, rng) =>
      stack.acr.setFaults({
        dropRate: 0.2 + rng() * 0.2,
        duplicates: int(rng, 1, 2),
        reorder: true,
        reorderWindowMs: 400,
      }),
    clear: (stack) => stack.acr.setFaults({ dropRate: 0, duplicates: 0, reorder: false }),
  },
  {
    name: 'registry: hung, throttled and failing requests per region',
    inject: (stack, rng) => {
      const kinds = ['hang', '429', '503'] as const;
      const shift = int(rng, 0, 2);
      stack.acr.setFaults({
        registry: Object.fromEntries(
          REGIONS.map((region, i) => {
            const kind = kinds[(i + shift) % 3]!;
            return [
              region,
              kind === 'hang'
                ? { kind, count: int(rng, 1, 2) }
                : { kind, count: int(rng, 3, 6), ...(kind === '429' ? { retryAfterSeconds: 1 } : {}) },
            ];
          }),
        ),
      });
    },
    clear: (stack) =>
      stack.acr.setFaults({ registry: Object.fromEntries(REGIONS.map((r) => [r, undefined])) }),
  },
  {
    name: 'ARM: 429/409/500 on runCommand, 500 on get, 429 and lost command results',
    inject: (stack, rng, budget) => {
      for (const status of [429, 409, 500] as const)
        stack.aks.injectFault({ on: 'runCommand', status, times: int(rng, 1, 3), retryAfterSeconds: 1 });
      budget.lostResults += int(rng, 1, 2);
      stack.aks.injectFault({ on: 'commandResults', effect: 'lost-result', times: budget.lostResults });
      stack.aks.injectFault({ on: 'get', status: 500, times: int(rng, 1, 2) });
      stack.aks.injectFault({
        on: 'commandResults',
        status: 429,
        times: int(rng, 1, 3),
        retryAfterSeconds: 1,
      });
    },
    clear: (stack) => stack.aks.clearFaults(),
  },
  {
    // A late older command: the first start's answer is lost and its command runs only
    // after the executor's 20 s timeout, the fenced re-send and the newer release waiting behind
    // the workload lock have all gone through, so its fence refuses it; then a start whose answer
    // was lost while its command ran at once (the re-send is idempotent).
    name: 'late older command + lost start answer',
    inject: (stack, rng, budget) => {
      budget.lateCommandDelayMs = int(rng, 28_000, 34_000);
      hangStarts(stack, budget, 2);
      budget.lostStarts += 2;
    },
    // The ARM step before this one cleared every ARM fault. A loaded machine may have started
    // nothing yet while the faults were on: the hangs not yet used stay for the first starts after
    // (refused starts never reach the command log, so the first accepted commands are the hung ones).
    clear: (stack, budget) => hangStarts(stack, budget, Math.max(0, 2 - stack.aks.runCommands().length)),
  },
];

/** The last `n` of [late hung start, hung start] as ARM faults on runCommand. */
function hangStarts(stack: Stack, budget: FaultBudget, n: number): void {
  if (n >= 2)
    stack.aks.injectFault({
      on: 'runCommand',
      effect: 'hang',
      times: 1,
      commandStartDelayMs: budget.lateCommandDelayMs,
    });
  if (n >= 1) stack.aks.injectFault({ on: 'runCommand', effect: 'hang', times: 1 });
}

export interface ChaosSnapshot {
  options: ChaosOptions;
  pushes: PushMade[];
  restarted: boolean;
  converged: boolean;
  budget: FaultBudget;
  /** Per "region workload": the digests the cluster ran over time, in order. */
  seen: Record<string, string[]>;
  /** Per region: workload -> image the cluster runs at the end. */
  images: Record<string, Record<string, string>>;
  /** Per region: the ledger at the end. */
  ledger: Record<string, Array<{ workload: string; digest: string; releaseId?: string; inFlight?: string }>>;
  /** Per region: workload -> the release annotation on the object (the fence). */
  annotations: Record<string, Record<string, string | undefined>>;
  commands: Array<{
    cluster: string;
    commandId: string;
    script: string;
    /** When ARM accepted it, when its script began, and its exit code. */
    time: string;
    startedAt?: string | undefined;
    exitCode?: number | undefined;
  }>;
  failedPulls: unknown[];
  acked: Array<{ region: string; eventId: string; status: number }>;
  storedDeliveries: Array<{ region?: string | undefined; eventId: string }>;
  activeAtEnd: number;
  /** Queue faults that happened: wake-ups lost and duplicated, messages handled and poisoned. */
  queue: { dropped: number; duplicated: number; succeeded: number; poisoned: number };
  /** Wall time of the run: pushes, then convergence after the faults stopped (ms). */
  pushMs: number;
  convergeMs: number;
  /** Store state of the newest push per repository, for failure messages. */
  diagnosis: Record<string, string>;
  /** Each release still active when the run ended: its record and region rollouts (JSON). */
  activeDetail: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const digestOf = (image: string) => /@(sha256:[0-9a-f]{64})$/.exec(image)?.[1] ?? image;
const newestDigest = (pushes: PushMade[], repository: string) =>
  [...pushes].reverse().find((p) => p.repository === repository)?.digest;

export async function runChaos(options: ChaosOptions): Promise<ChaosSnapshot> {
  const rng = seededRandom(options.seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-azurite-'));
  const stack = await startStack({
    regions: REGIONS,
    regionalTimestamp: options.stamps,
    seed: options.seed,
    defaultDelayMs: [100, 1500],
    workloads: REPOS.map((r) => ({ repository: r, name: r })),
    reconcileEverySeconds: 1,
    azuriteLocation: dir,
    queues: true,
    wakeupFaults: {},
    queueHost: { settings: { visibilityTimeoutMs: 200 }, failWhen: poisonSome(0.2) },
    rolloutMs: 150,
    pullFailureDelayMs: 150,
    policy: {
      maxAttempts: 8,
      retryBaseSeconds: 0.3,
      rolloutTimeoutSeconds: 4,
      replicaCheckIntervalSeconds: 0.5,
      rolloutPollIntervalSeconds: 0.3,
    },
  });
  try {
    return await drive(stack, options, rng);
  } finally {
    await stack.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function drive(stack: Stack, options: ChaosOptions, rng: () => number): Promise<ChaosSnapshot> {
  // A second app instance on the same storage, racing the first one's timer.
  const second = buildDeps(parseConfig(stack.settings));
  await stack.host.runTimers(); // installed before the pushes: the scan starts watching now
  const budget: FaultBudget = { lostResults: 0, lostStarts: 0 };
  const inject = (at: 'start' | 'mid') => {
    for (const step of FAULT_STEPS) if ((step.at ?? 'start') === at) step.inject(stack, rng, budget);
  };
  inject('start');

  const pushes: PushMade[] = [];
  const seen = new Map<string, string[]>();
  let converged = false;
  const sample = () => {
    for (const region of REGIONS)
      for (const [workload, image] of Object.entries(stack.aks.images(stackClusterId(region)))) {
        const key = `${region} ${workload}`;
        const list = seen.get(key) ?? [];
        const d = digestOf(image);
        if (list[list.length - 1] !== d) list.push(d);
        seen.set(key, list);
      }
  };
  let chaos = true;
  const log = new Logger(silentSink);
  const loops = [
    (async () => {
      while (chaos) {
        await reconcileAll(second, log).catch(() => undefined);
        await sleep(250);
      }
    })(),
    (async () => {
      while (chaos) {
        await stack.host.runTimers();
        await sleep(600);
      }
    })(),
    (async () => {
      while (!converged) {
        sample();
        await sleep(50);
      }
    })(),
  ];

  const t0 = Date.now();
  let restarted = false;
  let restart: Promise<void> | undefined;
  const restartAt = int(rng, Math.floor(options.pushes / 3), Math.floor((2 * options.pushes) / 3));
  for (let i = 0; i < options.pushes; i++) {
    const repository = REPOS[int(rng, 0, REPOS.length - 1)]!;
    // A moving tag and unique tags, so heads move and late regional events name older pushes.
    const tag = rng() < 0.35 ? 'latest' : `1.0.${i}`;
    const rec = stack.acr.push({ repository, tag });
    pushes.push({ index: i, repository, tag, digest: rec.digest });
    if (i === Math.floor(options.pushes / 3)) inject('mid');
    if (i === restartAt)
      restart = stack.restartAzurite(int(rng, 800, 1500)).then(() => {
        restarted = true;
      });
    await sleep(int(rng, 150, 450));
  }
  await restart;
  await sleep(1500);

  // The faults stop; the app catches up on its own timer.
  for (const step of FAULT_STEPS) step.clear(stack, budget);
  chaos = false;
  const t1 = Date.now();
  // A generous deadline on a positive condition (a loaded machine converges later, not differently).
  const deadline = Date.now() + 150_000;
  let activeAtEnd = -1;
  while (Date.now() < deadline) {
    const images = REGIONS.map((r) => stack.aks.images(stackClusterId(r)));
    const allNewest = images.every((img) =>
      REPOS.every(
        (repo) =>
          newestDigest(pushes, repo) === undefined ||
          digestOf(img[WORKLOAD_KEY[repo]!] ?? '') === newestDigest(pushes, repo),
      ),
    );
    activeAtEnd = (await second.store.listActiveReleases().catch(() => [{}])).length;
    if (allNewest && activeAtEnd === 0) {
      converged = true;
      break;
    }
    await sleep(500);
  }
  await stack.acr.deliveriesSettled();
  await stack.aks.idle();
  sample();
  const done = converged;
  const timing = { pushMs: t1 - t0, convergeMs: Date.now() - t1 };
  converged = true; // stops the sampler
  await Promise.all(loops);
  // A failing message is retried 5 times, a second apart at least: it may still be on its way.
  const advance = () => stack.host.queueStats().advance;
  const poisonDeadline = Date.now() + 60_000;
  while ((advance()?.poisoned ?? 0) === 0 && Date.now() < poisonDeadline) await sleep(250);
  const queue = {
    dropped: stack.wakeups?.dropped ?? 0,
    duplicated: stack.wakeups?.duplicated ?? 0,
    succeeded: advance()?.succeeded ?? 0,
    poisoned: advance()?.poisoned ?? 0,
  };
  return snapshot(stack, second, {
    queue,
    options,
    pushes,
    restarted,
    converged: done,
    budget,
    seen,
    activeAtEnd,
    ...timing,
  });
}

async function snapshot(
  stack: Stack,
  second: AppDeps,
  run: Pick<
    ChaosSnapshot,
    | 'options'
    | 'pushes'
    | 'restarted'
    | 'converged'
    | 'budget'
    | 'activeAtEnd'
    | 'pushMs'
    | 'convergeMs'
    | 'queue'
  > & {
    seen: Map<string, string[]>;
  },
): Promise<ChaosSnapshot> {
  const images: ChaosSnapshot['images'] = {};
  const ledger: ChaosSnapshot['ledger'] = {};
  const annotations: ChaosSnapshot['annotations'] = {};
  for (const region of REGIONS) {
    images[region] = stack.aks.images(stackClusterId(region));
    ledger[region] = (await second.store.listLedger(region)).map((l) => ({
      workload: l.workload,
      digest: l.digest,
      releaseId: l.releaseId,
      inFlight: l.inFlightReleaseId,
    }));
    annotations[region] = Object.fromEntries(
      stack.aks
        .workloads(stackClusterId(region))
        .map((w) => [
          `${w.namespace}/${w.kind}/${w.name}/${w.containers[0]?.name ?? ''}`,
          w.annotations['acr-geo-rollout/release'],
        ]),
    );
  }
  const ran = new Map(
    (
      stack.aks.state() as {
        runCommands: Array<{ commandId: string; exitCode?: number; startedAt?: string }>;
      }
    ).runCommands.map((r) => [r.commandId, r]),
  );
  const acked = stack.acr
    .deliveries()
    .filter((d) => !d.dropped && d.status !== undefined && d.status >= 200 && d.status < 300)
    .map((d) => ({ region: d.region, eventId: d.payload.id, status: d.status!, day: d.payload.timestamp }));
  const days = [...new Set(acked.map((d) => d.day.slice(0, 10)))];
  const stored: DeliveryRecord[] = (
    await Promise.all(days.map((d) => readDeliveries(tablesOf(second), d)))
  ).flat();
  const diagnosis: Record<string, string> = {};
  for (const repo of REPOS) diagnosis[repo] = await diagnose(second, run.pushes, repo);
  const activeDetail: string[] = [];
  for (const a of await second.store.listActiveReleases()) {
    const release = await second.store.getRelease(a.releaseId);
    const rollouts = await second.store.listRollouts(a.releaseId, REGIONS);
    activeDetail.push(JSON.stringify({ active: a, release, rollouts, now: new Date().toISOString() }));
  }
  return {
    ...run,
    seen: Object.fromEntries(run.seen),
    images,
    ledger,
    annotations,
    commands: stack.aks.runCommands().map((c) => ({
      cluster: c.cluster,
      commandId: c.commandId,
      script: c.script,
      time: c.time,
      startedAt: ran.get(c.commandId)?.startedAt,
      exitCode: ran.get(c.commandId)?.exitCode,
    })),
    failedPulls: stack.aks.pulls().filter((p) => !p.ok),
    acked: acked.map(({ region, eventId, status }) => ({ region, eventId, status })),
    storedDeliveries: stored.map((s) => ({ region: s.region, eventId: s.eventId })),
    diagnosis,
    activeDetail,
  };
}

/** What the store says about the newest push of a repository (for failure messages). */
async function diagnose(deps: AppDeps, pushes: PushMade[], repository: string): Promise<string> {
  const p = [...pushes].reverse().find((x) => x.repository === repository);
  if (!p) return 'no push';
  const head = await deps.store.getTagHead(repository, p.tag);
  const releaseId =
    (await deps.store.getTagDigestRelease(repository, p.tag, p.digest)) ?? head?.releaseId ?? '';
  const rollouts = releaseId ? await deps.store.listRollouts(releaseId, REGIONS) : [];
  return JSON.stringify(
    {
      push: p,
      head,
      releaseId,
      release: releaseId ? await deps.store.getRelease(releaseId) : undefined,
      rollouts: rollouts.map((r) => ({
        region: r.region,
        state: r.state,
        reason: r.reason,
        attempts: r.attempts,
        lastError: r.lastError,
      })),
    },
    null,
    2,
  );
}
