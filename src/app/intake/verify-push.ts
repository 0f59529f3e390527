// The webhook alone must not decide what is deployed: a push is checked
// against the home registry before it is planned. The intake check is bounded (VERIFY_BUDGET_MS)
// so the webhook answer stays far inside ACR's 5 s; a registry that cannot answer in time leaves
// the release `unverified`, and the reconciler verifies it (once per run) before any rollout of it
// starts. A refuted push is never planned; a release refuted later ends every rollout `rejected`.
import type { Release, ReleaseStore, PushVerification, VerificationUpdate } from '../../core/model';
import type { Deps } from '../platform';
import { errorMessage, settleWithin, type Logger } from '../platform';

/** Time the webhook gives the registry check (token exchange included) before planning unverified. */
export const VERIFY_BUDGET_MS = 1000;

export interface PushRef {
  repository: string;
  /** '' for a push by digest only (checked by digest). */
  tag: string;
  digest: string;
}

export type IntakeCheck =
  | { kind: 'rejected'; reason: string; elapsedMs: number }
  | {
      kind: 'planned';
      fields: VerificationUpdate;
      elapsedMs: number;
      /** The home registry's push time (asked with `pushTime`), when it could be read. */
      pushedAt?: string | undefined;
    };

/**
 * Asks the verifier within `budgetMs`; an answer it cannot give in time is 'unreachable'. The port
 * never throws: a throw is logged and counted, and is 'unreachable' too.
 */
async function ask(
  deps: Pick<Deps, 'pushVerifier' | 'metrics'>,
  push: PushRef,
  log: Logger,
  budgetMs: number | undefined,
  signal?: AbortSignal,
  opts: { pushTime?: boolean } = {},
): Promise<PushVerification> {
  const bound = budgetMs === undefined ? undefined : AbortSignal.timeout(budgetMs);
  const combined = bound && signal ? AbortSignal.any([bound, signal]) : (bound ?? signal);
  const asked = deps.pushVerifier
    .verify(push.repository, push.tag, push.digest, combined, opts)
    .catch((err: unknown): PushVerification => {
      const reason = errorMessage(err);
      log.error('push.verify-error', {
        repository: push.repository,
        tag: push.tag,
        digest: push.digest,
        error: reason,
      });
      deps.metrics.operationError({ operation: 'push-verify' });
      return { outcome: 'unreachable', reason };
    });
  if (budgetMs === undefined) return asked;
  // A belt over the signal: whatever the verifier does, the webhook does not wait past the budget.
  return settleWithin(asked, budgetMs + 100, (): PushVerification => ({
    outcome: 'unreachable',
    reason: `no answer within ${budgetMs} ms`,
  }));
}

/** The webhook's check: rejected (plan nothing), or the verification fields the release starts with. */
export async function verifyAtIntake(
  deps: Omit<Deps, 'store'>,
  push: PushRef,
  log: Logger,
  opts: { pushTime?: boolean } = {},
): Promise<IntakeCheck> {
  const t0 = performance.now();
  const v = await ask(deps, push, log, VERIFY_BUDGET_MS, undefined, opts);
  const elapsedMs = Math.round(performance.now() - t0);
  if (v.outcome === 'mismatch') return { kind: 'rejected', reason: v.reason, elapsedMs };
  if (v.outcome === 'verified')
    return {
      kind: 'planned',
      fields: { verification: 'verified', verifiedAt: deps.clock.now().toISOString() },
      elapsedMs,
      pushedAt: v.pushedAt,
    };
  log.warn('push.unverified', { reason: v.reason, elapsedMs });
  return { kind: 'planned', fields: { verification: 'unverified', verificationReason: v.reason }, elapsedMs };
}

/**
 * Before a rollout of an unverified release may start: ask the registry (bounded by the registry
 * client's own timeouts and the caller's signal) and record the verdict on the release. Returns
 * the release as it stands afterwards; the state machine then starts, keeps waiting, or rejects.
 */
export async function verifyBeforeStart(
  deps: Deps<Pick<ReleaseStore, 'recordVerification'>>,
  release: Release,
  log: Logger,
  signal?: AbortSignal,
): Promise<Release> {
  if (release.verification !== 'unverified') return release;
  const v = await ask(deps, release, log, undefined, signal);
  if (signal?.aborted && v.outcome === 'unreachable') return release;
  const update: VerificationUpdate =
    v.outcome === 'verified'
      ? { verification: 'verified', verifiedAt: deps.clock.now().toISOString() }
      : v.outcome === 'mismatch'
        ? { verification: 'rejected', verificationReason: v.reason }
        : { verification: 'unverified', verificationReason: v.reason };
  if (update.verification === 'unverified' && update.verificationReason === release.verificationReason)
    return release;
  await deps.store.recordVerification(release, update);
  if (update.verification === 'rejected') log.warn('release.rejected', { reason: update.verificationReason });
  else if (update.verification === 'verified') log.info('release.verified', {});
  else log.warn('release.verify-failed', { reason: update.verificationReason });
  // verificationReason stays only while it explains the state.
  const { verificationReason: _old, ...rest } = release;
  return { ...rest, ...update };
}
