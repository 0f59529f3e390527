// What each transition writes into the outbox, and the metrics recorded at the same moment.
// Region events (region.succeeded / failed / replication-timed-out) ride in the region commit;
// release events in the completion write; region.stuck is written by the timer. With no
// NOTIFY_TARGETS nothing is written at all.
import { isTerminal, type RegionRollout, type Release } from '../../core/model';
import {
  lastProgressAt,
  stuckEvent,
  stuckSince,
  transitionEvents,
  type NotifyEvent,
  releaseEvents,
  outboxEntries,
  type OutboxEntry,
  type OutboxScope,
  type OutboxTarget,
} from '../../core/notify';
import type { Deps, Logger, Metrics } from '../platform';
import { describeTarget, targetId, targetsFor } from './targets';

const REGION_EVENTS: ReadonlySet<string> = new Set([
  'region.succeeded',
  'region.failed',
  'region.replication-timed-out',
]);

export function entriesFor(
  deps: Pick<Deps, 'config'>,
  scope: OutboxScope,
  events: NotifyEvent[],
  at: string,
): OutboxEntry[] {
  return events.flatMap((e) => {
    const targets: OutboxTarget[] = targetsFor(deps.config.notify.targets, e).map((t) => ({
      targetId: targetId(t),
      targetHost: describeTarget(t).host,
      format: t.format,
    }));
    return outboxEntries(scope, e, targets, at);
  });
}

/** The outbox rows of one region-rollout transition (written in its commit). */
export function regionOutbox(
  deps: Pick<Deps, 'config'>,
  release: Release,
  prev: RegionRollout,
  next: RegionRollout,
  others: readonly RegionRollout[],
): OutboxEntry[] {
  if (deps.config.notify.targets.length === 0 || prev.state === next.state) return [];
  const events = transitionEvents({ prev, next, release, others }).filter((e) => REGION_EVENTS.has(e.event));
  return entriesFor(deps, { kind: 'region', region: next.region }, events, next.updatedAt);
}

/** The outbox rows of a release's completion (written with the completion). */
export function releaseOutbox(
  deps: Pick<Deps, 'config'>,
  release: Release,
  rollouts: readonly RegionRollout[],
  completedAt: string,
): OutboxEntry[] {
  if (deps.config.notify.targets.length === 0) return [];
  return entriesFor(deps, { kind: 'release' }, releaseEvents(release, rollouts), completedAt);
}

/** region.stuck rows for the rollouts that made no progress for policy.stuckAfterSeconds. */
export function stuckOutbox(
  deps: Pick<Deps, 'config'>,
  release: Release,
  rollouts: readonly RegionRollout[],
  now: Date,
): OutboxEntry[] {
  if (deps.config.notify.targets.length === 0) return [];
  return rollouts.flatMap((r) => {
    const e = stuckEvent(r, release, now, deps.config.policy.stuckAfterSeconds);
    return e ? entriesFor(deps, { kind: 'region', region: r.region }, [e], now.toISOString()) : [];
  });
}

/**
 * The timer's look at rollouts without progress: a `rollout.stuck` warning per run while it lasts
 * (the stuck-region alert counts them), and one region.stuck notification per stall.
 */
export async function noteStuck(
  deps: Pick<Deps, 'config' | 'clock' | 'outbox'>,
  release: Release,
  rollouts: readonly RegionRollout[],
  log: Logger,
): Promise<void> {
  const now = deps.clock.now();
  for (const r of rollouts) {
    const since = stuckSince(r, deps.config.policy.stuckAfterSeconds);
    if (since && now.getTime() >= since.getTime())
      log.warn('rollout.stuck', {
        region: r.region,
        state: r.state,
        lastProgressAt: lastProgressAt(r),
        reason: r.reason,
      });
  }
  const rows = stuckOutbox(deps, release, rollouts, now);
  if (rows.length > 0) await deps.outbox.putOutbox(rows);
}

function between(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

function later(a: string | undefined, b: string): string {
  return a && Date.parse(a) > Date.parse(b) ? a : b;
}

/**
 * Each figure once per rollout, at the transition that makes it known: replication lag when the
 * replica is seen ready, reaction delay at the start (from the later of replica ready and the
 * release becoming known: a push found late by the scan is not our slowness), duration and the
 * outcome at the end. Transitions are ETag-guarded commits, so none is counted twice.
 */
export function recordTransitionMetrics(
  m: Metrics,
  release: Release,
  prev: RegionRollout,
  next: RegionRollout,
): void {
  const a = { region: next.region, repository: release.repository };
  if (!prev.replicaReadyAt && next.replicaReadyAt) {
    const lag = between(release.pushedAt, next.replicaReadyAt);
    if (lag !== undefined) m.replicationLag(lag, a);
  }
  if (!prev.startedAt && next.startedAt && next.replicaReadyAt) {
    const reaction = between(later(next.replicaReadyAt, release.createdAt), next.startedAt);
    if (reaction !== undefined) m.reactionDelay(reaction, a);
  }
  if (!isTerminal(prev.state) && isTerminal(next.state)) {
    const duration = between(next.startedAt, next.finishedAt);
    if (duration !== undefined && next.startedAt) m.rolloutDuration(duration, a);
    m.rolloutOutcome({ region: next.region, state: next.state });
  }
}
