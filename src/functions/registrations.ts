// Every function of the app, in one table.
import { acrEventsRegistration } from './acr-events';
import { dashboardRegistration } from './dashboard';
import { ledgerRegistration } from './ledger';
import { reconcileRegistration } from './reconcile';
import type { HttpRegistration, TimerRegistration } from './registration';
import { releaseDetailRegistration } from './release-detail';
import { releasesRegistration } from './releases';

export const httpRegistrations: HttpRegistration[] = [
  acrEventsRegistration,
  releasesRegistration,
  releaseDetailRegistration,
  ledgerRegistration,
  dashboardRegistration,
];
export const timerRegistrations: TimerRegistration[] = [reconcileRegistration];
