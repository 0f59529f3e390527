// Turns "repository:tag now points at digest" (from a webhook or the registry scan) into at most
// one release per push. The tag head tells a regional duplicate of the current push (same digest)
// from a new push (different digest, later timestamp) and from a late delivery of an older push.
import { activeEntryOf, initialRollouts, planTargets } from '../core/release-planning';
import { makeReleaseId } from '../core/release-id';
import type { Release } from '../core/model';
import { rejectionText, type Rejection } from '../core/operator';
import type { VerificationUpdate } from '../core/store';
import type { Deps } from './deps';

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
  /** True when this region had already reported (repository, digest) before this delivery. */
  regionSeenBefore?: boolean | undefined;
  /** What the registry said about the push (src/app/verify-push.ts); absent: not checked. */
  verification?: VerificationUpdate | undefined;
}

export type PlanOutcome =
  | { kind: 'planned'; releaseId: string; created: boolean }
  | { kind: 'ignored'; reason: string; releaseId?: string | undefined };

const MAX_RACE_RETRIES = 5;

export async function planRelease(deps: Deps, push: PushSighting): Promise<PlanOutcome> {
  const { config, store } = deps;
  const targets = planTargets(config.regions, config.workloads, push.repository, push.tag);
  if (Object.keys(targets).length === 0)
    return { kind: 'ignored', reason: `no workload watches ${push.repository}:${push.tag}` };

  for (let i = 0; i < MAX_RACE_RETRIES; i++) {
    const head = await store.getTagHead(push.repository, push.tag);
    if (head && head.digest === push.digest) {
      // The same push seen again (another region, a duplicate, or the scan): one release.
      await ensure(deps, head.releaseId, { ...push, eventAt: head.pushedAt }, targets);
      return { kind: 'planned', releaseId: head.releaseId, created: false };
    }
    if (head && Date.parse(push.eventAt) <= Date.parse(head.pushedAt))
      return {
        kind: 'ignored',
        reason: `older than the current release ${head.releaseId} of ${push.repository}:${push.tag} (${head.digest})`,
      };
    if (
      head &&
      push.region &&
      !push.regionSeenBefore &&
      (await store.getTagDigestRelease(push.repository, push.tag, push.digest)) !== undefined
    )
      // A replica reporting an older digest for the first time is replication catching up,
      // not a re-push: a re-push is announced by a region that already held the digest.
      return { kind: 'ignored', reason: `late replication event for an earlier push of ${push.digest}` };

    const generation = (head?.generation ?? 0) + 1;
    const releaseId = makeReleaseId({ ...push, pushedAt: push.eventAt, generation });
    const claim = {
      repository: push.repository,
      tag: push.tag,
      digest: push.digest,
      releaseId,
      pushedAt: push.eventAt,
      generation,
      etag: head?.etag,
    };
    // The rejection read (a new release needs it) goes out with the claim: one round trip less
    // for the answer; a lost claim wastes it. Settled here, so a failed read is never unhandled.
    const rejection = settle(store.getRejection(push.repository, push.digest));
    // The head and its tag->digest row, atomically where the store can (one round trip).
    const claimed = store.claimTagHead ? await store.claimTagHead(claim) : await store.putTagHead(claim);
    if (claimed === 'conflict') continue; // another delivery moved the head: re-read and re-decide
    if (!store.claimTagHead) await store.recordTagDigest(push.repository, push.tag, push.digest, releaseId);
    // This generation of the head was just claimed by us, so its release cannot exist yet.
    await ensure(deps, releaseId, push, targets, { isNew: true, rejection });
    return { kind: 'planned', releaseId, created: true };
  }
  throw new Error(`could not plan ${push.repository}:${push.tag}: the tag head kept changing`);
}

async function ensure(
  deps: Deps,
  releaseId: string,
  push: PushSighting,
  targets: Record<string, string[]>,
  opts: { isNew?: boolean; rejection?: Settled<Rejection | undefined> } = {},
): Promise<void> {
  const now = deps.clock.now();
  const existing = opts.isNew ? undefined : await deps.store.getRelease(releaseId);
  const release: Release = existing ?? {
    id: releaseId,
    repository: push.repository,
    tag: push.tag,
    digest: push.digest,
    pushedAt: new Date(Date.parse(push.eventAt)).toISOString(),
    mediaType: push.mediaType,
    source: push.source,
    announcedBy: push.region,
    createdAt: now.toISOString(),
    status: 'active',
    regions: Object.keys(targets),
    ...push.verification,
  };
  // ensureRelease writes the release last, so an existing one is complete: nothing to repair.
  // A later sighting the registry confirmed (another region's webhook, the scan) verifies it.
  if (existing) {
    if (existing.verification === 'unverified' && push.verification?.verification === 'verified')
      await deps.store.recordVerification(existing, push.verification);
    return;
  }
  // A digest an operator rejected for the repository is recorded, never rolled out.
  const rejection = opts.rejection
    ? unwrap(await opts.rejection)
    : await deps.store.getRejection(release.repository, release.digest);
  if (rejection) release.rejection = rejectionText(rejection);
  const rollouts = initialRollouts(release, targets, deps.config.regions, now);
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
