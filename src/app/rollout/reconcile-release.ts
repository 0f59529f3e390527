// Advances one release: for each region rollout, in wave order, observe what is needed (the
// regional webhook, a manifest check, the rollout's status), let the pure state machine decide,
// and commit the decision ETag-guarded together with its ledger changes. The webhook's nudge
// and the timer both run this; whichever loses a race re-reads and re-decides.
import { isTerminal, type ReadinessSignal, type RegionRollout, type Release } from '../../core/model';
import { releaseOrder } from '../../core/intake';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { noteStuck, releaseOutbox } from '../notify';
import { verifyBeforeStart } from '../intake';
import { wakeWhenDue } from '../wakeups';
import { advanceRollout } from './step-rollout';
import { newRunCache, type ReleaseOutcome, type ReleaseRun, type RunCache } from './reconcile-run';

export { newRunCache, type ReleaseOutcome, type RunCache } from './reconcile-run';

export interface ReconcileOptions {
  cache?: RunCache;
  signal?: AbortSignal;
  /** False: decide from regional webhooks only (the webhook's nudge). */
  checkReplicas?: boolean;
  /** Advance only these regions and the earlier waves that gate them; default all. */
  onlyRegions?: readonly string[];
  /** The timer: also write region.stuck for rollouts without progress. */
  stuckCheck?: boolean;
}

export async function reconcileRelease(
  deps: Deps,
  releaseId: string,
  log: Logger,
  opts: ReconcileOptions = {},
): Promise<ReleaseOutcome> {
  const outcome = emptyOutcome();
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
  const { run, signalOf } = await openRun(deps, release, outcome, opts);
  await advanceWaves(run, signalOf, rlog, opts.signal);
  await settle(run, rlog, { only: opts.onlyRegions, stuckCheck: opts.stuckCheck });
  // Whatever this run set as the next check time of a rollout: wake the release then.
  if (!outcome.done)
    await wakeWhenDue(deps, releaseId, [...run.current.values()], rlog, {
      limited: opts.checkReplicas === false || opts.onlyRegions !== undefined,
    });
  return outcome;
}

const emptyOutcome = (): ReleaseOutcome => ({
  transitions: 0,
  started: 0,
  finished: 0,
  waiting: 0,
  errors: 0,
  done: false,
});

/**
 * The regions a run advances. Limited to some regions (a nudge), earlier waves come too: they
 * gate those regions, and a finished rollout there that nobody has polled yet would otherwise
 * hold them until the timer.
 */
function regionsToAdvance(deps: Deps, release: Release, only: readonly string[] | undefined): string[] {
  const waveOf = (region: string) => deps.config.regions.find((r) => r.name === region)?.wave ?? 0;
  const gatingWave = only ? Math.max(...only.map(waveOf)) : Infinity;
  return release.regions.filter((r) => !only || only.includes(r) || waveOf(r) < gatingWave);
}

/** What the run shares, read once: the rollouts it advances, their signals, the active releases. */
async function openRun(
  deps: Deps,
  release: Release,
  outcome: ReleaseOutcome,
  opts: ReconcileOptions,
): Promise<{ run: ReleaseRun; signalOf: Map<string, ReadinessSignal> }> {
  const cache = opts.cache ?? newRunCache();
  const only = opts.onlyRegions;
  const regions = regionsToAdvance(deps, release, only);
  const [rollouts, signals, active] = await Promise.all([
    deps.store.listRollouts(release.id, regions),
    deps.store.listSignals(release.repository, release.digest),
    cache.active ? Promise.resolve(cache.active) : deps.store.listActiveReleases(release.repository),
  ]);
  const run: ReleaseRun = {
    deps,
    release,
    current: new Map(rollouts.map((r) => [r.region, r])),
    active,
    order: releaseOrder(deps.config.workloads),
    cache,
    outcome,
    abort: opts.signal,
    checkReplicas: opts.checkReplicas !== false,
    gates: only ? regions.filter((r) => !only.includes(r)) : undefined,
  };
  return { run, signalOf: new Map(signals.map((s) => [s.region, s])) };
}

/** Wave by wave (earlier waves gate later ones), the rollouts of one wave in parallel. */
async function advanceWaves(
  run: ReleaseRun,
  signalOf: Map<string, ReadinessSignal>,
  rlog: Logger,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { current, outcome } = run;
  const rollouts = [...current.values()];
  const waves = [...new Set(rollouts.map((r) => r.wave))].sort((a, b) => a - b);
  for (const wave of waves) {
    if (signal?.aborted) break;
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
          run.deps.metrics.operationError({ operation: 'rollout-step' });
        }
      }),
    );
  }
}

/**
 * The release's end, with the notifications of its completion write: only when every rollout is
 * still as this run last read or wrote it (see writtenBack), and no retry was counted on the
 * release since the run read it (a retry counts itself before it resets a region).
 */
async function settle(
  run: ReleaseRun,
  rlog: Logger,
  opts: { only?: readonly string[] | undefined; stuckCheck?: boolean | undefined },
): Promise<void> {
  const { deps, release, current, outcome } = run;
  const only = opts.only;
  const all = [...current.values()];
  outcome.waiting = all.filter((r) => !isTerminal(r.state)).length;
  // Also when the release already says done: a crash may have left it in the active index.
  if (opts.stuckCheck) await noteStuck(deps, release, all, rlog);
  if (only || all.length === 0 || outcome.waiting > 0) return;
  // Lost to a retry (or to another run completing it): the next run re-decides.
  if (!(await writtenBack(deps, all))) return;
  const completedAt = deps.clock.now().toISOString();
  const outbox = releaseOutbox(deps, release, all, completedAt);
  if ((await deps.store.markReleaseDone(release, completedAt, outbox)) === 'conflict') return;
  outcome.done = true;
  rlog.info('release.done', { states: Object.fromEntries(all.map((r) => [r.region, r.state])) });
}

/**
 * Each ended rollout written back unchanged, ETag-guarded, in the release's region order; false
 * at the first that changed since. A retry that reset one after the run read it fails that write;
 * one that read it before the write-back fails its reset; one that read it after counted itself
 * on the release after this run read that, and fails the completion (markReleaseDone). The fixed
 * order lets one of two runs completing at once go through.
 */
async function writtenBack(deps: Deps, all: readonly RegionRollout[]): Promise<boolean> {
  for (const r of all) if ((await deps.store.commitRegion(r, [])).outcome === 'conflict') return false;
  return true;
}
