// Advances one release: for each region rollout, in wave order, observe what is needed (the
// regional webhook, a manifest check, the rollout's status), let the pure state machine decide,
// and commit the decision ETag-guarded together with its ledger changes. The webhook's nudge
// and the timer both run this; whichever loses a race re-reads and re-decides.
import { changedWorkloads, ledgerChanges } from '../core/ledger';
import {
  afterRevert,
  afterStart,
  decide,
  dryRunInstead,
  observationNeeded,
  type Decision,
  type Observation,
  type StepContext,
} from '../core/region-rollout-machine';
import {
  isTerminal,
  workloadKey,
  type LedgerEntry,
  type ReadinessSignal,
  type RegionRollout,
  type Release,
} from '../core/model';
import type { ReplicaCheck, RolloutRequest, RolloutStartResult } from '../core/ports';
import type { ActiveReleaseEntry } from '../core/store';
import { planWorkloads } from '../core/supersession';
import { waveGate } from '../core/wave-gate';
import { retry } from '../core/retry';
import type { Deps } from './deps';
import { errorMessage, type Logger } from './logger';
import { newerRolloutsHere, revertRequest, revertTarget, type NewerRolloutCache } from './rollout-context';
import { noteStuck, recordTransitionMetrics, regionOutbox, releaseOutbox } from './notify-outbox';
import { verifyBeforeStart } from './verify-push';

/** Shared by every release advanced in one run, so each (region, repository, digest) is checked once. */
export interface RunCache {
  replica: Map<string, Promise<ReplicaCheck>>;
  ledger: Map<string, Promise<LedgerEntry[]>>;
  active?: ActiveReleaseEntry[] | undefined;
  /** Rollouts of newer releases read for supersession, per (release, region). */
  newer?: NewerRolloutCache | undefined;
}
export const newRunCache = (active?: ActiveReleaseEntry[]): RunCache => ({
  replica: new Map(),
  ledger: new Map(),
  active,
});

export interface ReleaseOutcome {
  transitions: number;
  started: number;
  finished: number;
  waiting: number;
  errors: number;
  done: boolean;
}

/** What every rollout of one release shares during one reconcile of it. */
interface ReleaseRun {
  deps: Deps;
  release: Release;
  /** The latest record of each region rollout (the wave gate reads the others). */
  current: Map<string, RegionRollout>;
  active: ActiveReleaseEntry[];
  cache: RunCache;
  outcome: ReleaseOutcome;
  abort: AbortSignal | undefined;
  checkReplicas: boolean;
}

const MAX_CONFLICT_RETRIES = 4;
/** Tries to record an accepted start (about 15 s of storage outage at most). */
const RECORD_START_ATTEMPTS = 6;

