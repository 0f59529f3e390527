// Turns "repository:tag now points at digest" (from a webhook or the registry scan) into at most
// one release per push. The tag head tells a regional duplicate of the current push (same digest)
// from a new push (different digest, later timestamp) and from a late delivery of an older push.
// The webhook only claims (head, tag->digest row and the pending release in one transaction);
// the release is written out by its nudge, its wake-up or the timer (materialize-release.ts).
import { activeEntryOf, initialRollouts, planTargets, makeReleaseId } from '../../core/intake';
import { versionOf, type Release } from '../../core/model';
import { rejectionText, type Rejection } from '../../core/operator';
import {
  TAG_HISTORY_LIMIT,
  type PendingRelease,
  type RolloutStore,
  type TagHead,
  type VerificationUpdate,
} from '../../core/model';
import type { Deps } from '../platform';
import { materializeIfPending } from './write-out-release';
import type { RegionSignal } from './region-signal';

export interface PushSighting {
  repository: string;
  tag: string;
  digest: string;
  /** ACR's event timestamp (or the tag's lastUpdateTime for the scan). */
  eventAt: string;
  mediaType?: string | undefined;
  source: Release['source'];
  /** Region whose webhook announced it, if any. */
  region?: string | undefined;
  /** That region's readiness signal, written once: by the planning (or its claim) or after it. */
  signal?: RegionSignal | undefined;
  /** What the registry said about the push (src/app/intake/verify-push.ts); absent: not checked. */
  verification?: VerificationUpdate | undefined;
}

export interface PlanOptions {
  /** Claim only: the release stays pending until it is written out (the webhook). */
  defer?: boolean | undefined;
  /** The tag head as the caller read it just before (null: read, there was none). */
  head?: TagHead | null | undefined;
}

export type PlanOutcome =
  | { kind: 'planned'; releaseId: string; created: boolean; pending?: PendingRelease | undefined }
  | { kind: 'ignored'; reason: string; releaseId?: string | undefined };

const MAX_RACE_RETRIES = 5;

export async function planRelease(
  deps: Deps,
  push: PushSighting,
  opts: PlanOptions = {},
): Promise<PlanOutcome> {
  const { config, store } = deps;
  const targets = planTargets(config.regions, config.workloads, push.repository, push.tag);
  if (Object.keys(targets).length === 0)
    return { kind: 'ignored', reason: `no workload watches ${push.repository}:${push.tag}` };

  let given = opts.head;
  for (let i = 0; i < MAX_RACE_RETRIES; i++) {
    const head =
      given !== undefined ? (given ?? undefined) : await store.getTagHead(push.repository, push.tag);
    given = undefined; // a lost race re-reads
    if (head && head.digest === push.digest) {
      // The same push seen again (another region, a duplicate, or the scan): one release.
      if (opts.defer) await verifyLater(deps, head, push);
      else await ensure(deps, head.releaseId, { ...push, eventAt: head.pushedAt }, targets);
      return { kind: 'planned', releaseId: head.releaseId, created: false };
    }
    if (head && Date.parse(push.eventAt) <= Date.parse(head.pushedAt))
      return {
        kind: 'ignored',
        reason: `older than the current release ${head.releaseId} of ${push.repository}:${push.tag} (${head.digest})`,
      };
    if (head && (await isLateReplication(store, head, push)))
      return { kind: 'ignored', reason: `late replication event for an earlier push of ${push.digest}` };

    const claimed = await claim(deps, head, push, targets, opts.defer === true);
    if (claimed) return claimed;
  }
  throw new Error(`could not plan ${push.repository}:${push.tag}: the tag head kept changing`);
}

/**
 * A replica reporting an earlier digest of the tag for the first time is replication catching
 * up, not a re-push: a re-push is announced by a region that already held the digest.
 */
async function isLateReplication(store: RolloutStore, head: TagHead, push: PushSighting): Promise<boolean> {
  if (!push.signal) return false;
  if (!(await tagCarried(store, head, push))) return false;
  if ((await push.signal.write()) === 'duplicate') return false;
  // First written now, but the earlier release may still carry it in its pending record.
  const earlier = await store.getTagDigestRelease(push.repository, push.tag, push.digest);
  const pending = earlier ? await store.getPendingRelease(push.repository, earlier) : undefined;
  return pending?.signal?.region !== push.signal.signal.region;
}

