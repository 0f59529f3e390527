// ACR webhook payloads, one schema per action, from the shapes in Microsoft's "Azure Container
// Registry webhook reference". Unknown extra fields are tolerated; the values we
// act on (repository, tag, digest) must follow the OCI grammar before they go anywhere.
import { z } from 'zod';
import { DIGEST_PATTERN, REPOSITORY_MAX_LENGTH, REPOSITORY_PATTERN, TAG_PATTERN } from '../model';

// ACR sends 7-9 fractional digits; Date.parse accepts them, zod's iso datetime would not.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
/** Date.parse rolls 2017-02-30 over to March; a real calendar date must survive the round trip. */
function isCalendarDate(v: string): boolean {
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
const timestamp = z
  .string()
  .regex(ISO_TIMESTAMP, { message: 'must be an ISO-8601 timestamp' })
  .refine((v) => !Number.isNaN(Date.parse(v)) && isCalendarDate(v), { message: 'must be a valid date' });

const eventId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, { message: 'must be an event id of letters, digits, - and _' });
const repository = z
  .string()
  .max(REPOSITORY_MAX_LENGTH, { message: `must be at most ${REPOSITORY_MAX_LENGTH} characters` })
  .regex(REPOSITORY_PATTERN, {
    message: 'must follow the OCI repository grammar (lowercase a-z0-9 components separated by / . _ -)',
  });
const tag = z
  .string()
  .regex(TAG_PATTERN, { message: 'must follow the OCI tag grammar ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})' });
const digest = z
  .string()
  .regex(DIGEST_PATTERN, { message: 'must be sha256: followed by 64 lowercase hex digits' });
const mediaType = z
  .string()
  .max(255)
  .regex(/^[\w.+-]+\/[\w.+-]+$/, { message: 'must be a media type' });
const size = z.number().int().min(0);
const shortText = z.string().max(1024);

const request = z.looseObject({
  id: shortText.optional(),
  host: shortText.optional(),
  method: shortText.optional(),
  useragent: shortText.optional(),
});

const pushTarget = z.looseObject({
  mediaType: mediaType.optional(),
  size: size.optional(),
  digest,
  length: size.optional(),
  repository,
  // A push by digest only arrives with tag "".
  tag: z.union([z.literal(''), tag]).optional(),
});

export const pushEventSchema = z.looseObject({
  id: eventId,
  timestamp,
  action: z.literal('push'),
  target: pushTarget,
  request: request.optional(),
});

export const quarantineEventSchema = z.looseObject({
  id: eventId,
  timestamp,
  action: z.literal('quarantine'),
  target: pushTarget,
  request: request.optional(),
});

export const deleteEventSchema = z.looseObject({
  id: eventId,
  timestamp,
  action: z.literal('delete'),
  // A repository delete may carry no digest; a manifest delete carries one. Never a tag.
  target: z.looseObject({
    mediaType: mediaType.optional(),
    digest: digest.optional(),
    repository,
    tag: tag.optional(),
  }),
  request: request.optional(),
});

const chartTarget = z.looseObject({
  mediaType: mediaType.optional(),
  size: size.optional(),
  digest,
  repository,
  tag: tag.optional(),
  name: shortText.optional(),
  version: shortText.optional(),
});
export const chartPushEventSchema = z.looseObject({
  id: eventId,
  timestamp,
  action: z.literal('chart_push'),
  target: chartTarget,
});
export const chartDeleteEventSchema = z.looseObject({
  id: eventId,
  timestamp,
  action: z.literal('chart_delete'),
  target: chartTarget,
});

/** Ping is undocumented: tolerate a bare {"action":"ping"}. */
export const pingEventSchema = z.looseObject({
  id: z.string().max(128).optional(),
  timestamp: z.string().max(64).optional(),
  action: z.literal('ping'),
});

export const ACR_ACTIONS = ['push', 'delete', 'quarantine', 'chart_push', 'chart_delete', 'ping'] as const;
export type AcrAction = (typeof ACR_ACTIONS)[number];

const schemas = {
  push: pushEventSchema,
  delete: deleteEventSchema,
  quarantine: quarantineEventSchema,
  chart_push: chartPushEventSchema,
  chart_delete: chartDeleteEventSchema,
  ping: pingEventSchema,
} as const;

export type AcrEvent =
  | z.infer<typeof pushEventSchema>
  | z.infer<typeof deleteEventSchema>
  | z.infer<typeof quarantineEventSchema>
  | z.infer<typeof chartPushEventSchema>
  | z.infer<typeof chartDeleteEventSchema>
  | z.infer<typeof pingEventSchema>;

export type ParseEventResult = { ok: true; event: AcrEvent } | { ok: false; problems: string[] };

/** Validate a decoded JSON body; every problem is named with its JSON path. */
export function parseAcrEvent(body: unknown): ParseEventResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { ok: false, problems: ['body: must be one JSON object (ACR sends a bare event, not an array)'] };
  const action = (body as { action?: unknown }).action;
  if (typeof action !== 'string' || !(ACR_ACTIONS as readonly string[]).includes(action)) {
    const shown = typeof action === 'string' ? JSON.stringify(action.slice(0, 40)) : String(typeof action);
    return { ok: false, problems: [`action: must be one of ${ACR_ACTIONS.join(', ')} (got ${shown})`] };
  }
  const parsed = schemas[action as AcrAction].safeParse(body);
  if (parsed.success) return { ok: true, event: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues
      .slice(0, 10)
      .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`),
  };
}
