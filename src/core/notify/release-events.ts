// Release-level notification events, derived once the release is complete from all its region
// rollouts: they go out with the release's completion write (one ETag-guarded transaction in the
// release partition), so two regions finishing at once cannot announce the release twice.
// Their dedupeKeys are those transitionEvents gives the same events.
import type { RegionRollout, Release } from '../model';
import { dedupeKey, notifyRelease, type NotifyEvent } from './notify-event';

const UNSUCCESSFUL = new Set(['failed', 'replication-timed-out', 'halted']);

function finished(r: RegionRollout): string {
  return r.finishedAt ?? r.updatedAt;
}

function byTime(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

/** release.halted (when a region was halted) and release.completed, in that order. */
export function releaseEvents(
  release: Pick<Release, 'id' | 'repository' | 'tag' | 'digest' | 'pushedAt'>,
  rollouts: readonly RegionRollout[],
): NotifyEvent[] {
  if (rollouts.length === 0) return [];
  const all = [...rollouts].sort((a, b) => a.region.localeCompare(b.region));
  const out: NotifyEvent[] = [];
  const halted = all.filter((r) => r.state === 'halted').sort((a, b) => byTime(finished(a), finished(b)));
  const firstHalted = halted[0];
  if (firstHalted)
    out.push({
      event: 'release.halted',
      at: finished(firstHalted),
      release: notifyRelease(release),
      state: 'halted',
      reason: `later waves will not roll out: ${firstHalted.reason}`,
      dedupeKey: dedupeKey('release.halted', release.id, undefined, 'halted'),
    });
  const at = all.map(finished).sort(byTime).at(-1) ?? all[0]!.updatedAt;
  const durationMs = Math.max(0, Date.parse(at) - Date.parse(release.pushedAt));
  out.push({
    event: 'release.completed',
    at,
    release: notifyRelease(release),
    state: all.some((r) => UNSUCCESSFUL.has(r.state)) ? 'failed' : 'succeeded',
    reason: all.map((r) => `${r.region} ${r.state}`).join(', '),
    figures: Number.isFinite(durationMs) ? { durationMs } : undefined,
    dedupeKey: dedupeKey('release.completed', release.id, undefined, 'completed'),
  });
  return out;
}