/** Whether a release of this tag carried the digest: the head's history, else its row. */
async function tagCarried(store: RolloutStore, head: TagHead, push: PushSighting): Promise<boolean> {
  if (head.recentDigests?.includes(push.digest)) return true;
  if (head.recentDigests && !head.digestsDropped) return false;
  return (await store.getTagDigestRelease(push.repository, push.tag, push.digest)) !== undefined;
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

/** The next generation of the head claimed; undefined when another delivery moved it first. */
async function claim(
  deps: Deps,
  head: TagHead | undefined,
  push: PushSighting,
  targets: Record<string, string[]>,
  defer: boolean,
): Promise<PlanOutcome | undefined> {
  const { store } = deps;
  const generation = (head?.generation ?? 0) + 1;
  const releaseId = makeReleaseId({ ...push, pushedAt: push.eventAt, generation });
  const next: TagHead = {
    repository: push.repository,
    tag: push.tag,
    digest: push.digest,
    releaseId,
    pushedAt: push.eventAt,
    generation,
    ...historyWith(head, push.digest),
    ...(push.verification?.verification === 'unverified' ? { unverified: true } : {}),
    etag: head?.etag,
  };
  if (defer) {
    // The region's signal rides in the pending record (one write fewer for the answer).
    const signal = push.signal?.carriable();
    const pending: PendingRelease = {
      release: newRelease(deps, releaseId, push, targets),
      targets,
      ...(signal ? { signal } : {}),
    };
    if ((await store.claimTagHead(next, pending)) === 'conflict') return undefined;
    if (signal) push.signal?.carried();
    return { kind: 'planned', releaseId, created: true, pending };
  }
  // The rejection read (a new release needs it) goes out with the claim: one round trip less;
  // a lost claim wastes it. Settled here, so a failed read is never unhandled.
  const rejection = settle(store.getRejection(push.repository, push.digest));
  if ((await store.claimTagHead(next)) === 'conflict') return undefined;
  // This generation of the head was just claimed by us, so its release cannot exist yet.
  await ensure(deps, releaseId, push, targets, { isNew: true, rejection });
  return { kind: 'planned', releaseId, created: true };
}

function newRelease(
  deps: Deps,
  releaseId: string,
  push: PushSighting,
  targets: Record<string, string[]>,
): Release {
  const version = versionOf(push.tag);
  return {
    id: releaseId,
    repository: push.repository,
    tag: push.tag,
    digest: push.digest,
    pushedAt: new Date(Date.parse(push.eventAt)).toISOString(),
    ...(version ? { version } : {}),
    mediaType: push.mediaType,
    source: push.source,
    announcedBy: push.region,
    createdAt: deps.clock.now().toISOString(),
    status: 'active',
    regions: Object.keys(targets),
    ...push.verification,
  };
}

/**
 * A known push seen by the webhook: a sighting the registry confirmed verifies a release claimed
 * unverified (a no-op while that release is still pending: its run verifies it before starting).
 */
async function verifyLater(deps: Deps, head: TagHead, push: PushSighting): Promise<void> {
  if (head.unverified && push.verification?.verification === 'verified')
    await deps.store.recordVerification({ id: head.releaseId }, push.verification);
}

async function ensure(
  deps: Deps,
  releaseId: string,
  push: PushSighting,
  targets: Record<string, string[]>,
  opts: { isNew?: boolean; rejection?: Settled<Rejection | undefined> } = {},
): Promise<void> {
  const existing = opts.isNew ? undefined : await deps.store.getRelease(releaseId);
  // A release the webhook claimed and nobody wrote out yet: written as claimed.
  const found =
    existing ?? (opts.isNew ? undefined : await materializeIfPending(deps, push.repository, releaseId));
  // ensureRelease writes the release last, so an existing one is complete: nothing to repair.
  // A later sighting the registry confirmed (another region's webhook, the scan) verifies it.
  if (found) {
    if (found.verification === 'unverified' && push.verification?.verification === 'verified')
      await deps.store.recordVerification(found, push.verification);
    return;
  }
  const release = newRelease(deps, releaseId, push, targets);
  // A digest an operator rejected for the repository is recorded, never rolled out.
  const rejection = opts.rejection
    ? unwrap(await opts.rejection)
    : await deps.store.getRejection(release.repository, release.digest);
  if (rejection) release.rejection = rejectionText(rejection);
  const rollouts = initialRollouts(release, targets, deps.config.regions, deps.clock.now());
  await deps.store.ensureRelease(release, rollouts, activeEntryOf(release, targets));
}

type Settled<T> = Promise<{ ok: true; value: T } | { ok: false; error: unknown }>;

function settle<T>(p: Promise<T>): Settled<T> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function unwrap<T>(s: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (s.ok) return s.value;
  throw s.error;
}
