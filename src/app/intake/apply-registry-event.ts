// What one recorded delivery announces, turned into table rows: a push's readiness signal (a
// regional URL), its tag head claimed with the pending release (the release itself is written
// out later: materialize-release.ts), or the reason it plans nothing. At most 4 table operations
// for the answer, with the delivery record's read and write (docs/choices.md "Webhook table operations: a new push 4, a duplicate 1").
import type { AcrEvent, PendingRelease, TagHead } from '../../core/intake';
import type { Deps, Logger } from '../platform';
import { planRelease } from './plan-release';
import { checkPush, DEFERRED, isWatched, orderTime } from './push-order';
import { RegionSignal } from './region-signal';

export interface Processed {
  status: 'recorded' | 'ignored' | 'rejected';
  releases: string[];
  reason?: string | undefined;
  /** Time spent asking the registry about the push. */
  verifyMs: number;
  /** The release this delivery claimed, not written out yet (its nudge or wake-up does that). */
  pending?: PendingRelease | undefined;
}

export async function processEvent(
  deps: Deps,
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
  const verification = check.kind === 'planned' ? check.fields : undefined;
  const head = await headRead;

  // A push seen on a regional URL means that region's replica holds the digest.
  const signal = region
    ? new RegionSignal(deps.store, {
        repository,
        digest,
        region,
        receivedAt: deps.clock.now().toISOString(),
        eventAt: event.timestamp,
      })
    : undefined;
  if (tag === '') {
    const isNew = (await signal?.write()) === 'created';
    return {
      status: isNew ? 'recorded' : 'ignored',
      releases: [],
      reason: 'digest-only push (no tag): no release',
      verifyMs,
    };
  }

  const eventAt = await orderTime(deps, event, region, check);
  if (eventAt === undefined) {
    const earlier = await earlierRelease(deps, signal, { repository, tag, digest }, head);
    return {
      status: earlier ? 'recorded' : 'ignored',
      releases: earlier ? [earlier] : [],
      reason: DEFERRED,
      verifyMs,
    };
  }
  const planned = await planRelease(
    deps,
    { repository, tag, digest, eventAt, mediaType, source: 'webhook', region, signal, verification },
    { defer: true, head: head ?? null },
  );
  if (planned.kind === 'planned') {
    await signal?.settle();
    return { status: 'recorded', releases: [planned.releaseId], verifyMs, pending: planned.pending };
  }
  // Not a new release, but a regional signal may still move an earlier release of this digest on.
  const earlier = await earlierRelease(deps, signal, { repository, tag, digest }, head);
  if (earlier) return { status: 'recorded', releases: [earlier], reason: planned.reason, verifyMs };
  return { status: 'ignored', releases: [], reason: planned.reason, verifyMs };
}

/** After a delivery that planned nothing: its signal written, and if it was new, the digest's release. */
async function earlierRelease(
  deps: Deps,
  signal: RegionSignal | undefined,
  push: { repository: string; tag: string; digest: string },
  head: TagHead | undefined,
): Promise<string | undefined> {
  if (!signal || (await signal.settle()) !== 'created') return undefined;
  if (head?.digest === push.digest) return head.releaseId;
  // The head's complete history says whether any release of the tag carried it, without a read.
  if (head?.recentDigests && !head.digestsDropped && !head.recentDigests.includes(push.digest))
    return undefined;
  return deps.store.getTagDigestRelease(push.repository, push.tag, push.digest);
}
