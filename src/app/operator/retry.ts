// Retry a release's failed, halted or timed-out regions: each starts over with a fresh
// attempt budget and replication deadline, unless the ledger shows its workloads already on a
// newer release (a retry must never roll back: that is what a rollback is for).
import { activeEntryOf, releaseOrder } from '../../core/intake';
import type { RegionRollout, Release } from '../../core/model';
import { RETRYABLE_STATES, newerOnLedger, retriedRollout, type ReleaseAmendStore } from '../../core/operator';
import type { LedgerStore } from '../../core/rollout';
import type { Deps, Logger } from '../platform';
import { writeOutRelease } from '../intake';
import {
  appliedWith,
  audited,
  badRequest,
  notFound,
  refusal,
  type ActionInput,
  type ActionResult,
} from './action';
import { getReleaseView } from '../status';

/** Why this rollout may not be retried, or undefined when it may. */
async function whyNotRetryable(
  deps: Deps<LedgerStore>,
  release: Release,
  r: RegionRollout,
): Promise<string | undefined> {
  if (!RETRYABLE_STATES.has(r.state))
    return `${r.region} is ${r.state}: only failed, halted or replication-timed-out regions can be retried`;
  const ledger = await deps.store.listLedger(r.region);
  const newer = newerOnLedger(r, release, ledger, releaseOrder(deps.config.workloads));
  const first = newer[0];
  if (first)
    return `${r.region}: ${first.workload} already runs newer release ${first.releaseId} (${first.tag || first.digest}); use a rollback to go back`;
  return undefined;
}

/**
 * A halted region retried while the earlier-wave failure that halted it stays as it is would
 * halt again at once: refused, naming what to retry first (or with it).
 */
function haltedBehind(named: readonly RegionRollout[], all: readonly RegionRollout[]): string[] {
  const retried = new Set(named.map((r) => r.region));
  return named
    .filter((r) => r.state === 'halted')
    .flatMap((r) => {
      const blocking = all.filter(
        (e) => e.wave < r.wave && RETRYABLE_STATES.has(e.state) && !retried.has(e.region),
      );
      return blocking.length === 0
        ? []
        : [
            `${r.region} would halt again: retry ${blocking.map((e) => `${e.region} (${e.state})`).join(', ')} first or with it`,
          ];
    });
}

/**
 * The release active again (with its index entry) and this retry counted, before any region is
 * reset: a run that read the rollouts before the reset and still completes the release guards
 * that on the count it read, and fails (ReleaseStore.markReleaseDone).
 */
async function reopen(
  deps: Deps<ReleaseAmendStore>,
  release: Release,
  rollouts: readonly RegionRollout[],
): Promise<void> {
  const targets = Object.fromEntries(rollouts.map((r) => [r.region, r.workloads]));
  await deps.store.reopenRelease(release.id, activeEntryOf(release, targets));
}

export async function retryRelease(
  deps: Deps,
  log: Logger,
  id: string,
  regions: readonly string[] | undefined,
  input: ActionInput,
): Promise<ActionResult> {
  const release = (await writeOutRelease(deps, { releaseId: id }))?.release;
  if (!release) return notFound(`no release ${JSON.stringify(id)}`);
  const unknown = (regions ?? []).filter((g) => !release.regions.includes(g));
  if (unknown.length > 0)
    return badRequest(
      'regions',
      `${unknown.join(', ')} not targeted by release ${id} (it targets ${release.regions.join(', ')})`,
    );
  const all = await deps.store.listRollouts(id, release.regions);
  const named = regions
    ? all.filter((r) => regions.includes(r.region))
    : all.filter((r) => RETRYABLE_STATES.has(r.state));
  const target = { releaseId: id, region: regions?.length === 1 ? regions[0] : undefined };
  return audited(deps, log, 'retry', input, target, async () => {
    const problems = (await Promise.all(named.map((r) => whyNotRetryable(deps, release, r)))).filter(
      (p) => p !== undefined,
    );
    problems.push(...haltedBehind(named, all));
    if (named.length === 0)
      problems.push(`release ${id} has no failed, halted or replication-timed-out region`);
    if (problems.length > 0) return refusal(problems.join('; '));

    await reopen(deps, release, all);
    const now = deps.clock.now();
    const results = await Promise.all(named.map((r) => resetRegion(deps, r, input, now)));
    const lost = named.filter((_, i) => !results[i]).map((r) => r.region);
    if (lost.length > 0) return refusal(`${lost.join(', ')} changed meanwhile; read the release again`);
    const retried = named.map((r) => r.region);
    return appliedWith(200, async () => ({ retried, release: await getReleaseView(deps, id) }), {
      detail: `retried ${retried.join(', ')}`,
      nudge: [id],
    });
  });
}

/**
 * Starts one region over. A completing run rewrites an ended rollout unchanged (its ETag guard
 * against exactly this retry, which the release's retry count then makes lose): when the reset
 * lost only to such a rewrite (same state, same attempts), it is made again on the fresh row.
 */
async function resetRegion(
  deps: Deps,
  rollout: RegionRollout,
  input: ActionInput,
  now: Date,
): Promise<boolean> {
  let current: RegionRollout | undefined = rollout;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    const result = await deps.store.commitRegion(retriedRollout(current, input.actor, input.reason, now), []);
    if (result.outcome === 'ok') return true;
    const fresh = await deps.store.getRollout(rollout.releaseId, rollout.region);
    current = fresh?.state === rollout.state && fresh.attempts === rollout.attempts ? fresh : undefined;
  }
  return false;
}
