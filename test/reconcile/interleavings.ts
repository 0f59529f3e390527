// A generated scenario of pushes, replication, webhook deliveries (duplicated, reordered,
// dropped), timer ticks, nudges running concurrently with ticks, and executor outcomes, run
// against the real use cases with a store the caller picks. After the faults stop, the system
// must settle, and the invariants of rules 1-7 (docs/rules.md) must hold throughout.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { AppConfig } from '../../src/app/config/schema';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import {
  isTerminal,
  type LedgerEntry,
  type RegionRolloutState,
  type Release,
} from '../../src/core/model/records';
import type { ReasonCode } from '../../src/core/rollout/reasons';
import type { RolloutStore } from '../../src/core/model/store';
import {
  newGateWatch,
  runOperatorStep,
  settleOperatorState,
  withClaimLatency,
  type OperatorStep,
} from './interleavings-operator';
import { fakeDeps } from '../support/fakes';
import { expectedNewer, type PushedRelease } from '../support/invariants';

export const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
export const REPOS = ['my-app', 'team/api'];
const TAGS = ['1.0', '1.1', 'latest'];

/** The reason codes a rollout may end with, per terminal state. */
const ENDING_CODES: Partial<Record<RegionRolloutState, ReasonCode[]>> = {
  succeeded: ['succeeded'],
  failed: ['attempts-exhausted', 'failed-permanent', 'cluster-busy-exhausted', 'start-resends-exhausted'],
  superseded: ['superseded', 'workloads-already-newer', 'newer-change-present'],
  skipped: ['older-version'],
  halted: ['halted'],
  'replication-timed-out': ['replication-timed-out'],
  'dry-run': ['dry-run'],
  canceled: ['canceled', 'rejected-digest'],
};

export type Step =
  | { kind: 'push'; repo: number; tag: number; digest: number; regionalStamp: 'push' | 'landing' }
  | { kind: 'replicate'; push: number; region: number }
  | { kind: 'deliver'; pick: number; duplicate: boolean; withTick: boolean }
  | { kind: 'drop'; pick: number }
  | { kind: 'tick'; seconds: number; concurrentTicks: number }
  | { kind: 'outcome'; mode: Mode }
  | OperatorStep;

/** fail-home: a bad release, failing for good in the home region only (it halts the later waves). */
type Mode = 'succeed' | 'fail-transient' | 'fail-permanent' | 'fail-home' | 'slow';

export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('push' as const),
      repo: fc.nat(1),
      tag: fc.nat(2),
      digest: fc.nat(3),
      regionalStamp: fc.constantFrom('push' as const, 'landing' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('replicate' as const), push: fc.nat(20), region: fc.nat(2) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      pick: fc.nat(50),
      duplicate: fc.boolean(),
      withTick: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat(50) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      seconds: fc.integer({ min: 1, max: 40 }),
      concurrentTicks: fc.integer({ min: 1, max: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('outcome' as const),
      mode: fc.constantFrom(
        'succeed' as const,
        'fail-transient' as const,
        'fail-permanent' as const,
        'fail-home' as const,
        'slow' as const,
      ),
    }),
  },
);

const digestOf = (repo: number, n: number) =>
  'sha256:' + createHash('sha256').update(`${repo}/${n}`).digest('hex');

interface Push {
  repository: string;
  tag: string;
  digest: string;
  at: string;
  regionalStamp: 'push' | 'landing';
  landed: Set<string>;
}
interface Delivery {
  region: string;
  body: string;
}

export interface ScenarioOptions {
  store: RolloutStore;
  config: AppConfig;
  /** Operator actions among the steps (their config has policy.approvalWaves). */
  operators?: boolean;
  /** Ledger history if the store records it (the in-memory one does). */
  ledgerHistory?: () => Array<{ before?: LedgerEntry | undefined; after: LedgerEntry }>;
  /** The three tags pushes pick from (default 1.0, 1.1 and latest). */
  tags?: readonly [string, string, string];
}

/** The order configured for a workload (by ledger key), read from the configuration as given. */
function orderOf(config: AppConfig, workload: string): 'pushed' | 'semver' {
  const w = config.workloads.find((c) => `${c.namespace}/${c.kind}/${c.name}/${c.container}` === workload);
  return w?.order ?? 'pushed';
}

