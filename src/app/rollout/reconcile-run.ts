// What one reconcile of a release shares across its region rollouts: the run cache (one replica
// check per (region, repository, digest), one ledger read per region), the request a rollout's
// change sends, and the replica check that names its cause when it fails.
import { changedWorkloads } from '../../core/rollout';
import { workloadKey, type LedgerEntry, type RegionRollout, type Release } from '../../core/model';
import type { ReplicaCheck, RolloutRequest, ActiveReleaseEntry, RegionGate } from '../../core/model';
import type { Action, LedgerStore } from '../../core/rollout';
import type { HoldStore } from '../../core/operator';
import type { NewerFor } from '../../core/intake';
import { memoUntilRejected } from '../../core/platform';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { revertRequest, type NewerRolloutCache } from './rollout-context';

/** Shared by every release advanced in one run, so each (region, repository, digest) is checked once. */
export interface RunCache {
  replica: Map<string, Promise<ReplicaCheck>>;
  ledger: Map<string, Promise<LedgerEntry[]>>;
  active?: ActiveReleaseEntry[] | undefined;
  /** Rollouts of newer releases read for supersession, per (release, region). */
  newer?: NewerRolloutCache | undefined;
  /**
   * Each region's holds and gate version, read when a pending rollout there needs them. A stale
   * entry cannot let a start through: the claim guards on the version it read (a hold placed
   * since fails the claim, which drops the entry and reads again).
   */
  gates: Map<string, Promise<RegionGate>>;
}
export const newRunCache = (active?: ActiveReleaseEntry[]): RunCache => ({
  replica: new Map(),
  ledger: new Map(),
  active,
  gates: new Map(),
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
export interface ReleaseRun {
  deps: Deps;
  release: Release;
  /** The latest record of each region rollout (the wave gate reads the others). */
  current: Map<string, RegionRollout>;
  active: ActiveReleaseEntry[];
  /** Which release is newer for each workload (its configured order). */
  order: NewerFor;
  cache: RunCache;
  outcome: ReleaseOutcome;
  abort: AbortSignal | undefined;
  checkReplicas: boolean;
  /**
   * Regions advanced only because they gate the ones asked for (a nudge's earlier waves): a
   * rollout running there is polled even before its next check time, so a later wave waiting on
   * it starts as soon as it finished (the queue's wake-ups keep moving that check time forward).
   */
  gates?: readonly string[] | undefined;
}

/** What a rollout needs observed in this run: its own due checks, or an early poll of a gate. */
export function neededObservation(run: ReleaseRun, r: RegionRollout, need: Action): Action {
  if (need !== 'none' || r.state !== 'rolling-out' || !r.handle) return need;
  return run.gates?.includes(r.region) ? 'poll-rollout' : need;
}

export function ledgerFor(deps: Deps<LedgerStore>, cache: RunCache, region: string): Promise<LedgerEntry[]> {
  return memoUntilRejected(cache.ledger, region, () => deps.store.listLedger(region));
}

/** A region's holds and gate version, once per run and region (only pending rollouts ask). */
export function gateFor(
  deps: Deps<Pick<HoldStore, 'readGate'>>,
  cache: RunCache,
  region: string,
): Promise<RegionGate> {
  return memoUntilRejected(cache.gates, region, () => deps.store.readGate(region));
}

/**
 * The replica's answer, once per (region, repository, digest) and run. A failed check (ACR
 * 401/403/5xx, a refused token, a throw) is logged with its cause, counted, and returned with it,
 * so the rollout's reason names it instead of an anonymous "unknown" until the replication deadline.
 */
export function checkReplica(
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
    p = deps.replicaStatus
      .checkWithCause(region, release.repository, release.digest, signal)
      .catch((err: unknown): ReplicaCheck => ({ presence: 'unknown', cause: errorMessage(err) }))
      .then((check) => {
        if (check.cause) {
          log.warn('replica.check-failed', {
            region,
            repository: release.repository,
            digest: release.digest,
            cause: check.cause,
          });
          deps.metrics.operationError({ operation: 'replica-check' });
        }
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
export function changeRequest(
  deps: Deps,
  release: Release,
  r: RegionRollout,
  ledger: readonly LedgerEntry[],
): RolloutRequest {
  const request = rolloutRequest(deps, release, r, ledger);
  return r.state === 'reverting' && r.revertTo ? revertRequest(request, r.revertTo) : request;
}
