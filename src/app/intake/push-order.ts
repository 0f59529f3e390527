// Which clock orders a push's release, the same whichever region announced it (docs/choices.md "Same push vs new push"):
// the home region's own event time, or for another region's delivery (whose timestamp may be the
// time the image landed there) the home registry's `lastUpdateTime` of the tag, read beside the
// verification HEAD. A far region's delivery of a new push whose time cannot be read plans nothing.
import { watchesTag } from '../../core/model';
import type { TagHead, TagHeadStore } from '../../core/intake';
import type { Deps, Logger } from '../platform';
import { verifyAtIntake, type IntakeCheck } from './verify-push';

/** The intake check, and whether the tag head already held this digest (the push is known). */
export type PushCheck = (IntakeCheck | { kind: 'none'; elapsedMs: 0 }) & { known?: boolean };

/**
 * Before anything is recorded from a push (a readiness signal, a tag head): is this the registry's
 * push? Only for pushes a workload watches: the others plan nothing, so they cost no registry call.
 * A delivery of another region than home may carry its landing time: for a push not yet known
 * (the tag head is elsewhere), the registry is asked for the push time too.
 */
export async function checkPush(
  deps: Omit<Deps, 'store'>,
  push: { repository: string; tag: string; digest: string },
  region: string | undefined,
  log: Logger,
  /** The tag head, read by the caller (it plans with the same read). */
  head: Promise<TagHead | undefined>,
): Promise<PushCheck> {
  const { tag, digest } = push;
  if (!isWatched(deps, push.repository, tag)) return { kind: 'none', elapsedMs: 0 };
  const far = region !== undefined && region !== deps.config.registry.homeRegion && tag !== '';
  const known = far && (await head)?.digest === digest;
  const check = await verifyAtIntake(deps, push, log, { pushTime: far && !known });
  return known ? { ...check, known } : check;
}

/** A workload watches this push (a digest-only push: any tag of the repository). */
export function isWatched(deps: Pick<Deps, 'config'>, repository: string, tag: string): boolean {
  return deps.config.workloads.some((w) =>
    tag === '' ? w.repository === repository : watchesTag(w, repository, tag),
  );
}

export const DEFERRED =
  "not planned from this region's delivery: the home registry's push time could not be read " +
  '(the home webhook or the tag scan plans it, ordered by that time)';

/**
 * The time a release of this push is ordered by, the same whichever region announced it: the home
 * region's own event time, or for another region's delivery (its timestamp may be the time the
 * image landed there) the home registry's `lastUpdateTime` of the tag. Undefined when that could
 * not be read and the push is new: it is left to the home webhook or the tag scan, which read the
 * same clock.
 */
export async function orderTime(
  deps: Deps<Pick<TagHeadStore, 'getTagHead'>>,
  event: { timestamp: string; target: { repository: string; tag?: string; digest?: string } },
  region: string | undefined,
  check: PushCheck,
): Promise<string | undefined> {
  // A known push keeps the time its release was planned with (planRelease reads the head's).
  if (check.kind === 'none' || check.known || region === undefined) return event.timestamp;
  if (region === deps.config.registry.homeRegion) return event.timestamp;
  if (check.kind === 'planned' && check.pushedAt) return check.pushedAt;
  // Planned meanwhile (a parallel delivery): its release keeps the time it was planned with.
  const { repository, tag = '', digest } = event.target;
  const head = await deps.store.getTagHead(repository, tag);
  return head && head.digest === digest ? head.pushedAt : undefined;
}
