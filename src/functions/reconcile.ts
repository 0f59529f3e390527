// The timer: every RECONCILE_SCHEDULE, reconcile every active release and scan for pushes
// whose webhook was lost. The level-triggered source of truth behind the webhooks' nudges.
import type { InvocationContext, Timer } from '@azure/functions';
import { appDeps } from '../app/composition';
import { reconcileAll } from '../app/reconcile-all';
import { loggerFor } from './http-edge';
import type { TimerRegistration } from './registration';

export async function reconcileTimer(_timer: Timer, context: InvocationContext): Promise<void> {
  await reconcileAll(appDeps(), loggerFor(context));
}

export const reconcileRegistration: TimerRegistration = {
  name: 'reconcile',
  schedule: '%RECONCILE_SCHEDULE%',
  handler: reconcileTimer,
};
