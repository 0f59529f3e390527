// Every function of the app, in one table, built over a dependency resolver: the Functions host
// (index.ts) gets the production one; the local host and tests build the table over their own.
import { appDeps } from '../app/composition';
import { acrEventsRegistration } from './acr-events';
import { dashboardRegistration } from './dashboard';
import { ledgerRegistration } from './ledger';
import { notificationsRegistration } from './notifications';
import type { ActorHost } from './operator-actor';
import { releaseActionRegistrations } from './operator-releases';
import { operatorRegistrations } from './operator-routes';
import { reconcileRegistration } from './reconcile';
import type { HttpRegistration, ResolveDeps, TimerRegistration } from './registration';
import { releaseDetailRegistration } from './release-detail';
import { releasesRegistration } from './releases';

export interface Registrations {
  http: HttpRegistration[];
  timers: TimerRegistration[];
}

/** host: where the functions run (the local host records its actions as actor "local"). */
export function makeRegistrations(resolveDeps: ResolveDeps, host: ActorHost = {}): Registrations {
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
  };
}

/** Production: settings from process.env, parsed on the first call that needs them. */
export const productionRegistrations: Registrations = makeRegistrations(() => appDeps(process.env));
