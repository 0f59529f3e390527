// region.stuck: a rollout that made no progress for a while, though it is expected to move on by
// itself. Derived by the timer's look at open rollouts, not from a transition.
import type { RegionRollout, RegionRolloutState, Release } from '../model';
import { latest, regionFigures } from './figures';
import { dedupeKey, notifyRelease, type NotifyEvent } from './notify-event';

/** States a region rollout can be stuck in: it is still expected to move on by itself. */
export const STUCK_STATES: ReadonlySet<RegionRolloutState> = new Set([
  'waiting-for-replica',
  'replica-ready',
  'rolling-out',
]);
export const DEFAULT_STUCK_AFTER_SECONDS = 900;

/**
 * The last moment the rollout moved forward: creation, replica ready, or an attempt starting.
 * `updatedAt` is not progress: every replica check and reason change rewrites it.
 */
export function lastProgressAt(r: RegionRollout): string {
  return latest([r.createdAt, r.replicaReadyAt, r.startedAt, r.attemptStartedAt]) ?? r.createdAt;
}

/** When the rollout counts as stuck, or undefined when it cannot be (terminal states). */
export function stuckSince(
  r: RegionRollout,
  stuckAfterSeconds = DEFAULT_STUCK_AFTER_SECONDS,
): Date | undefined {
  if (!STUCK_STATES.has(r.state)) return undefined;
  // An operator's pause or hold is a chosen wait, not a stall (awaiting-approval is not listed).
  if (r.reasonCode === 'paused-by' || r.reasonCode === 'held') return undefined;
  const ms = Date.parse(lastProgressAt(r)) + stuckAfterSeconds * 1000;
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

export function isStuck(
  r: RegionRollout,
  now: Date,
  stuckAfterSeconds = DEFAULT_STUCK_AFTER_SECONDS,
): boolean {
  const since = stuckSince(r, stuckAfterSeconds);
  return since !== undefined && now.getTime() >= since.getTime();
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/**
 * A `region.stuck` event when the rollout made no progress for stuckAfterSeconds. Its key and
 * time are those of the stall (the last progress), so repeated checks of one stall yield one event.
 */
export function stuckEvent(
  r: RegionRollout,
  release: Pick<Release, 'id' | 'repository' | 'tag' | 'digest' | 'pushedAt'>,
  now: Date,
  stuckAfterSeconds = DEFAULT_STUCK_AFTER_SECONDS,
): NotifyEvent | undefined {
  const since = stuckSince(r, stuckAfterSeconds);
  if (!since || now.getTime() < since.getTime()) return undefined;
  const progress = lastProgressAt(r);
  return {
    event: 'region.stuck',
    at: since.toISOString(),
    release: notifyRelease(release),
    region: r.region,
    state: r.state,
    reason: `no progress for ${minutes(stuckAfterSeconds)} while ${r.state}: ${r.reason}`,
    figures: regionFigures(release, r),
    dedupeKey: dedupeKey('region.stuck', release.id, r.region, progress),
  };
}
