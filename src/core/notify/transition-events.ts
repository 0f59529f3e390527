// Notification events derived from region-rollout transitions: a pure function of
// (previous record, next record, release, the release's other rollouts). The caller writes the
// events into the outbox in the same transition that changed the record; `dedupeKey` names the
// logical event, so (dedupeKey, target) is delivered exactly once however often it is derived.
import { reactionFrom } from '../rollout';
import type { RegionRollout, RegionRolloutState, Release } from '../model';

export const NOTIFY_EVENTS = [
  'region.succeeded',
  'region.failed',
  'region.replication-timed-out',
  'release.halted',
  'release.completed',
  'region.stuck',
  'approval.required',
  'action.performed',
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

/** States a region rollout can be stuck in: it is still expected to move on by itself. */
export const STUCK_STATES: ReadonlySet<RegionRolloutState> = new Set([
  'waiting-for-replica',
  'replica-ready',
  'rolling-out',
]);
export const DEFAULT_STUCK_AFTER_SECONDS = 900;

export interface NotifyFigures {
  /** pushedAt -> replicaReadyAt. */
  replicationLagMs?: number | undefined;
  /** replicaReadyAt -> startedAt. */
  reactionDelayMs?: number | undefined;
  /** Region: startedAt -> finishedAt. Release: pushedAt -> last region finished. */
  durationMs?: number | undefined;
}

export interface NotifyRelease {
  id: string;
  repository: string;
  tag: string;
  digest: string;
}

/** What an operator did (action.performed): from the audit entry. */
export interface NotifyAction {
  /** retry, pause, resume, approve, cancel, reject, unreject, hold, unhold or rollback. */
  name: string;
  actor: string;
  /** The audit entry's extra words (the regions retried, the held workload, the new release). */
  detail?: string | undefined;
}

export interface NotifyEvent {
  event: NotifyEventName;
  /** When it happened (ISO-8601, UTC), taken from the records, never from a clock. */
  at: string;
  /** Absent only for an action on no release (a hold or unhold is region-wide). */
  release?: NotifyRelease | undefined;
  region?: string | undefined;
  /** approval.required, and actions on one wave (approve). */
  wave?: number | undefined;
  /** action.performed only. */
  action?: NotifyAction | undefined;
  /** Region events: the rollout state; release events: `succeeded`, `failed` or `halted`. */
  state?: string | undefined;
  /** In words, for people. */
  reason?: string | undefined;
  figures?: NotifyFigures | undefined;
  /** `${event}|${releaseId}|${region or -}|${discriminator}`: one logical event, one key. */
  dedupeKey: string;
}

export interface TransitionInput {
  prev: RegionRollout;
  next: RegionRollout;
  release: Pick<Release, 'id' | 'repository' | 'tag' | 'digest' | 'pushedAt'> &
    Partial<Pick<Release, 'createdAt'>>;
  /** The release's other region rollouts as they stand after this transition. */
  others: readonly RegionRollout[];
}

const REGION_EVENT_OF: Partial<Record<RegionRolloutState, NotifyEventName>> = {
  succeeded: 'region.succeeded',
  failed: 'region.failed',
  'replication-timed-out': 'region.replication-timed-out',
};

const UNSUCCESSFUL: ReadonlySet<RegionRolloutState> = new Set([
  'failed',
  'replication-timed-out',
  'halted',
  'rejected',
]);
const TERMINAL: ReadonlySet<RegionRolloutState> = new Set([
  'succeeded',
  'failed',
  'superseded',
  'replication-timed-out',
  'halted',
  'dry-run',
  'rejected',
]);

export function dedupeKey(
  event: NotifyEventName,
  releaseId: string,
  region: string | undefined,
  discriminator: string,
): string {
  return `${event}|${releaseId}|${region ?? '-'}|${discriminator}`;
}

export function notifyRelease(release: NotifyRelease): NotifyRelease {
  return { id: release.id, repository: release.repository, tag: release.tag, digest: release.digest };
}

/** b - a in ms, clamped at 0 (ACR's push time and ours come from different clocks). */
function between(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

function definedOnly(f: NotifyFigures): NotifyFigures | undefined {
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

function regionEvent(input: TransitionInput): NotifyEvent | undefined {
  const { prev, next, release } = input;
  const event = REGION_EVENT_OF[next.state];
  if (!event || prev.state === next.state) return undefined;
  return {
    event,
    at: next.finishedAt ?? next.updatedAt,
    release: notifyRelease(release),
    region: next.region,
    state: next.state,
    reason: next.reason,
    figures: regionFigures(release, next),
    // The attempt count tells a later failure (after an operator's retry) from this one.
    dedupeKey: dedupeKey(event, release.id, next.region, `a${next.attempts}`),
  };
}

/** The first region to be halted announces the halt of the release's later waves. */
function haltEvent(input: TransitionInput, others: readonly RegionRollout[]): NotifyEvent | undefined {
  const { prev, next, release } = input;
  if (next.state !== 'halted' || prev.state === 'halted') return undefined;
  if (others.some((o) => o.state === 'halted')) return undefined;
  return {
    event: 'release.halted',
    at: next.finishedAt ?? next.updatedAt,
    release: notifyRelease(release),
    state: 'halted',
    reason: `later waves will not roll out: ${next.reason}`,
    dedupeKey: dedupeKey('release.halted', release.id, undefined, 'halted'),
  };
}

function latest(times: Array<string | undefined>): string | undefined {
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

/** The transition that makes the last pending region terminal completes the release. */
function completedEvent(input: TransitionInput, others: readonly RegionRollout[]): NotifyEvent | undefined {
  const { prev, next, release } = input;
  if (!TERMINAL.has(next.state) || TERMINAL.has(prev.state)) return undefined;
  if (!others.every((o) => TERMINAL.has(o.state))) return undefined;
  const all = [...others, next].sort((a, b) => a.region.localeCompare(b.region));
  const at = latest(all.map((r) => r.finishedAt ?? r.updatedAt)) ?? next.updatedAt;
  const failed = all.some((r) => UNSUCCESSFUL.has(r.state));
  return {
    event: 'release.completed',
    at,
    release: notifyRelease(release),
    state: failed ? 'failed' : 'succeeded',
    reason: all.map((r) => `${r.region} ${r.state}`).join(', '),
    figures: definedOnly({ durationMs: between(release.pushedAt, at) }),
    dedupeKey: dedupeKey('release.completed', release.id, undefined, 'completed'),
  };
}

/** How an operator opens a wave: the route and its body (docs/api.md "Operator actions"). */
export function approvalHint(releaseId: string, wave: number): string {
  return `approve with POST /api/releases/${releaseId}/approve and body {"wave": ${wave}}`;
}

/**
 * A region entering awaiting-approval asks for its wave's approval. The key names the release
 * and the wave, not the region: the wave's other regions (entering in the same run, or later)
 * derive the same key, so one wave gives one message per target.
 */
function approvalEvent(input: TransitionInput, others: readonly RegionRollout[]): NotifyEvent | undefined {
  const { prev, next, release } = input;
  if (next.state !== 'awaiting-approval' || prev.state === 'awaiting-approval') return undefined;
  const regions = [next, ...others]
    .filter((o) => o.wave === next.wave)
    .map((o) => o.region)
    .sort((a, b) => a.localeCompare(b));
  return {
    event: 'approval.required',
    at: next.updatedAt,
    release: notifyRelease(release),
    wave: next.wave,
    state: 'awaiting-approval',
    reason: `wave ${next.wave} (${regions.join(', ')}) waits for an operator: ${approvalHint(release.id, next.wave)}`,
    dedupeKey: dedupeKey('approval.required', release.id, undefined, `w${next.wave}`),
  };
}

/** Every event one region-rollout transition causes, in the order people should read them. */
export function transitionEvents(input: TransitionInput): NotifyEvent[] {
  const others = input.others.filter((o) => o.region !== input.next.region);
  return [
    regionEvent(input),
    approvalEvent(input, others),
    haltEvent(input, others),
    completedEvent(input, others),
  ].filter((e): e is NotifyEvent => e !== undefined);
}

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
