// The queue trigger `advance` (contract): one message {releaseId, due} on `<prefix>-work`, made
// visible at the release's due time, reconciles that release. Connection ROLLOUT_STORAGE (in
// Azure identity-based: ROLLOUT_STORAGE__queueServiceUri). The host decodes base64 and retries a
// message whose handler throws, up to host.json's maxDequeueCount, then moves it to the poison queue.
import type { StorageQueueHandler } from '@azure/functions';
import { advanceOnWakeup } from '../../app/wakeups';
import { loggerFor } from '../platform';
import type { QueueRegistration, ResolveDeps } from '../platform';

export const ADVANCE_QUEUE_CONNECTION = 'ROLLOUT_STORAGE';

export function makeAdvanceHandler(resolveDeps: ResolveDeps): StorageQueueHandler {
  return async (message, context) => {
    const dequeueCount = context.triggerMetadata?.dequeueCount;
    await advanceOnWakeup(resolveDeps(), message, loggerFor(context), {
      dequeueCount: typeof dequeueCount === 'number' ? dequeueCount : undefined,
    });
  };
}

export function advanceRegistration(resolveDeps: ResolveDeps, queueName: string): QueueRegistration {
  return {
    name: 'advance',
    queueName,
    connection: ADVANCE_QUEUE_CONNECTION,
    handler: makeAdvanceHandler(resolveDeps),
  };
}
