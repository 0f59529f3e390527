// Notification events derived from region-rollout transitions: a pure function of
// (previous record, next record, release, the release's other rollouts). The caller writes the
// events into the outbox in the same transition that changed the record; `dedupeKey` names the
// logical event, so (dedupeKey, target) is delivered exactly once however often it is derived.
import type { RegionRollout, RegionRolloutState, Release } from '../model';
import { between, definedOnly, latest, regionFigures } from './figures';
import { dedupeKey, notifyRelease, type NotifyEvent, type NotifyEventName } from './notify-event';

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
  'skipped',
  'replication-timed-out',
  'halted',
  'dry-run',
  'rejected',
]);

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
