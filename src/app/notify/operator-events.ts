// The notifications of operator steering: approval.required when a wave stops for an
// operator, action.performed for every applied action. With no NOTIFY_TARGETS nothing is written.
//   approval.required: the region commit that entered awaiting-approval is followed by a
//     create-if-absent of the (release, wave) rows in the release partition: the rows are keyed
//     by release and wave, so the wave's other regions, a replayed transition and overlapping
//     timer runs all find them there and add none (one message per target and wave).
//   action.performed: rows in the audit partition, in the audit entry's own transaction, keyed by
//     the entry's row key (exactly once per audit entry). Refused actions (409) are not notified.
import { randomBytes } from 'node:crypto';
import type { RegionRollout, Release, ReleaseStore } from '../../core/model';
import { actionEvent, transitionEvents } from '../../core/notify';
import { auditRowKey, type AuditEntry } from '../../core/operator';
import type { OutboxEntry } from '../../core/notify';
import { retry } from '../../core/platform';
import type { Deps } from '../platform';
import { errorMessage, type Logger } from '../platform';
import { entriesFor } from './transition-outbox';

/** The approval.required rows of a transition into awaiting-approval (none for any other). */
export function approvalOutbox(
  deps: Pick<Deps, 'config'>,
  release: Release,
  prev: RegionRollout,
  next: RegionRollout,
  others: readonly RegionRollout[],
): OutboxEntry[] {
  if (deps.config.notify.targets.length === 0 || prev.state === next.state) return [];
  const events = transitionEvents({ prev, next, release, others }).filter(
    (e) => e.event === 'approval.required',
  );
  return entriesFor(deps, { kind: 'release' }, events, next.updatedAt);
}

/**
 * Writes the approval rows after their transition committed. Idempotent (create-if-absent), with
 * bounded retries; a storage failure is logged and counted, never thrown: the rollout has moved already.
 */
export async function writeApprovalOutbox(
  deps: Pick<Deps, 'outbox' | 'sleep' | 'metrics'>,
  rows: OutboxEntry[],
  log: Logger,
): Promise<void> {
  if (rows.length === 0) return;
  try {
    await retry(() => deps.outbox.putOutbox(rows), {
      attempts: 3,
      baseMs: 200,
      capMs: 2000,
      sleep: deps.sleep,
    });
  } catch (err) {
    log.warn('notification.write-error', {
      notification: 'approval.required',
      wave: rows[0]?.event.wave,
      error: errorMessage(err),
    });
    deps.metrics.operationError({ operation: 'notification-write' });
  }
}

/** A fresh audit row key: inverted time (newest first) and 12 random hex. */
export function newAuditKey(at: string): string {
  return auditRowKey(at, randomBytes(6).toString('hex'));
}

/** The action.performed rows of an applied action (scope audit, keyed by its audit row key). */
export async function actionOutbox(
  deps: Pick<Deps<Pick<ReleaseStore, 'getRelease'>>, 'store' | 'config'>,
  entry: AuditEntry,
  auditKey: string,
): Promise<OutboxEntry[]> {
  if (deps.config.notify.targets.length === 0 || entry.outcome !== 'applied') return [];
  const release = entry.releaseId ? await deps.store.getRelease(entry.releaseId) : undefined;
  return entriesFor(deps, { kind: 'audit' }, [actionEvent(entry, auditKey, release)], entry.at);
}
