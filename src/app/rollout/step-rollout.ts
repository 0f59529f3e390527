// One region rollout of a release, one step: observe what its state needs, let the pure state
// machine decide, commit the decision ETag-guarded with its ledger changes and notifications,
// and run a claimed change exactly once. A lost race re-reads and re-decides. A start's claim is
// decided on the rollout row it ETag-guards (which carries the release's pause, marked there
// before a pause answers) and on the region's holds, and guards on the region's gate version:
// a pause or a hold that took effect before the claim committed makes it fail, then lose.
import {
  ledgerChanges,
  afterRevert,
  afterStart,
  decide,
  dryRunInstead,
  observationNeeded,
  type Decision,
  type Observation,
  type StepContext,
  planWorkloads,
  waveGate,
} from '../../core/rollout';
import { isTerminal, type LedgerEntry, type ReadinessSignal, type RegionRollout } from '../../core/model';
import type { RegionGate, RolloutHandle, RolloutStartResult, RolloutStatus } from '../../core/model';
import { retry } from '../../core/platform';
import { errorMessage, type Logger } from '../platform';
import { newerRolloutsHere, revertTarget } from './rollout-context';
import { approvalOutbox, writeApprovalOutbox, recordTransitionMetrics, regionOutbox } from '../notify';
import { PENDING_STATES } from '../../core/operator';
import {
  changeRequest,
  checkReplica,
  gateFor,
  ledgerFor,
  neededObservation,
  rolloutRequest,
  type ReleaseRun,
} from './reconcile-run';

const MAX_CONFLICT_RETRIES = 4;
/**
 * Claims in one region all write its gate, so concurrent claims there (of other releases) make
 * each other fail although this rollout did not change: such a loss means another start went
 * through, so it is retried beyond MAX_CONFLICT_RETRIES, up to this many times.
 */
const MAX_GATE_RETRIES = 32;
/** Tries to record an accepted start (about 15 s of storage outage at most). */
const RECORD_START_ATTEMPTS = 6;

export async function advanceRollout(
  run: ReleaseRun,
  initial: RegionRollout,
  signal: ReadinessSignal | undefined,
  log: Logger,
): Promise<RegionRollout> {
  const { deps, release, active, cache } = run;
  let r = initial;
  let gateRetries = 0;
  for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
    if (isTerminal(r.state)) return r;
    const now = deps.clock.now();
    const ledger = await ledgerFor(deps, cache, r.region);
    cache.newer ??= new Map();
    const newer = await newerRolloutsHere(deps.store, cache.newer, r, {
      release,
      ledger,
      active,
      order: run.order,
    });
    const obs = await observe(run, r, { signal, now, ledger }, log);
    const step = await decideStep(run, r, obs, ledger, newer);
    if (!step?.decision.changed) return r;
    const { decision, ctx, claim } = step;
    const committed = await commit(run, r, decision, ledger, log, claim);
    if (!committed) {
      const fresh = await afterLostRace(run, r, claim);
      if (!fresh) return r;
      if (claim && fresh.etag === r.etag && gateRetries++ < MAX_GATE_RETRIES) attempt--;
      r = fresh;
      continue;
    }
    r = committed;
    run.current.set(r.region, r);
    if (decision.action !== 'start-rollout' && decision.action !== 'revert-rollout') return r;
    return runClaimedChange(run, r, decision, ctx, ledger, log);
  }
  log.warn('rollout.contended', {
    reason: `gave up after ${MAX_CONFLICT_RETRIES} conflicting writes; next run retries`,
  });
  return r;
}

/** What one step observes: the regional webhook, and the replica or the running change as needed. */
async function observe(
  run: ReleaseRun,
  r: RegionRollout,
  at: { signal: ReadinessSignal | undefined; now: Date; ledger: LedgerEntry[] },
  log: Logger,
): Promise<Observation> {
  const { deps, release, cache, outcome, abort } = run;
  const obs: Observation = { signal: at.signal };
  const need = neededObservation(run, r, observationNeeded(r, at.signal, at.now));
  if (need === 'check-replica' && run.checkReplicas) {
    const check = await checkReplica(deps, cache, r.region, release, log, abort);
    obs.replica = check.presence;
    obs.replicaCause = check.cause;
    if (check.cause) outcome.errors++;
  }
  if (need === 'poll-rollout' && r.handle) obs.status = await pollStatus(run, r, r.handle, at.ledger, log);
  return obs;
}

/**
 * The running change's status. A throw is logged and counted, then read as 'unknown': the
 * rollout asks again at its next check, as for any outcome the executor could not learn.
 */
