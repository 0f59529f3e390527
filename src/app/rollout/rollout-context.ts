// What one region rollout's step needs to know beyond its own record and the ledger: the rollouts
// here of newer releases that target its workloads (whether one took over, is still pending, or
// ended without rolling out), and, for onFailure 'revert', the last good release to go back to.
import { changedWorkloads, newerReleasesToRead } from '../../core/rollout';
import type { NewerFor } from '../../core/intake';
import { memoUntilRejected } from '../../core/platform';
import type {
  LastGood,
  LedgerEntry,
  RegionRollout,
  Release,
  RolloutRequest,
  ActiveReleaseEntry,
} from '../../core/model';
import type { RegionRolloutStore } from '../../core/rollout';

/** Per reconcile run: newer releases' rollouts, read once per (release, region). */
export type NewerRolloutCache = Map<string, Promise<RegionRollout | undefined>>;

/**
 * The rollouts in r's region of the newer active releases that target its workloads, for a
 * pending rollout only (the others do not plan). Usually none are needed: no read at all.
 */
export async function newerRolloutsHere(
  store: Pick<RegionRolloutStore, 'getRollout'>,
  cache: NewerRolloutCache,
  r: RegionRollout,
  at: {
    release: Pick<Release, 'id' | 'pushedAt' | 'version' | 'rollbackOf'>;
    ledger: readonly LedgerEntry[];
    active: readonly ActiveReleaseEntry[];
    order: NewerFor;
  },
): Promise<Map<string, RegionRollout | undefined>> {
  const pending = r.state === 'waiting-for-replica' || r.state === 'replica-ready';
  const ids = pending ? newerReleasesToRead(r, at.release, at.ledger, at.active, at.order) : [];
  const read = (id: string) =>
    memoUntilRejected(cache, `${id}\n${r.region}`, () => store.getRollout(id, r.region));
  const found = await Promise.all(ids.map(read));
  return new Map(ids.map((id, i) => [id, found[i]]));
}

/**
 * The last good release of every workload r changes, if they share one (a revert changes them
 * all to one image); undefined when nothing good was recorded or they differ.
 */
export function revertTarget(r: RegionRollout, ledger: readonly LedgerEntry[]): LastGood | undefined {
  const entries = changedWorkloads(r).map((w) => ledger.find((l) => l.workload === w));
  const first = entries[0];
  if (!first?.digest || !first.releaseId) return undefined;
  if (!entries.every((e) => e?.releaseId === first.releaseId && e.digest === first.digest)) return undefined;
  return { releaseId: first.releaseId, tag: first.tag, digest: first.digest, pushedAt: first.pushedAt };
}

/** The fenced change of a revert: the rollout's request with the last good image and release. */
export function revertRequest(failed: RolloutRequest, to: LastGood): RolloutRequest {
  return {
    ...failed,
    // The spec carries the failed release's change now: the fence tests exactly that.
    workloads: failed.workloads.map((w) => ({ ...w, expectedRelease: failed.releaseId })),
    releaseId: to.releaseId,
    image: { ...failed.image, digest: to.digest, tag: to.tag },
    revertOf: failed.releaseId,
  };
}
