// The figures a notification carries, from a rollout's own timestamps (never from a clock).
import { reactionFrom } from '../rollout';
import type { RegionRollout, Release } from '../model';
import type { NotifyFigures } from './notify-event';

/** b - a in ms, clamped at 0 (ACR's push time and ours come from different clocks). */
export function between(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

export function definedOnly(f: NotifyFigures): NotifyFigures | undefined {
  const out: NotifyFigures = {};
  if (f.replicationLagMs !== undefined) out.replicationLagMs = f.replicationLagMs;
  if (f.reactionDelayMs !== undefined) out.reactionDelayMs = f.reactionDelayMs;
  if (f.durationMs !== undefined) out.durationMs = f.durationMs;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The figures of one region rollout, as far as its timestamps know them. */
export function regionFigures(
  release: Pick<Release, 'pushedAt'> & Partial<Pick<Release, 'createdAt'>>,
  r: RegionRollout,
): NotifyFigures | undefined {
  return definedOnly({
    replicationLagMs: between(release.pushedAt, r.replicaReadyAt),
    reactionDelayMs: between(reactionFrom(release, r), r.startedAt),
    durationMs:
      r.state === 'succeeded' || r.state === 'failed' ? between(r.startedAt, r.finishedAt) : undefined,
  });
}

/** The latest of the times that parse, or undefined when none does. */
export function latest(times: Array<string | undefined>): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const t of times) {
    const ms = t ? Date.parse(t) : NaN;
    if (Number.isFinite(ms) && ms > bestMs) {
      best = t;
      bestMs = ms;
    }
  }
  return best;
}
