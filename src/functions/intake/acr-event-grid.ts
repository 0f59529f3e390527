// The Event Grid trigger `acrEventGrid` (contract): ACR's system topic delivers
// Microsoft.ContainerRegistry.ImagePushed here, at least once, retried for up to 24 hours. The
// same verification, idempotency and planning as the webhook; a malformed event is answered (no
// retry can fix it) and recorded as rejected; a failure to store throws, so Event Grid retries.
import type { EventGridHandler } from '@azure/functions';
import { receiveEventGridEvent } from '../../app/intake';
import { loggerFor } from '../platform';
import type { EventGridRegistration, ResolveDeps } from '../platform';

export function makeAcrEventGridHandler(resolveDeps: ResolveDeps): EventGridHandler {
  return async (event, context) => {
    await receiveEventGridEvent(resolveDeps, event, loggerFor(context));
  };
}

export function acrEventGridRegistration(resolveDeps: ResolveDeps): EventGridRegistration {
  return { name: 'acrEventGrid', handler: makeAcrEventGridHandler(resolveDeps) };
}