async function pollStatus(
  run: ReleaseRun,
  r: RegionRollout,
  handle: RolloutHandle,
  ledger: LedgerEntry[],
  log: Logger,
): Promise<RolloutStatus> {
  const { deps, release, abort } = run;
  const request = changeRequest(deps, release, r, ledger);
  try {
    return await deps.executor.status(request, handle, abort);
  } catch (err) {
    const reason = errorMessage(err);
    log.warn('rollout.status-error', { commandId: handle.commandId, error: reason });
    deps.metrics.operationError({ operation: 'rollout-status' });
    return { kind: 'unknown', reason };
  }
}

/** What one step decided, in which context, and the gate a claim guards on. */
interface Step {
  decision: Decision;
  ctx: StepContext;
  claim: RegionGate | undefined;
}

/**
 * The state machine's decision on what was observed; undefined when a start is due but the
 * caller is out of time (the webhook's nudge budget): it claims nothing new, the timer takes over.
 */
async function decideStep(
  run: ReleaseRun,
  r: RegionRollout,
  obs: Observation,
  ledger: LedgerEntry[],
  newer: ReadonlyMap<string, RegionRollout | undefined>,
): Promise<Step | undefined> {
  const { deps, release, current, active, cache } = run;
  const gate = PENDING_STATES.has(r.state) ? await gateFor(deps, cache, r.region) : undefined;
  const decidedAt = deps.clock.now();
  const ctx: StepContext = {
    release,
    policy: deps.config.policy,
    // Read after the observations: a replica found present is stamped ready no earlier than
    // the check's answer (the check may have gone out before the image landed).
    now: decidedAt,
    gate: waveGate(r, [...current.values()], deps.config.policy, decidedAt),
    plan: planWorkloads(r, release, ledger, active, newer, run.order),
    random01: deps.random(),
    revertTarget: r.state === 'rolling-out' ? revertTarget(r, ledger) : undefined,
    holds: gate?.holds,
  };
  const decision = decide(r, obs, ctx);
  if (decision.action !== 'start-rollout') return { decision, ctx, claim: undefined };
  if (run.abort?.aborted) return undefined;
  // A claim (a dry run records one too) guards on the gate it was decided on.
  if (!deps.config.dryRun) return { decision, ctx, claim: gate };
  const command = deps.executor.describe(rolloutRequest(deps, release, decision.next, ledger));
  return { decision: dryRunInstead(r, decision, command, ctx), ctx, claim: gate };
}

/**
 * Lost a race: someone else moved this rollout, the ledger or the region's holds (a pause marked
 * the row, a hold changed the gate). Forget what the run read of them and re-read the rollout.
 */
function afterLostRace(
  { deps, release, cache }: ReleaseRun,
  r: RegionRollout,
  claim: RegionGate | undefined,
): Promise<RegionRollout | undefined> {
  cache.ledger.delete(r.region);
  cache.newer?.clear();
  if (claim) cache.gates.delete(r.region);
  return deps.store.getRollout(release.id, r.region);
}

/**
 * We hold the claim (of a start, or of a revert): run it exactly once, then record what the
 * executor said. A throw is ambiguous (the command may have been accepted): the claim stays.
 */
async function runClaimedChange(
  run: ReleaseRun,
  r: RegionRollout,
  decision: Decision,
  ctx: StepContext,
  ledger: LedgerEntry[],
  log: Logger,
): Promise<RegionRollout> {
  const { deps, release, cache, outcome } = run;
  const reverting = decision.action === 'revert-rollout';
  // We hold the claim (of a start, or of a revert): run it exactly once. A throw here is
  // ambiguous (the command may have been accepted), so the claim stays and the grace decides.
  outcome.started++;
  let result: RolloutStartResult;
  try {
    // Not tied to the caller's deadline: abandoning an accepted start would cost a retry.
    result = await deps.executor.start(changeRequest(deps, release, r, ledger));
  } catch (err) {
    outcome.errors++;
    deps.metrics.operationError({ operation: 'rollout-start' });
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

async function commit(
  { deps, cache, release, outcome, current }: ReleaseRun,
  prev: RegionRollout,
  decision: Decision,
  ledger: LedgerEntry[],
  log: Logger,
  claim?: RegionGate,
): Promise<RegionRollout | undefined> {
  const now = deps.clock.now();
  const changes = ledgerChanges(prev, decision.next, release, ledger, now, decision.specUnchanged === true);
  const others = [...current.values()];
  const outbox = regionOutbox(deps, release, prev, decision.next, others);
  const result = await deps.store.commitRegion(
    decision.next,
    changes,
    outbox,
    claim ? { gate: { version: claim.version } } : undefined,
  );
  if (result.outcome === 'conflict') return undefined;
  // The claim moved the gate's version: the run's next claim in this region guards on the new one.
  if (claim)
    cache.gates.set(prev.region, Promise.resolve({ holds: claim.holds, version: result.gateVersion }));
  await writeApprovalOutbox(deps, approvalOutbox(deps, release, prev, decision.next, others), log);
  recordTransitionMetrics(deps.metrics, release, prev, decision.next);
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
