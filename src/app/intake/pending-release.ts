// The pending release: a new push costs the webhook one write. Its claim writes the tag head, the
// head's tag->digest row and the release as it will be written (the pending record) in one
// transaction of the heads table. The release's own rows (the readiness signal the record
// carries, the rollouts, the active entry, the release itself) are written out from that record
// later, by writeOutRelease, called by whoever comes first: the webhook's nudge, the release's
// queue wake-up, an operator action on its id, or the timer (which lists every pending record).
// The registry scan claims the same way and writes out at once. Writing out is create-if-absent,
// the release last and the record deleted after it, so two writers at once write each row once
// (docs/choices.md "Webhook table operations").
import {
  activeEntryOf,
  initialRollouts,
  type PendingRelease,
  type PendingReleaseStore,
  type SignalStore,
  type TagHead,
  type TagHeadStore,
} from '../../core/intake';
import {
  versionOf,
  type ReadinessSignal,
  type Release,
  type ReleaseStore,
  type VerificationUpdate,
} from '../../core/model';
import { rejectionText, type RejectionStore } from '../../core/operator';
import { watchedRepositories } from '../config';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';

/** What writing a pending release out reads and writes. */
export type PendingStore = PendingReleaseStore &
  Pick<SignalStore, 'recordSignal'> &
  Pick<ReleaseStore, 'getRelease' | 'ensureRelease'> &
  Pick<RejectionStore, 'getRejection'>;

type PendingDeps = Pick<Deps<PendingStore>, 'store' | 'config' | 'clock'>;

/** A push as its pending record takes it. */
export interface PendingPush {
  repository: string;
  tag: string;
  digest: string;
  /** ACR's event timestamp (or the tag's lastUpdateTime for the scan): the release's pushedAt. */
  eventAt: string;
  mediaType?: string | undefined;
  source: Release['source'];
  /** Region whose webhook announced it, if any. */
  region?: string | undefined;
  /** What the registry said about the push (src/app/intake/verify-push.ts); absent: not checked. */
  verification?: VerificationUpdate | undefined;
}

/** The pending record of the push's release: the release as it will be written. */
export function pendingRecord(
  deps: Pick<Deps, 'clock'>,
  releaseId: string,
  push: PendingPush,
  targets: Record<string, string[]>,
  signal?: ReadinessSignal,
): PendingRelease {
  const release: Release = {
    id: releaseId,
    repository: push.repository,
    tag: push.tag,
    digest: push.digest,
    pushedAt: new Date(Date.parse(push.eventAt)).toISOString(),
    ...versionField(push.tag),
    mediaType: push.mediaType,
    source: push.source,
    announcedBy: push.region,
    createdAt: deps.clock.now().toISOString(),
    status: 'active',
    regions: Object.keys(targets),
    ...push.verification,
  };
  return { release, targets, ...(signal ? { signal } : {}) };
}

/**
 * Claims the push: the next tag head (ETag-guarded on the one read) with its pending record, in
 * one transaction. False when another delivery moved the head first (the caller re-reads).
 */
export async function claimRelease(
  deps: Pick<Deps<Pick<TagHeadStore, 'claimTagHead'>>, 'store'>,
  head: TagHead,
  pending: PendingRelease,
): Promise<boolean> {
  return (await deps.store.claimTagHead(head, pending)) === 'ok';
}

/** Which release to write out. */
export type WriteOutFrom =
  /** A record this caller holds (its own claim just now, or one rebuilt from the push): written at once. */
  | { claimed: PendingRelease }
  /** A record as listed: written unless its release is there already (then only the record is deleted). */
  | { found: PendingRelease }
  /**
   * A release id: the release if it is there, else its pending record (read in `repositories`,
   * default every watched one: the id does not name its repository) written out.
   */
  | { releaseId: string; repositories?: readonly string[] | undefined };

/** The release as it stands, and whether this call wrote it out. */
export interface WrittenOut {
  release: Release;
  wrote: boolean;
}

/** The one way a pending release becomes a release; undefined when there is neither. */
export async function writeOutRelease(
  deps: PendingDeps,
  from: WriteOutFrom,
): Promise<WrittenOut | undefined> {
  if ('claimed' in from) return { release: await writeOut(deps, from.claimed), wrote: true };
  if ('found' in from) {
    const { release } = from.found;
    const existing = await deps.store.getRelease(release.id);
    if (!existing) return { release: await writeOut(deps, from.found), wrote: true };
    await deps.store.clearPendingRelease(release.repository, release.id);
    return { release: existing, wrote: false };
  }
  const release = await deps.store.getRelease(from.releaseId);
  if (release) return { release, wrote: false };
  // Written out by someone else between the two reads: writing it again writes nothing new.
  const pending = await findPendingRelease(deps, from.releaseId, from.repositories);
  return pending ? { release: await writeOut(deps, pending), wrote: true } : undefined;
}

/**
 * The record's readiness signal, its rollouts and active entry, then the release, then the record
 * deleted. A digest an operator rejected for the repository is recorded, never rolled out: read
 * here, not at the claim, so the webhook's answer does not wait for it.
 */
async function writeOut(deps: PendingDeps, pending: PendingRelease): Promise<Release> {
  const { store } = deps;
  const { release, targets, signal } = pending;
  const [rejection] = await Promise.all([
    store.getRejection(release.repository, release.digest),
    signal ? store.recordSignal(signal) : undefined,
  ]);
  const written: Release = rejection ? { ...release, rejection: rejectionText(rejection) } : release;
  const rollouts = initialRollouts(written, targets, deps.config.regions, deps.clock.now());
  await store.ensureRelease(written, rollouts, activeEntryOf(written, targets));
  await store.clearPendingRelease(release.repository, release.id);
  return written;
}

/** A release still pending, by id: one point read per repository (default every watched one). */
export async function findPendingRelease(
  deps: Pick<Deps<Pick<PendingReleaseStore, 'getPendingRelease'>>, 'store' | 'config'>,
  releaseId: string,
  repositories: readonly string[] = watchedRepositories(deps.config),
): Promise<PendingRelease | undefined> {
  const found = await Promise.all(repositories.map((r) => deps.store.getPendingRelease(r, releaseId)));
  return found.find((p) => p !== undefined);
}

/**
 * The timer's safety net: every pending record of every watched repository written out (a lost
 * wake-up, a nudge cut short, a crash after the claim). One query per repository when none is.
 */
export async function materializeAllPending(
  deps: PendingDeps,
  log: Logger,
): Promise<{ written: number; errors: number }> {
  const out = { written: 0, errors: 0 };
  await Promise.all(
    watchedRepositories(deps.config).map(async (repository) => {
      try {
        for (const found of await deps.store.listPendingReleases(repository)) {
          if (!(await writeOutRelease(deps, { found }))?.wrote) continue;
          out.written++;
          const { id, tag, digest } = found.release;
          log.info('release.pending-written', { releaseId: id, repository, tag, digest });
        }
      } catch (err) {
        out.errors++;
        log.error('release.pending-error', { repository, error: errorMessage(err) });
      }
    }),
  );
  return out;
}

/** A release's version: the tag's semver, when it is one (what a workload's order `semver` reads). */
function versionField(tag: string): Pick<Release, 'version'> {
  const version = versionOf(tag);
  return version ? { version } : {};
}
