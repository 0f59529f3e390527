// Every function of the app, in one table.
import { acrEventsRegistration } from './acr-events';
import { reconcileRegistration } from './reconcile';
import type { HttpRegistration, TimerRegistration } from './registration';

export const httpRegistrations: HttpRegistration[] = [acrEventsRegistration];
export const timerRegistrations: TimerRegistration[] = [reconcileRegistration];