export async function reconcileRelease(
  deps: Deps,
  releaseId: string,
  log: Logger,
  opts: {
    cache?: RunCache;
    signal?: AbortSignal;
    /** False: decide from regional webhooks only (the webhook's nudge). */
    checkReplicas?: boolean;
    /** Advance only these regions and the earlier waves that gate them; default all. */
    onlyRegions?: readonly string[];
    /** The timer: also write region.stuck for rollouts without progress. */
    stuckCheck?: boolean;
  } = {},
): Promise<ReleaseOutcome> {
  const outcome: ReleaseOutcome = {
    transitions: 0,
    started: 0,
    finished: 0,
    waiting: 0,
    errors: 0,
    done: false,
  };
  const cache = opts.cache ?? newRunCache();
  const found = await deps.store.getRelease(releaseId);
  if (!found) {
    log.warn('release.missing', { releaseId });
    return outcome;
  }
  const rlog = log.with({
    releaseId,
    repository: found.repository,
    tag: found.tag,
    digest: found.digest,
  });
  // A push the registry could not confirm at intake is confirmed (or refuted) before any of its
  // rollouts may start, once per run; the webhook's nudge leaves that to the timer.
  const release =
    opts.checkReplicas === false ? found : await verifyBeforeStart(deps, found, rlog, opts.signal);
  // Limited to some regions (a nudge), earlier waves come too: they gate those regions, and a
  // finished rollout there that nobody has polled yet would otherwise hold them until the timer.
  const only = opts.onlyRegions;
  const waveOf = (region: string) => deps.config.regions.find((r) => r.name === region)?.wave ?? 0;
  const gatingWave = only ? Math.max(...only.map(waveOf)) : Infinity;
  const regions = release.regions.filter((r) => !only || only.includes(r) || waveOf(r) < gatingWave);
  const [rollouts, signals, active] = await Promise.all([
    deps.store.listRollouts(releaseId, regions),
    deps.store.listSignals(release.repository, release.digest),
    cache.active ? Promise.resolve(cache.active) : deps.store.listActiveReleases(release.repository),
  ]);
  const signalOf = new Map(signals.map((s) => [s.region, s]));
  const current = new Map(rollouts.map((r) => [r.region, r]));
  const run: ReleaseRun = {
    deps,
    release,
    current,
    active,
    cache,
    outcome,
    abort: opts.signal,
    checkReplicas: opts.checkReplicas !== false,
  };

  const waves = [...new Set(rollouts.map((r) => r.wave))].sort((a, b) => a - b);
  for (const wave of waves) {
    if (opts.signal?.aborted) break;
    const inWave = [...current.values()].filter((r) => r.wave === wave && !isTerminal(r.state));
    await Promise.all(
      inWave.map(async (r) => {
        try {
          current.set(
            r.region,
            await advanceRollout(run, r, signalOf.get(r.region), rlog.with({ region: r.region })),
          );
        } catch (err) {
          outcome.errors++;
          rlog.error('rollout.error', { region: r.region, error: errorMessage(err) });
        }
      }),
    );
  }

  const all = [...current.values()];
  outcome.waiting = all.filter((r) => !isTerminal(r.state)).length;
  // Also when the release already says done: a crash may have left it in the active index.
  if (opts.stuckCheck) await noteStuck(deps, release, all, rlog);
  if (!only && all.length > 0 && outcome.waiting === 0) {
    const completedAt = deps.clock.now().toISOString();
    await deps.store.markReleaseDone(release, completedAt, releaseOutbox(deps, release, all, completedAt));
    outcome.done = true;
    rlog.info('release.done', { states: Object.fromEntries(all.map((r) => [r.region, r.state])) });
  }
  return outcome;
}

function ledgerFor(deps: Deps, cache: RunCache, region: string): Promise<LedgerEntry[]> {
  let p = cache.ledger.get(region);
  if (!p) {
    p = deps.store.listLedger(region);
    cache.ledger.set(region, p);
    p.catch(() => cache.ledger.delete(region));
  }
  return p;
}

/**
 * The replica's answer, once per (region, repository, digest) and run. A failed check (ACR
 * 401/403/5xx, a refused token) is logged with its cause and returned with it, so the rollout's
 * reason names it instead of an anonymous "unknown" until the replication deadline.
 */
function checkReplica(
  deps: Deps,
  cache: RunCache,
  region: string,
  release: Release,
  log: Logger,
  signal?: AbortSignal,
): Promise<ReplicaCheck> {
  const key = `${region}\n${release.repository}\n${release.digest}`;
  let p = cache.replica.get(key);
  if (!p) {
    const port = deps.replicaStatus;
    const args = [region, release.repository, release.digest, signal] as const;
    const asked: Promise<ReplicaCheck> = port.checkWithCause
      ? port.checkWithCause(...args)
      : port.check(...args).then((presence) => ({ presence }));
    p = asked
      .catch((err: unknown): ReplicaCheck => ({ presence: 'unknown', cause: errorMessage(err) }))
      .then((check) => {
        if (check.cause)
          log.warn('replica.check-failed', {
            region,
            repository: release.repository,
            digest: release.digest,
            cause: check.cause,
          });
        return check;
      });
    cache.replica.set(key, p);
  }
  return p;
}

