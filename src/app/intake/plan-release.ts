// Turns "repository:tag now points at digest" (from a webhook or the registry scan) into at most
// one release per push. The tag head tells a regional duplicate of the current push (same digest)
// from a new push (different digest, later timestamp) and from a late delivery of an older push.
// A new push is claimed with its pending record (pending-release.ts); the caller writes it out,
// or leaves that to the release's nudge, wake-up or the timer.
import {
  makeReleaseId,
  planTargets,
  TAG_HISTORY_LIMIT,
  type PendingRelease,
  type PendingReleaseStore,
  type SignalStore,
  type TagHead,
  type TagHeadStore,
} from '../../core/intake';
import type { ReadinessSignal } from '../../core/model';
import type { Deps } from '../platform';
import { claimRelease, pendingRecord, type PendingPush } from './pending-release';

export interface PushSighting extends PendingPush {
  /** That region's readiness signal, written at most once (see SignalFate). */
  signal?: ReadinessSignal | undefined;
}

/**
 * What the planning did with the sighting's signal: wrote it ('created' the first time this
 * region reports the digest), had the claim carry it in the pending record ('carried': written
 * with the release), or left it unwritten (undefined: the caller writes it, if it wants it).
 */
export type SignalFate = 'created' | 'duplicate' | 'carried' | undefined;

export type PlanOutcome = (
  | { kind: 'claimed'; releaseId: string; pending: PendingRelease }
  /**
   * The tag head names this digest's release already. `record`: the pending record it would
   * have been claimed with, for a release neither written nor pending (the scan writes it out).
   */
  | { kind: 'known'; releaseId: string; head: TagHead; record: PendingRelease }
  | { kind: 'ignored'; reason: string }
) & { signal: SignalFate };

export type PlanStore = Pick<TagHeadStore, 'getTagHead' | 'getTagDigestRelease' | 'claimTagHead'> &
  Pick<PendingReleaseStore, 'getPendingRelease'> &
  Pick<SignalStore, 'recordSignal'>;

type PlanDeps = Pick<Deps<PlanStore>, 'store' | 'config' | 'clock'>;

const MAX_RACE_RETRIES = 5;

/** `known`: the tag head as the caller read it just before (null: read, there was none). */
export async function planRelease(
  deps: PlanDeps,
  push: PushSighting,
  known?: TagHead | null,
): Promise<PlanOutcome> {
  const { store } = deps;
  const targets = planTargets(deps.config.regions, deps.config.workloads, push.repository, push.tag);
  let signal: SignalFate;
  if (Object.keys(targets).length === 0)
    return { kind: 'ignored', reason: `no workload watches ${push.repository}:${push.tag}`, signal };
  let given = known;
  for (let i = 0; i < MAX_RACE_RETRIES; i++) {
    const head =
      given !== undefined ? (given ?? undefined) : await store.getTagHead(push.repository, push.tag);
    given = undefined; // a lost race re-reads
    if (head && head.digest === push.digest) {
      // The same push seen again (another region, a duplicate, or the scan): one release.
      const record = pendingRecord(deps, head.releaseId, { ...push, eventAt: head.pushedAt }, targets);
      return { kind: 'known', releaseId: head.releaseId, head, record, signal };
    }
    if (head && Date.parse(push.eventAt) <= Date.parse(head.pushedAt))
      return {
        kind: 'ignored',
        reason: `older than the current release ${head.releaseId} of ${push.repository}:${push.tag} (${head.digest})`,
        signal,
      };
    if (head && push.signal && (await tagCarried(store, head, push))) {
      signal ??= await store.recordSignal(push.signal);
      if (await isLateReplication(store, push, push.signal, signal))
        return {
          kind: 'ignored',
          reason: `late replication event for an earlier push of ${push.digest}`,
          signal,
        };
    }
    const next = nextHead(head, push);
    // The region's signal rides in the pending record when it is still unwritten.
    const pending = pendingRecord(deps, next.releaseId, push, targets, signal ? undefined : push.signal);
    if (await claimRelease(deps, next, pending))
      return {
        kind: 'claimed',
        releaseId: next.releaseId,
        pending,
        signal: pending.signal ? 'carried' : signal,
      };
  }
  throw new Error(`could not plan ${push.repository}:${push.tag}: the tag head kept changing`);
}

/**
 * A replica reporting an earlier digest of the tag (one a release of it carried) for the first
 * time is replication catching up, not a re-push: a re-push is announced by a region that already
 * held the digest. First written now, the signal may still ride in that release's pending record.
 */
async function isLateReplication(
  store: PlanStore,
  push: PushSighting,
  signal: ReadinessSignal,
  fate: SignalFate,
): Promise<boolean> {
  if (fate !== 'created') return false;
  const earlier = await store.getTagDigestRelease(push.repository, push.tag, push.digest);
  const pending = earlier ? await store.getPendingRelease(push.repository, earlier) : undefined;
  return pending?.signal?.region !== signal.region;
}

/** Whether a release of this tag carried the digest: the head's history, else its row. */
async function tagCarried(store: PlanStore, head: TagHead, push: PushSighting): Promise<boolean> {
  if (head.recentDigests?.includes(push.digest)) return true;
  if (head.recentDigests && !head.digestsDropped) return false;
  return (await store.getTagDigestRelease(push.repository, push.tag, push.digest)) !== undefined;
}

/** The next generation of the head, naming the push's new release (ETag-guarded on `head`). */
function nextHead(head: TagHead | undefined, push: PushSighting): TagHead {
  const generation = (head?.generation ?? 0) + 1;
  return {
    repository: push.repository,
    tag: push.tag,
    digest: push.digest,
    releaseId: makeReleaseId({ ...push, pushedAt: push.eventAt, generation }),
    pushedAt: push.eventAt,
    generation,
    ...historyWith(head, push.digest),
    ...(push.verification?.verification === 'unverified' ? { unverified: true } : {}),
    etag: head?.etag,
  };
}

/** The head's digest history with this digest first, bounded. */
function historyWith(
  head: TagHead | undefined,
  digest: string,
): Pick<TagHead, 'recentDigests' | 'digestsDropped'> {
  const before = head ? (head.recentDigests ?? [head.digest]) : [];
  const all = [digest, ...before.filter((d) => d !== digest)];
  // A head from before the history was kept knew only its own digest: older ones need the row.
  const dropped =
    (head !== undefined && head.recentDigests === undefined) ||
    head?.digestsDropped === true ||
    all.length > TAG_HISTORY_LIMIT;
  return { recentDigests: all.slice(0, TAG_HISTORY_LIMIT), ...(dropped ? { digestsDropped: true } : {}) };
}
