// The Event Grid intake: one event per invocation, at least once. A push goes the webhook's way
// (the same delivery record, verification, claim and nudge), so an event delivered by both
// intakes is one release (the tag head) and a redelivery is one delivery (the event id). What no
// retry can fix (a malformed event) is recorded as rejected and answered; a store failure throws,
// so Event Grid redelivers it later.
import { createHash } from 'node:crypto';
import { parseEventGridEvent, type DeliveryRecord } from '../../core/intake';
import type { Deps, Logger } from '../platform';
import {
  MAX_WEBHOOK_BYTES,
  recordAndProcess,
  timestampProblems,
  type WebhookResult,
} from './receive-webhook';

export type EventGridResult = WebhookResult['body'];

export async function receiveEventGridEvent(
  source: Deps | (() => Deps),
  event: unknown,
  log: Logger,
): Promise<EventGridResult> {
  const deps = typeof source === 'function' ? source() : source;
  const text = JSON.stringify(event) ?? 'undefined';
  const parsed =
    Buffer.byteLength(text) > MAX_WEBHOOK_BYTES
      ? { kind: 'invalid' as const, problems: [`event: exceeds ${MAX_WEBHOOK_BYTES} bytes`] }
      : parseEventGridEvent(event);
  if (parsed.kind === 'ignored') {
    log.info('eventgrid.ignored', { eventId: parsed.eventId, eventType: parsed.eventType });
    deps.metrics.webhookDelivery({ region: 'event-grid', outcome: 'ignored' });
    return { status: 'ignored', releases: [], reason: `${parsed.eventType} is not acted on` };
  }
  const problems =
    parsed.kind === 'invalid' ? parsed.problems : timestampProblems(parsed.event.timestamp, deps.clock.now());
  if (parsed.kind === 'invalid' || problems.length > 0) return rejectEvent(deps, text, problems, log);
  const result = await recordAndProcess(deps, parsed.event, text, undefined, log);
  deps.metrics.webhookDelivery({
    region: 'event-grid',
    outcome: result.body.status ?? `http-${result.status}`,
  });
  return result.body;
}

/** The record of a rejected event (in the audit log of deliveries): nothing else is stored. */
async function rejectEvent(
  deps: Deps,
  text: string,
  problems: string[],
  log: Logger,
): Promise<EventGridResult> {
  const now = deps.clock.now();
  const reason = `invalid-event: ${problems.join('; ')}`.slice(0, 1024);
  const record: DeliveryRecord = {
    key: createHash('sha256').update(`event-grid\n${text}`).digest('hex').slice(0, 40),
    day: now.toISOString().slice(0, 10),
    eventId: 'invalid',
    action: 'event-grid',
    receivedAt: now.toISOString(),
    outcome: 'rejected',
    reason,
    releaseIds: [],
    payload: text,
  };
  log.warn('eventgrid.rejected', { problems });
  await deps.store.recordDelivery(record);
  deps.metrics.webhookDelivery({ region: 'event-grid', outcome: 'invalid-event' });
  return { status: 'rejected', releases: [], reason };
}