export function rolloutRequest(
  deps: Deps,
  release: Release,
  r: RegionRollout,
  ledger: readonly LedgerEntry[] = [],
): RolloutRequest {
  const region = deps.config.regions.find((x) => x.name === r.region);
  if (!region) throw new Error(`region ${r.region} is no longer configured`);
  const keys = new Set(changedWorkloads(r));
  // The fence tests the release whose change the workload's spec carries now: the ledger's failed
  // newer attempt if there is one (it changed the spec), else its last good release, else absence.
  const recorded = new Map(
    ledger.map((l) => [
      l.workload,
      (l.status === 'failed' ? l.failed?.releaseId : undefined) || l.releaseId || undefined,
    ]),
  );
  return {
    releaseId: release.id,
    region: r.region,
    cluster: region.cluster,
    pushedAt: release.pushedAt,
    workloads: deps.config.workloads
      .filter((w) => keys.has(workloadKey(w)))
      .map((w) => ({ ...w, expectedRelease: recorded.get(workloadKey(w)) })),
    image: {
      loginServer: deps.config.registry.loginServer,
      repository: release.repository,
      digest: release.digest,
      tag: release.tag,
    },
    timeoutSeconds: deps.config.policy.rolloutTimeoutSeconds,
  };
}

/** The request a rollout's current change runs: its release, or the revert to the last good one. */
function changeRequest(
  deps: Deps,
  release: Release,
  r: RegionRollout,
  ledger: readonly LedgerEntry[],
): RolloutRequest {
  const request = rolloutRequest(deps, release, r, ledger);
  return r.state === 'reverting' && r.revertTo ? revertRequest(request, r.revertTo) : request;
}