/** What a ledger entry runs, as the independent order reads it. */
const ranOf = (l: Pick<LedgerEntry, 'releaseId' | 'pushedAt' | 'tag'>): PushedRelease => ({
  id: l.releaseId,
  pushedAt: l.pushedAt,
  tag: l.tag,
});

export async function runScenario(steps: Step[], opts: ScenarioOptions): Promise<void> {
  const { config } = opts;
  const lagging = withClaimLatency(opts.store);
  const store = lagging.store;
  const { clock, registry, executor, deps } = fakeDeps(config, store);
  const log = new Logger(silentSink);
  const pushes: Push[] = [];
  const queue: Delivery[] = [];
  const violations: string[] = [];
  let mode: Mode = 'succeed';
  const polls = new Map<string, number>();

  // Rule 2: a region never rolls out before its replica holds the digest.
  const started = new Map<string, number>();
  executor.accept = (req) => {
    if (!registry.holds(req.region, req.image.repository, req.image.digest))
      violations.push(
        `started ${req.releaseId} in ${req.region} before its replica held ${req.image.digest}`,
      );
    const k = `${req.releaseId}|${req.region}`;
    started.set(k, (started.get(k) ?? 0) + 1);
    return undefined;
  };
  executor.outcome = (cmd) => {
    const n = (polls.get(cmd.handle) ?? 0) + 1;
    polls.set(cmd.handle, n);
    if (mode === 'slow' && n < 3) return { kind: 'running' };
    if (mode === 'fail-transient') return { kind: 'failed', reason: 'ImagePullBackOff', transient: true };
    if (mode === 'fail-permanent') return { kind: 'failed', reason: 'container not found', transient: false };
    if (mode === 'fail-home' && cmd.region === REGIONS[0])
      return { kind: 'failed', reason: 'CrashLoopBackOff', transient: false };
    return { kind: 'succeeded', logs: 'ok' };
  };

  const payload = (p: Push, region: string) =>
    JSON.stringify({
      id: createHash('sha256').update(`${p.digest}${p.tag}${p.at}${region}`).digest('hex').slice(0, 32),
      timestamp: p.regionalStamp === 'landing' && region !== REGIONS[0] ? clock.now().toISOString() : p.at,
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        size: 524,
        length: 524,
        digest: p.digest,
        repository: p.repository,
        tag: p.tag,
      },
      request: { id: 'r', host: 'myregistry.azurecr.io', method: 'PUT' },
    });
  const land = (p: Push, region: string) => {
    if (p.landed.has(region)) return;
    p.landed.add(region);
    registry.hold(region, p.repository, p.digest);
    queue.push({ region, body: payload(p, region) });
  };
  const deliver = (d: Delivery) =>
    receiveWebhook(
      deps,
      { region: d.region, authorization: `Bearer ${config.webhookSecrets[0]}`, body: Buffer.from(d.body) },
      log,
    ).then((r) => {
      if (r.status >= 400) violations.push(`delivery rejected: ${r.status} ${JSON.stringify(r.body)}`);
    });
  const tick = () => reconcileAll(deps, log);
  /** Operator retries per (release, region): each gives a fresh attempt budget. */
  const retries = new Map<string, number>();
  /** The pauses and holds in effect (no start may be claimed under them). */
  const gates = newGateWatch();

  const newerFor = (workload: string, a: PushedRelease, b: PushedRelease) =>
    expectedNewer(orderOf(config, workload), a, b);
  const lastLedger = new Map<string, LedgerEntry>();
  const checkLedgerMonotonic = async () => {
    for (const region of REGIONS) {
      for (const l of await store.listLedger(region)) {
        const prev = lastLedger.get(`${region}|${l.workload}`);
        if (
          prev?.releaseId &&
          l.releaseId &&
          prev.releaseId !== l.releaseId &&
          !newerFor(l.workload, ranOf(l), ranOf(prev))
        )
          violations.push(
            `ledger ${region}/${l.workload} moved from ${prev.releaseId} to older ${l.releaseId}`,
          );
        lastLedger.set(`${region}|${l.workload}`, l);
      }
    }
  };

  for (const s of steps) {
    switch (s.kind) {
      case 'push': {
        clock.advance(1);
        const p: Push = {
          repository: REPOS[s.repo]!,
          tag: (opts.tags ?? TAGS)[s.tag]!,
          digest: digestOf(s.repo, s.digest),
          at: clock.now().toISOString(),
          regionalStamp: s.regionalStamp,
          landed: new Set(),
        };
        pushes.push(p);
        const listing = registry.tags.get(p.repository) ?? [];
        registry.tags.set(p.repository, [
          { tag: p.tag, digest: p.digest, updatedAt: p.at },
          ...listing.filter((t) => t.tag !== p.tag),
        ]);
        land(p, REGIONS[0]!);
        break;
      }
      case 'replicate': {
        const p = pushes[s.push % Math.max(1, pushes.length)];
        if (p) land(p, REGIONS[s.region]!);
        break;
      }
      case 'deliver': {
        if (queue.length === 0) break;
        const i = s.pick % queue.length;
        const d = queue[i]!;
        if (!s.duplicate) queue.splice(i, 1);
        await Promise.all(s.withTick ? [deliver(d), tick()] : [deliver(d)]);
        break;
      }
      case 'drop':
        if (queue.length > 0) queue.splice(s.pick % queue.length, 1);
        break;
      case 'tick':
        clock.advance(s.seconds);
        await Promise.all(Array.from({ length: s.concurrentTicks }, tick));
        break;
      case 'outcome':
        mode = s.mode;
        break;
      case 'operator':
        await runOperatorStep(s, {
          deps,
          store,
          log,
          tick,
          retries,
          violations,
          gates,
          claimLatency: lagging.set,
        });
        break;
    }
    await checkLedgerMonotonic();
  }

  // Faults stop: everything replicates, the cluster behaves, the webhooks that remain are lost,
  // and the timer runs until every release has settled.
  mode = 'succeed';
  for (const p of pushes)
    for (const r of REGIONS)
      if (!p.landed.has(r)) {
        p.landed.add(r);
        registry.hold(r, p.repository, p.digest);
      }
  queue.length = 0;
  for (let i = 0; i < 60; i++) {
    clock.advance(15);
    // The operator lets everything go: resumes, lifts holds, approves what waits.
    if (opts.operators) await settleOperatorState(deps, store, log, gates, violations);
    await tick();
    await checkLedgerMonotonic();
    if ((await store.listActiveReleases()).length === 0) break;
  }

  expect(violations).toEqual([]);
  expect(await store.listActiveReleases(), 'every release reaches a terminal state').toEqual([]);

  const page = await store.listReleases({ limit: 1000 });
  for (const rel of page.releases) {
    const rollouts = await store.listRollouts(rel.id, rel.regions);
    for (const r of rollouts) {
      expect(isTerminal(r.state), `${rel.id}/${r.region} is ${r.state}`).toBe(true);
      // The stored reason code (round-tripped by the store) names why it ended this way.
      expect(ENDING_CODES[r.state], `${rel.id}/${r.region}: ${r.reason}`).toContain(r.reasonCode);
      // Rule 3: exactly one start per attempt, never more than the policy allows.
      const n = started.get(`${rel.id}|${r.region}`) ?? 0;
      expect(n, `starts of ${rel.id} in ${r.region}`).toBe(
        (r.state === 'superseded' || r.state === 'skipped') && r.attempts === 0 ? 0 : r.attempts,
      );
      expect(n).toBeLessThanOrEqual(
        config.policy.maxAttempts * (1 + (retries.get(`${rel.id}|${r.region}`) ?? 0)),
      );
      // Rule 2 again, from the records: readiness was observed before any start.
      if (r.startedAt)
        expect(r.replicaReadyAt && Date.parse(r.replicaReadyAt) <= Date.parse(r.startedAt)).toBeTruthy();
    }
    // Rule 5: a later wave starts only after the earlier wave succeeded.
    for (const late of rollouts.filter((r) => r.wave > 0 && r.startedAt)) {
      for (const early of rollouts.filter((r) => r.wave < late.wave)) {
        expect(
          ['succeeded', 'superseded', 'skipped', 'dry-run'],
          `${early.region} before ${late.region}`,
        ).toContain(early.state);
        if (early.state === 'succeeded')
          expect(Date.parse(early.finishedAt!)).toBeLessThanOrEqual(Date.parse(late.startedAt!));
      }
    }
  }
  // Rule 4, from the full history where the store keeps one: by each workload's own order.
  for (const h of opts.ledgerHistory?.() ?? []) {
    if (h.before?.releaseId && h.after.releaseId !== h.before.releaseId)
      expect(
        newerFor(h.after.workload, ranOf(h.after), ranOf(h.before)),
        `${h.after.region}/${h.after.workload}: ${h.before.tag} -> ${h.after.tag}`,
      ).toBe(true);
  }
  await expectNotStranded(store, page.releases, newerFor);
  // The newest push that succeeded in a region is what runs there (the highest version, for a
  // workload ordered by semver).
  for (const region of REGIONS) {
    for (const l of await store.listLedger(region)) {
      if (!l.releaseId) continue;
      const succeededNewer = page.releases.filter(
        (rel) => rel.repository === l.repository && newerFor(l.workload, rel, ranOf(l)),
      );
      for (const rel of succeededNewer) {
        const r = await store.getRollout(rel.id, region);
        expect(
          r?.state,
          `${region}/${l.workload} runs ${l.releaseId} (${l.tag}) though newer ${rel.id} (${rel.tag}) succeeded`,
        ).not.toBe('succeeded');
      }
    }
  }
  expect(executor.started.length).toBeGreaterThanOrEqual(0);
}

