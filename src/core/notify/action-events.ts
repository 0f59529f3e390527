// action.performed: one notification per applied operator action, built from its audit entry.
// The dedupeKey carries the audit entry's row key, so the event and the entry are one-to-one:
// the rows are written in the same transaction as the entry (src/adapters/tables/audit-table.ts),
// and a second request is a second entry (a refused one, a 409, is audited but never notified).
import type { AuditEntry } from '../operator';
import { dedupeKey, notifyRelease, type NotifyEvent, type NotifyRelease } from './notify-event';

export function actionEvent(
  entry: AuditEntry,
  auditKey: string,
  release: NotifyRelease | undefined,
): NotifyEvent {
  return {
    event: 'action.performed',
    at: entry.at,
    release: release ? notifyRelease(release) : undefined,
    region: entry.region,
    wave: entry.wave,
    state: entry.outcome,
    reason: entry.reason,
    action: { name: entry.action, actor: entry.actor, detail: entry.detail },
    dedupeKey: dedupeKey('action.performed', entry.releaseId ?? '-', entry.region, auditKey),
  };
}
