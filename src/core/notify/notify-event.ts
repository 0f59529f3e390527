// The notification event: what happened, to which release and region, in words and figures,
// and the key that names it as one logical event (so (dedupeKey, target) is delivered once).
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
