// The timer: every RECONCILE_SCHEDULE, reconcile every active release and scan for pushes
// whose webhook was lost. The level-triggered source of truth behind the webhooks' nudges.
import type { TimerHandler } from '@azure/functions';
import { reconcileAll, runFailure } from '../../app/rollout';
import { loggerFor } from '../platform';
import type { ResolveDeps, TimerRegistration } from '../platform';

/** Runs everything it can, then throws if anything failed, so the host records a failed run. */
export function makeReconcileHandler(resolveDeps: ResolveDeps): TimerHandler {
  return async (_timer, context) => {
    const failure = runFailure(await reconcileAll(resolveDeps(), loggerFor(context)));
    if (failure) throw failure;
  };
}

export function reconcileRegistration(resolveDeps: ResolveDeps): TimerRegistration {
  return {
    name: 'reconcile',
    schedule: '%RECONCILE_SCHEDULE%',
    handler: makeReconcileHandler(resolveDeps),
  };
}
