// Every function of the app, in one table, built over a dependency resolver: the Functions host
// (index.ts) gets the production one; the local host and tests build the table over their own.
import { appDeps } from '../app/composition';
import { TABLE_PREFIX_PATTERN } from '../core/model';
import { wakeQueueName } from '../core/wakeups';
import { acrEventGridRegistration, acrEventsRegistration } from './intake';
import { advanceRegistration } from './wakeups';
import {
  dashboardRegistration,
  ledgerRegistration,
  notificationsRegistration,
  releaseDetailRegistration,
  releasesRegistration,
} from './status';
import type { ActorHost } from './operator';
import { releaseActionRegistrations, operatorRegistrations } from './operator';
import { reconcileRegistration } from './rollout';
import type {
  EventGridRegistration,
  HttpRegistration,
  QueueRegistration,
  ResolveDeps,
  TimerRegistration,
} from './platform';

export interface Registrations {
  http: HttpRegistration[];
  timers: TimerRegistration[];
  queues: QueueRegistration[];
  eventGrid: EventGridRegistration[];
}

/**
 * The wake-up queue's name from ROLLOUT_TABLE_PREFIX, read when the functions are registered
 * (never throws: an invalid prefix, which the settings check reports, falls back to the default).
 */
export function queueNameFrom(settings: Record<string, string | undefined>): string {
  const prefix = settings.ROLLOUT_TABLE_PREFIX?.trim();
  return wakeQueueName(prefix && TABLE_PREFIX_PATTERN.test(prefix) ? prefix : 'rollout');
}

/**
 * host: where the functions run (the local host records its actions as actor "local");
 * queueName: the wake-up queue `advance` reads.
 */
export function makeRegistrations(
  resolveDeps: ResolveDeps,
  host: ActorHost = {},
  queueName = queueNameFrom(process.env),
): Registrations {
  return {
    http: [
      acrEventsRegistration(resolveDeps),
      releasesRegistration(resolveDeps),
      releaseDetailRegistration(resolveDeps),
      ledgerRegistration(resolveDeps),
      notificationsRegistration(resolveDeps),
      ...releaseActionRegistrations(resolveDeps, host),
      ...operatorRegistrations(resolveDeps, host),
      dashboardRegistration(),
    ],
    timers: [reconcileRegistration(resolveDeps)],
    queues: [advanceRegistration(resolveDeps, queueName)],
    eventGrid: [acrEventGridRegistration(resolveDeps)],
  };
}

/** Production: settings from process.env, parsed on the first call that needs them. */
export const productionRegistrations: Registrations = makeRegistrations(() => appDeps(process.env));
