// The Functions host's Event Grid webhook endpoint, as the local host serves it:
// POST /runtime/webhooks/eventgrid?functionName=<name>, Event Grid schema (a JSON array of
// events), `aeg-event-type` saying what the request is. A SubscriptionValidation is answered with
// its validation code; a Notification runs the function once per event and answers 202, or 500 when
// an invocation threw (Event Grid then redelivers); Unsubscribe is acknowledged.
import { randomUUID } from 'node:crypto';
import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import type { EventGridRegistration } from '../src/functions/platform/registration';

export const EVENT_GRID_PATH = '/runtime/webhooks/eventgrid';

export interface EventGridRequest {
  functionName: string | null;
  eventType: string | undefined;
  body: Buffer;
}

const answer = (status: number, jsonBody?: unknown): HttpResponseInit =>
  jsonBody === undefined ? { status } : { status, jsonBody };

function parseEvents(body: Buffer): unknown[] | string {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return 'the body is not valid JSON';
  }
  return Array.isArray(json) ? json : 'the body must be a JSON array of Event Grid events';
}

function validationResponse(events: unknown[]): HttpResponseInit {
  const data = (events[0] as { data?: { validationCode?: unknown } } | undefined)?.data;
  if (typeof data?.validationCode !== 'string')
    return answer(400, { error: 'invalid-validation', message: 'data.validationCode is missing' });
  return answer(200, { validationResponse: data.validationCode });
}

export async function serveEventGrid(
  request: EventGridRequest,
  registrations: readonly EventGridRegistration[],
  logHandler: (level: string, ...args: unknown[]) => void,
): Promise<HttpResponseInit> {
  const reg = registrations.find((r) => r.name.toLowerCase() === request.functionName?.toLowerCase());
  if (!reg)
    return answer(404, {
      error: 'not-found',
      message: `no Event Grid function ${JSON.stringify(request.functionName ?? '')} (functions: ${registrations.map((r) => r.name).join(', ')})`,
    });
  if (request.eventType === 'Unsubscribe') return answer(202);
  const events = parseEvents(request.body);
  if (typeof events === 'string') return answer(400, { error: 'invalid-json', message: events });
  if (request.eventType === 'SubscriptionValidation') return validationResponse(events);
  if (request.eventType !== 'Notification')
    return answer(400, {
      error: 'invalid-event-type',
      message: 'aeg-event-type must be SubscriptionValidation, Notification or Unsubscribe',
    });
  let failed = false;
  for (const event of events) {
    const context = new InvocationContext({ invocationId: randomUUID(), functionName: reg.name, logHandler });
    try {
      await reg.handler(event as never, context);
    } catch (err) {
      failed = true;
      logHandler('error', `local-host: ${reg.name} failed: ${String(err)}`);
    }
  }
  return answer(failed ? 500 : 202);
}
