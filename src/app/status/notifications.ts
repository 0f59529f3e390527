// GET /api/notifications: the recent deliveries of the outbox, newest first, with what a person
// needs to see a failing target: event, release, region, target host (never the URL), format,
// status, attempts and last error.
import type { OutboxEntry } from '../../core/notify';
import type { Deps } from '../platform';

export const DEFAULT_NOTIFICATIONS_LIMIT = 100;
export const MAX_NOTIFICATIONS_LIMIT = 500;

export interface NotificationView {
  event: string;
  at: string;
  /** Absent only for an action on no release (hold, unhold). */
  releaseId?: string | undefined;
  repository?: string | undefined;
  tag?: string | undefined;
  region?: string | undefined;
  wave?: number | undefined;
  /** action.performed: who did which action. */
  actor?: string | undefined;
  action?: string | undefined;
  targetHost: string;
  format: string;
  status: string;
  attempts: number;
  lastStatus?: number | undefined;
  lastError?: string | undefined;
  createdAt: string;
  lastAttemptAt?: string | undefined;
  nextAttemptAt?: string | undefined;
  deliveredAt?: string | undefined;
}

function view(e: OutboxEntry): NotificationView {
  return {
    event: e.event.event,
    at: e.event.at,
    releaseId: e.event.release?.id,
    repository: e.event.release?.repository,
    tag: e.event.release?.tag,
    region: e.event.region,
    wave: e.event.wave,
    actor: e.event.action?.actor,
    action: e.event.action?.name,
    targetHost: e.targetHost,
    format: e.format,
    status: e.status,
    attempts: e.attempts,
    lastStatus: e.lastStatus,
    lastError: e.lastError,
    createdAt: e.createdAt,
    lastAttemptAt: e.lastAttemptAt,
    nextAttemptAt: e.status === 'pending' ? e.nextAttemptAt : undefined,
    deliveredAt: e.deliveredAt,
  };
}

/** Parses ?limit=; a message naming the problem when it is not a whole number in range. */
export function parseNotificationsLimit(
  raw: string | undefined,
): { ok: true; limit: number } | { ok: false; message: string } {
  if (raw === undefined || raw === '') return { ok: true, limit: DEFAULT_NOTIFICATIONS_LIMIT };
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_NOTIFICATIONS_LIMIT)
    return { ok: false, message: `must be a whole number from 1 to ${MAX_NOTIFICATIONS_LIMIT}` };
  return { ok: true, limit: n };
}

export async function listNotifications(
  deps: Pick<Deps, 'outbox' | 'config'>,
  limit: number,
): Promise<{ deliveries: NotificationView[] }> {
  const rows = await deps.outbox.listOutbox(deps.config.regions.map((r) => r.name));
  // Newest event first; ties (one event, several targets) by target host, for a stable order.
  rows.sort(
    (a, b) =>
      Date.parse(b.event.at) - Date.parse(a.event.at) ||
      b.createdAt.localeCompare(a.createdAt) ||
      a.targetHost.localeCompare(b.targetHost),
  );
  return { deliveries: rows.slice(0, limit).map(view) };
}