async function advanceRollout(
  run: ReleaseRun,
  initial: RegionRollout,
  signal: ReadinessSignal | undefined,
  log: Logger,
): Promise<RegionRollout> {
  const { deps, release, current, active, cache, outcome, abort } = run;
  let r = initial;
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    if (isTerminal(r.state)) return r;
    const now = deps.clock.now();
    const ledger = await ledgerFor(deps, cache, r.region);
    cache.newer ??= new Map();
    const newer = await newerRolloutsHere(deps.store, cache.newer, r, release, ledger, active);
    const ctx: StepContext = {
      release,
      policy: deps.config.policy,
      now,
      gate: waveGate(r, [...current.values()], deps.config.policy, now),
      plan: planWorkloads(r, release, ledger, active, newer),
      random01: deps.random(),
      revertTarget: r.state === 'rolling-out' ? revertTarget(r, ledger) : undefined,
    };
    const obs: Observation = { signal };
    const need = observationNeeded(r, signal, now);
    if (need === 'check-replica' && run.checkReplicas) {
      const check = await checkReplica(deps, cache, r.region, release, log, abort);
      obs.replica = check.presence;
      obs.replicaCause = check.cause;
      if (check.cause) outcome.errors++;
    }
    if (need === 'poll-rollout' && r.handle) {
      obs.status = await deps.executor
        .status(changeRequest(deps, release, r, ledger), r.handle, abort)
        .catch((err: unknown) => ({ kind: 'unknown' as const, reason: errorMessage(err) }));
    }

    let decision = decide(r, obs, ctx);
    // Out of time (the webhook's nudge budget): claim nothing new, the timer takes over.
    if (decision.action === 'start-rollout' && abort?.aborted) return r;
    if (decision.action === 'start-rollout' && deps.config.dryRun) {
      const command = deps.executor.describe(rolloutRequest(deps, release, decision.next, ledger));
      decision = dryRunInstead(r, decision, command, ctx);
    }
    if (!decision.changed) return r;

    const committed = await commit(run, r, decision, ledger, log);
    if (!committed) {
      // Lost a race: someone else moved this rollout or the ledger. Re-read and re-decide.
      cache.ledger.delete(r.region);
      cache.newer.clear();
      const fresh = await deps.store.getRollout(release.id, r.region);
      if (!fresh) return r;
      r = fresh;
      continue;
    }
    r = committed;
    current.set(r.region, r);
    const reverting = decision.action === 'revert-rollout';
    if (decision.action !== 'start-rollout' && !reverting) return r;

    // We hold the claim (of a start, or of a revert): run it exactly once. A throw here is
    // ambiguous (the command may have been accepted), so the claim stays and the grace decides.
    outcome.started++;
    let result: RolloutStartResult;
    try {
      // Not tied to the caller's deadline: abandoning an accepted start would cost a retry.
      result = await deps.executor.start(changeRequest(deps, release, r, ledger));
    } catch (err) {
      outcome.errors++;
      result = { kind: 'ambiguous', reason: errorMessage(err) };
    }
    if (result.kind === 'ambiguous')
      log.warn(reverting ? 'rollout.revert-ambiguous' : 'rollout.start-ambiguous', { reason: result.reason });
    const afterCtx = { ...ctx, now: deps.clock.now() };
    const after = reverting ? afterRevert(r, result, afterCtx) : afterStart(r, result, afterCtx);
    // The cluster has the command now: losing this write would leave the claim without its handle
    // (the workload locked until the start grace ends, then a second command). So a storage
    // outage here is waited out, within bounds, rather than given up at the first error.
    const done = await retry(
      () =>
        ledgerFor(deps, cache, r.region)
          .then((ledger) => commit(run, r, after, ledger, log))
          .catch((err: unknown) => {
            cache.ledger.delete(r.region);
            throw err;
          }),
      {
        attempts: RECORD_START_ATTEMPTS,
        baseMs: 500,
        capMs: 4000,
        jitter: 'none',
        sleep: deps.sleep,
        onRetry: ({ attempt, error }) =>
          log.warn('rollout.start-record-retry', { attempt, error: errorMessage(error) }),
      },
    );
    if (!done) log.warn('rollout.start-unrecorded', { reason: 'the claim changed while starting' });
    return done ?? r;
  }
  log.warn('rollout.contended', {
    reason: `gave up after ${MAX_CONFLICT_RETRIES} conflicting writes; next run retries`,
  });
  return r;
}

async function commit(
  { deps, cache, release, outcome, current }: ReleaseRun,
  prev: RegionRollout,
  decision: Decision,
  ledger: LedgerEntry[],
  log: Logger,
): Promise<RegionRollout | undefined> {
  const now = deps.clock.now();
  const changes = ledgerChanges(prev, decision.next, release, ledger, now);
  const outbox = regionOutbox(deps, release, prev, decision.next, [...current.values()]);
  const result = await deps.store.commitRegion(decision.next, changes, outbox);
  if (result.outcome === 'conflict') return undefined;
  if (deps.metrics) recordTransitionMetrics(deps.metrics, release, prev, decision.next);
  if (changes.length > 0) cache.ledger.delete(prev.region);
  // The write's own ETag lets the next step build on it without reading it back.
  const fresh = result.etag
    ? { ...decision.next, etag: result.etag }
    : await deps.store.getRollout(release.id, prev.region);
  if (prev.state !== decision.next.state) {
    outcome.transitions++;
    if (isTerminal(decision.next.state)) outcome.finished++;
    const fields = {
      from: prev.state,
      to: decision.next.state,
      reason: decision.reason,
      attempts: decision.next.attempts,
      replicaReadySource: decision.next.replicaReadySource,
      commandId: decision.next.handle?.commandId,
    };
    if (
      decision.next.state === 'failed' ||
      decision.next.state === 'halted' ||
      decision.next.state === 'replication-timed-out'
    )
      log.warn('rollout.transition', fields);
    else log.info('rollout.transition', fields);
  }
  return fresh ?? { ...decision.next };
}