/**
 * No region stranded: a release superseded in a region leaves it on that release or a newer one
 * (or on a newer one's failed attempt), never on something older because the release that took
 * over ended there without rolling out. A release skipped as older by version leaves it at least
 * on that version too, unless the higher version it gave way to did not succeed there.
 */
async function expectNotStranded(
  store: RolloutStore,
  releases: readonly Release[],
  newerFor: (workload: string, a: PushedRelease, b: PushedRelease) => boolean,
): Promise<void> {
  const byId = new Map(releases.map((r) => [r.id, r]));
  for (const rel of releases) {
    for (const r of await store.listRollouts(rel.id, rel.regions)) {
      if (r.state !== 'superseded' && r.state !== 'skipped') continue;
      const ledger = await store.listLedger(r.region);
      // The higher versions a skip names: one that did not succeed here may leave the region lower.
      const higher = [...r.reason.matchAll(/release (\d{13}-[0-9a-f]{12})/g)].map((m) => m[1]!);
      const higherSucceeded = await Promise.all(
        higher.map(async (id) => (await store.getRollout(id, r.region))?.state === 'succeeded'),
      );
      if (r.state === 'skipped' && higherSucceeded.some((ok) => !ok)) continue;
      // A release pushed after the one that took over here, once that one did not succeed here,
      // may roll out even when it is lower by version (rule 4 by version, docs/rules.md). Under push
      // order such a release is newer than this one anyway, so this allows nothing more there.
      const failedTakers = higher.filter((_, i) => !higherSucceeded[i]).map((id) => byId.get(id));
      const pushedAfterAFailedTaker = (id: string | undefined) => {
        const on = id ? byId.get(id) : undefined;
        return !!on && failedTakers.some((t) => !!t && Date.parse(on.pushedAt) > Date.parse(t.pushedAt));
      };
      for (const w of r.workloads) {
        const l = ledger.find((e) => e.workload === w);
        if (r.state === 'superseded' && pushedAfterAFailedTaker(l?.releaseId)) continue;
        const atLeast = (on: Release | PushedRelease | undefined) =>
          !!on && (on.id === rel.id || newerFor(w, on, rel));
        const failed = l?.failed ? byId.get(l.failed.releaseId) : undefined;
        expect(
          atLeast(l?.releaseId ? ranOf(l) : undefined) || atLeast(failed),
          `${rel.id} (${rel.tag}) ${r.state} in ${r.region} (${r.reason}) but ${w} is on ${l?.releaseId || 'nothing'}`,
        ).toBe(true);
      }
    }
  }
}
