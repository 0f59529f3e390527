// What one recorded delivery announces, turned into table rows: a push's readiness signal (a
// regional URL), its tag head claimed with the pending release (the release itself is written
// out later: pending-release.ts), or the reason it plans nothing. At most 4 table operations
// for the answer, with the delivery record's read and write (docs/choices.md "Webhook table operations: a new push 4, a duplicate 1").
import type { AcrEvent, PendingRelease, TagHead } from '../../core/intake';
import type { ReadinessSignal, ReleaseStore } from '../../core/model';
import type { Deps, Logger } from '../platform';
import {
  planRelease,
  type PlanOutcome,
  type PlanStore,
  type PushSighting,
  type SignalFate,
} from './plan-release';
import { checkPush, DEFERRED, isWatched, orderTime } from './push-order';

export interface Processed {
  status: 'recorded' | 'ignored' | 'rejected';
  releases: string[];
  reason?: string | undefined;
  /** Time spent asking the registry about the push. */
  verifyMs: number;
  /** The release this delivery claimed, not written out yet (its nudge or wake-up does that). */
  pending?: PendingRelease | undefined;
}

/** What applying an event reads and writes: the planning's, and a known release's verification. */
export type ApplyStore = PlanStore & Pick<ReleaseStore, 'recordVerification'>;

type ApplyDeps = Deps<ApplyStore>;
type Push = Omit<PushSighting, 'eventAt'>;

export async function applyRegistryEvent(
  deps: ApplyDeps,
  event: Exclude<AcrEvent, { action: 'ping' }>,
  region: string | undefined,
  log: Logger,
): Promise<Processed> {
  if (event.action !== 'push')
    return {
      status: 'ignored',
      releases: [],
      reason: `${event.action} events are recorded only`,
      verifyMs: 0,
    };
  const { repository, digest, tag = '', mediaType } = event.target;
  // The tag head, read once (the order check and the planning share it), beside the registry check.
  const headRead =
    tag !== '' && isWatched(deps, repository, tag)
      ? deps.store.getTagHead(repository, tag)
      : Promise.resolve(undefined);
  void headRead.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
  const check = await checkPush(deps, { repository, tag, digest }, region, log, headRead);
  const verifyMs = check.elapsedMs;
  if (check.kind === 'rejected')
    return { status: 'rejected', releases: [], reason: `registry check: ${check.reason}`, verifyMs };
  const head = await headRead;
  // A push seen on a regional URL means that region's replica holds the digest.
  const signal: ReadinessSignal | undefined = region
    ? { repository, digest, region, receivedAt: deps.clock.now().toISOString(), eventAt: event.timestamp }
    : undefined;
  const verification = check.kind === 'planned' ? check.fields : undefined;
  const push: Push = { repository, tag, digest, mediaType, source: 'webhook', region, signal, verification };
  if (tag === '') {
    const isNew = (await settleSignal(deps, push, undefined)) === 'created';
    const reason = 'digest-only push (no tag): no release';
    return { status: isNew ? 'recorded' : 'ignored', releases: [], reason, verifyMs };
  }
  const eventAt = await orderTime(deps, event, region, check);
  if (eventAt === undefined) {
    const earlier = await earlierRelease(deps, await settleSignal(deps, push, undefined), push, head);
    return {
      status: earlier ? 'recorded' : 'ignored',
      releases: earlier ? [earlier] : [],
      reason: DEFERRED,
      verifyMs,
    };
  }
  const planned = await planRelease(deps, { ...push, eventAt }, head ?? null);
  return { ...(await afterPlanning(deps, planned, push, head)), verifyMs };
}

async function afterPlanning(
  deps: ApplyDeps,
  planned: PlanOutcome,
  push: Push,
  head: TagHead | undefined,
): Promise<Omit<Processed, 'verifyMs'>> {
  if (planned.kind === 'known') await verifyKnown(deps, planned.head, push);
  const fate = await settleSignal(deps, push, planned.signal);
  if (planned.kind === 'claimed')
    return { status: 'recorded', releases: [planned.releaseId], pending: planned.pending };
  if (planned.kind === 'known') return { status: 'recorded', releases: [planned.releaseId] };
  // Not a new release, but a regional signal may still move an earlier release of this digest on.
  const earlier = await earlierRelease(deps, fate, push, head);
  if (earlier) return { status: 'recorded', releases: [earlier], reason: planned.reason };
  return { status: 'ignored', releases: [], reason: planned.reason };
}

/**
 * A known push seen again: a sighting the registry confirmed verifies a release claimed
 * unverified (a no-op while that release is still pending: its run verifies it before starting).
 */
async function verifyKnown(deps: ApplyDeps, head: TagHead, push: Push): Promise<void> {
  if (head.unverified && push.verification?.verification === 'verified')
    await deps.store.recordVerification({ id: head.releaseId }, push.verification);
}

/** The push's signal written, unless the planning wrote or carried it: what became of it. */
async function settleSignal(deps: ApplyDeps, push: Push, fate: SignalFate): Promise<SignalFate> {
  if (fate !== undefined || !push.signal) return fate;
  return deps.store.recordSignal(push.signal);
}

/** After a delivery that planned nothing: if its signal was new, the digest's release. */
async function earlierRelease(
  deps: ApplyDeps,
  fate: SignalFate,
  push: Push,
  head: TagHead | undefined,
): Promise<string | undefined> {
  if (fate !== 'created') return undefined;
  if (head?.digest === push.digest) return head.releaseId;
  // The head's complete history says whether any release of the tag carried it, without a read.
  if (head?.recentDigests && !head.digestsDropped && !head.recentDigests.includes(push.digest))
    return undefined;
  return deps.store.getTagDigestRelease(push.repository, push.tag, push.digest);
}
