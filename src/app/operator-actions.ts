// What every operator action (issue 12) shares: its input (who, why), its result (mapped to HTTP
// in one place, src/functions/operator-http.ts), the audit entry written for every applied or
// refused action, and the bounded nudge of the release it changed.
import { setMaxListeners } from 'node:events';
import type { AuditAction, AuditEntry } from '../core/operator';
import type { Deps } from './deps';
import { errorMessage, type Logger } from './logger';
import { actionOutbox, newAuditKey } from './notify-operator';
import { reconcileRelease } from './reconcile-release';

export interface ActionInput {
  /** Who: from the request's identity, never from its body (src/functions/operator-actor.ts). */
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

/** Records the action (outcome applied) and answers ok. */
export async function applied(
  deps: Deps,
  log: Logger,
  action: AuditAction,
  input: ActionInput,
  target: AuditTarget,
  status: 200 | 201 | 202,
  body: unknown,
): Promise<ActionResult> {
  await record(deps, log, action, input, target, 'applied');
  return { kind: 'ok', status, body };
}

/** Records the refusal (outcome "refused: <why>") and answers 409. */
export async function refused(
  deps: Deps,
  log: Logger,
  action: AuditAction,
  input: ActionInput,
  target: AuditTarget,
  message: string,
): Promise<ActionResult> {
  await record(deps, log, action, input, target, `refused: ${message}`);
  return { kind: 'conflict', message };
}

async function record(
  deps: Deps,
  log: Logger,
  action: AuditAction,
  input: ActionInput,
  target: AuditTarget,
  outcome: string,
): Promise<void> {
  const entry: AuditEntry = {
    at: deps.clock.now().toISOString(),
    actor: input.actor,
    action,
    ...target,
    reason: input.reason,
    outcome,
  };
  // An applied action's notification rides in the entry's own transaction (notify-operator.ts).
  const key = newAuditKey(entry.at);
  await deps.store.appendAudit(entry, { key, outbox: await actionOutbox(deps, entry, key) });
  log.info('operator.action', { ...entry });
}

/**
 * Runs the reconciler for the releases an action changed, within the webhook's nudge budget, so
 * the operator sees it move at once; what does not finish in time is the timer's.
 */
export async function nudgeReleases(deps: Deps, releaseIds: readonly string[], log: Logger): Promise<void> {
  const budgetMs = deps.config.nudgeBudgetMs;
  if (budgetMs <= 0 || releaseIds.length === 0) return;
  const budget = AbortSignal.timeout(budgetMs);
  setMaxListeners(0, budget);
  const work = Promise.all(
    releaseIds.map((id) =>
      reconcileRelease(deps, id, log, { signal: budget }).catch((err: unknown) => {
        log.warn('operator.nudge-error', { releaseId: id, error: errorMessage(err) });
      }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), budgetMs + 500);
  });
  const first = await Promise.race([work.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (first === 'late') log.info('operator.nudge-deferred', { reason: 'budget spent; the timer continues' });
}
