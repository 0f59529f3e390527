// ACR's Event Grid events (Event Grid schema): the envelope (id, eventType, subject, eventTime,
// data) around the same push payload the webhook sends. Only ImagePushed becomes a push; the other
// ACR event types are named so the intake can log and ignore them; anything else is invalid.
import { z } from 'zod';
import { parseAcrEvent, type AcrEvent } from './acr-event';

export const IMAGE_PUSHED = 'Microsoft.ContainerRegistry.ImagePushed';
/** The ACR event types Event Grid may deliver besides ImagePushed: acknowledged and ignored. */
export const IGNORED_ACR_EVENT_TYPES = [
  'Microsoft.ContainerRegistry.ImageDeleted',
  'Microsoft.ContainerRegistry.ChartPushed',
  'Microsoft.ContainerRegistry.ChartDeleted',
] as const;

const envelope = z.looseObject({
  // Event Grid ids are GUIDs; the same grammar as a webhook's event id keeps table keys safe.
  id: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an event id of letters, digits, - and _' }),
  eventType: z.string().min(1).max(256),
  subject: z.string().max(1024).optional(),
  eventTime: z.string().max(64).optional(),
  topic: z.string().max(1024).optional(),
  dataVersion: z.string().max(32).optional(),
  data: z.unknown(),
});

export type PushEvent = Extract<AcrEvent, { action: 'push' }>;

export type EventGridIntake =
  /** An ImagePushed event as the webhook's push: the envelope's id is the delivery's event id. */
  | { kind: 'push'; eventId: string; event: PushEvent }
  /** A known ACR event type this product does not act on. */
  | { kind: 'ignored'; eventId: string; eventType: string }
  | { kind: 'invalid'; problems: string[] };

const shown = (v: string) => JSON.stringify(v.slice(0, 80));

/** Validate one Event Grid event; every problem is named with its JSON path. */
export function parseEventGridEvent(body: unknown): EventGridIntake {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { kind: 'invalid', problems: ['event: must be one JSON object in the Event Grid schema'] };
  const parsed = envelope.safeParse(body);
  if (!parsed.success)
    return {
      kind: 'invalid',
      problems: parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.map(String).join('.') || 'event'}: ${i.message}`),
    };
  const { id, eventType, data } = parsed.data;
  if ((IGNORED_ACR_EVENT_TYPES as readonly string[]).includes(eventType))
    return { kind: 'ignored', eventId: id, eventType };
  if (eventType !== IMAGE_PUSHED)
    return {
      kind: 'invalid',
      problems: [`eventType: must be ${IMAGE_PUSHED} or another ACR event type (got ${shown(eventType)})`],
    };
  // The data's own id is ACR's; the envelope's id is what Event Grid redelivers under.
  const inner = parseAcrEvent(
    typeof data === 'object' && data !== null && !Array.isArray(data) ? { ...data, id } : data,
  );
  if (!inner.ok) return { kind: 'invalid', problems: inner.problems.map((p) => `data.${p}`) };
  if (inner.event.action !== 'push')
    return {
      kind: 'invalid',
      problems: [`data.action: must be push for ${IMAGE_PUSHED} (got ${shown(inner.event.action)})`],
    };
  return { kind: 'push', eventId: id, event: inner.event };
}
