// Writes out a release the webhook claimed (its pending record, written in the same transaction
// as the tag head): the announcing region's readiness signal, the rollouts and the active entry,
// then the release, then the pending record is cleared. The webhook's answer therefore costs only
// the claim; its nudge, the queue wake-up or the timer (whichever comes first) does this, and
// every step is create-if-absent, so two of them doing it at once write each row once.
import type { PendingRelease } from '../../core/intake';
import type { Release } from '../../core/model';
import { rejectionText } from '../../core/operator';
import { activeEntryOf, initialRollouts } from '../../core/intake';
import { watchedRepositories } from '../config';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';

/** The release as written. */
export async function materializeRelease(deps: Deps, pending: PendingRelease): Promise<Release> {
  const { store } = deps;
  const { release, targets, signal } = pending;
  // A digest an operator rejected for the repository is recorded, never rolled out. Read here,
  // not at the claim: the webhook's answer does not wait for it.
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

/**
 * Written out unless another run wrote it meanwhile (then only the record is cleared): a found
 * record may be one the nudge or a wake-up is writing right now. Whether this call wrote it.
 */
async function materializeUnlessThere(
  deps: Deps,
  pending: PendingRelease,
): Promise<{ release: Release; wrote: boolean }> {
  const existing = await deps.store.getRelease(pending.release.id);
  if (!existing) return { release: await materializeRelease(deps, pending), wrote: true };
  await deps.store.clearPendingRelease(pending.release.repository, pending.release.id);
  return { release: existing, wrote: false };
}

/**
 * A release the webhook claimed and nobody has written out yet, found by its id alone (the id does
 * not name the repository): one point read per configured repository, only when the release
 * itself is not there.
 */
export async function findPendingRelease(
  deps: Pick<Deps, 'store' | 'config'>,
  releaseId: string,
): Promise<PendingRelease | undefined> {
  const repositories = watchedRepositories(deps.config);
  const found = await Promise.all(repositories.map((r) => deps.store.getPendingRelease(r, releaseId)));
  return found.find((p) => p !== undefined);
}

/**
 * The release, written out first when it is still only claimed: an operator acting on the id the
 * webhook just answered with acts on the release, not on a 404.
 */
export async function getReleaseWrittenOut(deps: Deps, releaseId: string): Promise<Release | undefined> {
  const release = await deps.store.getRelease(releaseId);
  if (release) return release;
  const pending = await findPendingRelease(deps, releaseId);
  return pending ? (await materializeUnlessThere(deps, pending)).release : undefined;
}

/** The pending record of that release, written out; undefined when there is none. */
export async function materializeIfPending(
  deps: Deps,
  repository: string,
  releaseId: string,
): Promise<Release | undefined> {
  const pending = await deps.store.getPendingRelease(repository, releaseId);
  return pending ? (await materializeUnlessThere(deps, pending)).release : undefined;
}

/**
 * The timer's safety net: every pending record of every watched repository written out (a lost
 * wake-up, a nudge cut short, a crash after the claim). One query per repository when none is.
 */
export async function materializeAllPending(
  deps: Deps,
  log: Logger,
): Promise<{ written: number; errors: number }> {
  const out = { written: 0, errors: 0 };
  const repositories = watchedRepositories(deps.config);
  await Promise.all(
    repositories.map(async (repository) => {
      try {
        for (const pending of await deps.store.listPendingReleases(repository)) {
          if (!(await materializeUnlessThere(deps, pending)).wrote) continue;
          out.written++;
          log.info('release.pending-written', {
            releaseId: pending.release.id,
            repository,
            tag: pending.release.tag,
            digest: pending.release.digest,
          });
        }
      } catch (err) {
        out.errors++;
        log.error('release.pending-error', { repository, error: errorMessage(err) });
      }
    }),
  );
  return out;
}
