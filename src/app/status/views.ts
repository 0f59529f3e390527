// The shapes the status API returns: what a person (or the dashboard) needs to see where a
// release went, never the store's bookkeeping (etags, executor handles, lock timestamps).
import { reactionFrom } from '../../core/rollout';
import type { RegionRollout, Release } from '../../core/model';

/** Derived durations in milliseconds; null while the later of the two moments is unknown. */
export interface RolloutFigures {
  /** pushedAt -> replicaReadyAt: how long the region's replica took to hold the digest. */
  replicationLagMs: number | null;
  /** max(replicaReadyAt, release createdAt) -> startedAt: how long the product took to act once it could. */
  reactionDelayMs: number | null;
  /** startedAt -> finishedAt, only once the rollout succeeded or failed. */
  rolloutDurationMs: number | null;
}

export interface RolloutSummaryView {
  region: string;
  wave: number;
  state: RegionRollout['state'];
  reason: string;
  attempts: number;
  /** Re-sends of the same fenced change after an ambiguous start (they spend no attempt). */
  resends: number;
  updatedAt: string;
  /** When the first attempt started: where the reaction delay ends (the page splits it by its waits). */
  startedAt?: string | undefined;
  figures: RolloutFigures;
}

export interface RolloutDetailView extends RolloutSummaryView {
  /** Stable code of `reason` (src/core/rollout/reasons.ts). */
  reasonCode?: string | undefined;
  workloads: string[];
  createdAt: string;
  replicaReadyAt?: string | undefined;
  replicaReadySource?: RegionRollout['replicaReadySource'];
  lastCheckAt?: string | undefined;
  lastCheckResult?: RegionRollout['lastCheckResult'];
  nextCheckAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  commandId?: string | undefined;
  lastError?: string | undefined;
  logsTail?: string | undefined;
  command?: string | undefined;
  skippedWorkloads?: string[] | undefined;
  revertTo?: RegionRollout['revertTo'];
  newerEnded?: string[] | undefined;
  /** Starts ARM failed (5xx, unreachable) and the deadline of that budget. */
  armErrors?: number | undefined;
  armErrorDeadline?: string | undefined;
}

/** The release record as stored (it holds nothing internal). */
export type ReleaseFields = Release;

export interface ReleaseSummaryView extends ReleaseFields {
  rollouts: RolloutSummaryView[];
}

export interface ReleaseDetailView extends ReleaseFields {
  /** Claimed by its webhook, not written out yet: no rollouts to show (only then present). */
  pendingWriteOut?: true;
  rollouts: RolloutDetailView[];
}

/** b - a in ms, clamped at 0 (ACR's push time and ours come from different clocks). */
function between(a: string | undefined, b: string | undefined): number | null {
  if (!a || !b) return null;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isFinite(ms) ? Math.max(0, ms) : null;
}

export function rolloutFigures(
  release: Pick<Release, 'pushedAt'> & Partial<Pick<Release, 'createdAt'>>,
  r: RegionRollout,
): RolloutFigures {
  const ended = r.state === 'succeeded' || r.state === 'failed';
  return {
    replicationLagMs: between(release.pushedAt, r.replicaReadyAt),
    reactionDelayMs: between(reactionFrom(release, r), r.startedAt),
    rolloutDurationMs: ended ? between(r.startedAt, r.finishedAt) : null,
  };
}

export function releaseFields(release: Release): ReleaseFields {
  return {
    id: release.id,
    repository: release.repository,
    tag: release.tag,
    digest: release.digest,
    pushedAt: release.pushedAt,
    version: release.version,
    mediaType: release.mediaType,
    source: release.source,
    announcedBy: release.announcedBy,
    createdAt: release.createdAt,
    status: release.status,
    completedAt: release.completedAt,
    regions: release.regions,
    verification: release.verification,
    verifiedAt: release.verifiedAt,
    // Why it is unverified or rejected; a reason left from before it was verified is not shown.
    verificationReason: release.verification === 'verified' ? undefined : release.verificationReason,
    // Operator state.
    paused: release.paused === true ? true : undefined,
    pausedBy: release.paused === true ? release.pausedBy : undefined,
    pausedAt: release.paused === true ? release.pausedAt : undefined,
    pauseReason: release.paused === true ? release.pauseReason : undefined,
    approvedWaves: release.approvedWaves,
    rejection: release.rejection,
    rollbackOf: release.rollbackOf,
    stuck: release.stuck,
  };
}

export function rolloutSummary(release: Release, r: RegionRollout): RolloutSummaryView {
  return {
    region: r.region,
    wave: r.wave,
    state: r.state,
    reason: r.reason,
    attempts: r.attempts,
    resends: r.resends ?? 0,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt,
    figures: rolloutFigures(release, r),
  };
}

export function rolloutDetail(release: Release, r: RegionRollout): RolloutDetailView {
  return {
    ...rolloutSummary(release, r),
    reasonCode: r.reasonCode,
    workloads: r.workloads,
    createdAt: r.createdAt,
    replicaReadyAt: r.replicaReadyAt,
    replicaReadySource: r.replicaReadySource,
    lastCheckAt: r.lastCheckAt,
    lastCheckResult: r.lastCheckResult,
    nextCheckAt: r.nextCheckAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    commandId: r.handle?.commandId,
    lastError: r.lastError,
    logsTail: r.logsTail,
    command: r.command,
    skippedWorkloads: r.skippedWorkloads,
    revertTo: r.revertTo,
    newerEnded: r.newerEnded,
    armErrors: r.armErrors,
    armErrorDeadline: r.armErrorDeadline,
  };
}

/** Rollouts in wave order, then as the release lists its regions (the order the grid draws). */
export function orderRollouts<T extends { region: string; wave: number }>(release: Release, rs: T[]): T[] {
  const pos = (region: string) => {
    const i = release.regions.indexOf(region);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...rs].sort((a, b) => a.wave - b.wave || pos(a.region) - pos(b.region));
}
