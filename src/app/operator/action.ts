// What every operator action shares: its input (who, why), its result (mapped to HTTP
// in one place, src/functions/operator/http.ts), the audit entry written before every change and
// completed after it, and the bounded nudge of the release it changed.
import type { ReleaseStore } from '../../core/model';
import type { AuditAction, AuditEntry, AuditStore } from '../../core/operator';
import type { Deps } from '../platform';
import { retry } from '../../core/platform';
import { errorMessage, nudgeWithin, type Logger } from '../platform';
import { actionOutbox, newAuditKey } from '../notify';
import { reconcileRelease } from '../rollout';

export interface ActionInput {
  /** Who: from the request's identity, never from its body (src/functions/operator/actor.ts). */
  actor: string;
  reason?: string | undefined;
}

export type ActionResult =
  | { kind: 'ok'; status: 200 | 201 | 202; body: unknown }
  | { kind: 'not-found'; message: string }
  | { kind: 'conflict'; message: string }
  | { kind: 'bad-request'; field: string; message: string };

export const notFound = (message: string): ActionResult => ({ kind: 'not-found', message });
export const badRequest = (field: string, message: string): ActionResult => ({
  kind: 'bad-request',
  field,
  message: `${field}: ${message}`,
});

type AuditTarget = Pick<AuditEntry, 'releaseId' | 'region' | 'wave' | 'detail'>;

/** What an action's change did: applied (with its answer), or refused (409, or 404 when it was gone). */
export type Verdict =
  | {
      kind: 'applied';
      status: 200 | 201 | 202;
      /** The answer, built after the audit is complete and the releases are nudged. */
      body: () => unknown;
      /** Words the audit entry gains once the change is known (the regions canceled, the new release). */
      detail?: string | undefined;
      /** The releases to nudge (after the outcome is recorded: a nudge never fails the action). */
      nudge?: Nudge | undefined;
    }
  | { kind: 'refused'; message: string; status?: 404 | 409 | undefined; detail?: string | undefined };

/** Release ids, or how to find them (read after the change; a failure there is logged, not answered). */
type Nudge = readonly string[] | (() => Promise<readonly string[]>);

export const appliedWith = (
  status: 200 | 201 | 202,
  body: () => unknown,
  extra: { detail?: string | undefined; nudge?: Nudge | undefined } = {},
): Verdict => ({ kind: 'applied', status, body, ...extra });
export const refusal = (message: string, status?: 404 | 409): Verdict => ({
  kind: 'refused',
  message,
  status,
});

/** Tries of the outcome write (the change is made: it is worth waiting a little for). */
const COMPLETE_ATTEMPTS = 3;

/**
 * Runs an operator action audit-first: its audit entry is written (outcome `pending`) before the
 * change, so no change can exist without its entry; the outcome (`applied`, `refused: <why>`,
 * or `failed: <error>` when the change threw) is filled in after, with the applied action's
 * notifications in the same transaction. Then the releases it changed are nudged. An action that
 * applied is answered as applied even when its outcome write, its nudge or the read-back of its
 * answer fails (each is logged and counted): the entry then stays `pending`, never missing.
 */
export async function audited(
  deps: Deps,
  log: Logger,
  action: AuditAction,
  input: ActionInput,
  target: AuditTarget,
  change: () => Promise<Verdict>,
): Promise<ActionResult> {
  const entry: AuditEntry = {
    at: deps.clock.now().toISOString(),
    actor: input.actor,
    action,
    ...target,
    reason: input.reason,
    outcome: 'pending',
  };
  const key = newAuditKey(entry.at);
  await deps.store.appendAudit(entry, { key });
  let verdict: Verdict;
  try {
    verdict = await change();
  } catch (err) {
    await complete(deps, log, key, { ...entry, outcome: `failed: ${errorMessage(err).slice(0, 300)}` });
    throw err;
  }
  const detail = verdict.detail ?? entry.detail;
  const outcome = verdict.kind === 'applied' ? 'applied' : `refused: ${verdict.message}`;
  await complete(deps, log, key, { ...entry, outcome, detail });
  if (verdict.kind === 'refused')
    return verdict.status === 404
      ? notFound(verdict.message)
      : { kind: 'conflict', message: verdict.message };
  try {
    const nudge = verdict.nudge ?? [];
    await nudgeReleases(deps, typeof nudge === 'function' ? await nudge() : nudge, log);
  } catch (err) {
    log.warn('operator.nudge-error', { action, error: errorMessage(err) });
    deps.metrics.operationError({ operation: 'operator-nudge' });
  }
  let body: unknown;
  try {
    body = await verdict.body();
  } catch (err) {
    log.warn('operator.answer-unread', { action, error: errorMessage(err) });
    deps.metrics.operationError({ operation: 'operator-answer' });
    body = { applied: true, message: 'applied; reading the result back failed: read it again' };
  }
  return { kind: 'ok', status: verdict.status, body };
}

async function complete(
  deps: Deps<Pick<AuditStore, 'completeAudit'> & Pick<ReleaseStore, 'getRelease'>>,
  log: Logger,
  key: string,
  entry: AuditEntry,
): Promise<void> {
  try {
    const outbox = await actionOutbox(deps, entry, key);
    await retry(
      () => deps.store.completeAudit(key, { outcome: entry.outcome, detail: entry.detail }, outbox),
      {
        attempts: COMPLETE_ATTEMPTS,
        baseMs: 200,
        capMs: 1000,
        sleep: deps.sleep,
      },
    );
    log.info('operator.action', { ...entry });
  } catch (err) {
    log.error('operator.audit-incomplete', { ...entry, auditKey: key, error: errorMessage(err) });
    deps.metrics.operationError({ operation: 'operator-audit' });
  }
}

/**
 * Runs the reconciler for the releases an action changed, within the webhook's nudge budget, so
 * the operator sees it move at once; what does not finish in time is the timer's. Never throws.
 */
export async function nudgeReleases(deps: Deps, releaseIds: readonly string[], log: Logger): Promise<void> {
  const budgetMs = deps.config.nudgeBudgetMs;
  if (budgetMs <= 0 || releaseIds.length === 0) return;
  const first = await nudgeWithin(budgetMs, (budget) =>
    Promise.all(
      releaseIds.map((id) =>
        reconcileRelease(deps, id, log, { signal: budget }).catch((err: unknown) => {
          log.warn('operator.nudge-error', { releaseId: id, error: errorMessage(err) });
          deps.metrics.operationError({ operation: 'operator-nudge' });
        }),
      ),
    ),
  );
  if (first === 'late') log.info('operator.nudge-deferred', { reason: 'budget spent; the timer continues' });
}
