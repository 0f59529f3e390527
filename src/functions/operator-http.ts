// The HTTP edge of the operator actions (issue 12): the JSON body validated with zod (a 400
// names the field), the actor from the request, and the one mapping of an ActionResult to HTTP.
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import type { ActionInput, ActionResult } from '../app/operator-actions';
import { json } from './http-edge';
import { actorOf, type ActorHost } from './operator-actor';

export const MAX_REASON = 500;
const MAX_BODY_CHARS = 16_384;

export const reasonField = z
  .string({ message: 'must be a string' })
  .max(MAX_REASON, { message: `must be at most ${MAX_REASON} characters` })
  .optional();
export const regionsField = z
  .array(z.string({ message: 'must be region names' }).min(1, { message: 'must be region names' }), {
    message: 'must be an array of region names',
  })
  .min(1, { message: 'must name at least one region' })
  .max(50)
  .optional();

export function toHttp(result: ActionResult): HttpResponseInit {
  switch (result.kind) {
    case 'ok':
      return json(result.status, result.body);
    case 'not-found':
      return json(404, { error: 'not-found', message: result.message });
    case 'conflict':
      return json(409, { error: 'conflict', message: result.message });
    case 'bad-request':
      return json(400, { error: 'bad-request', field: result.field, message: result.message });
  }
}

export const badBody = (field: string, message: string): HttpResponseInit =>
  json(400, { error: 'bad-request', field, message: `${field}: ${message}` });

export type BodyParse<T> =
  { ok: true; value: T; input: ActionInput } | { ok: false; response: HttpResponseInit };

/** The body (optional: empty means {}) checked against `schema`; the actor from the request. */
export async function parseAction<T extends { reason?: string | undefined }>(
  request: HttpRequest,
  schema: z.ZodType<T>,
  host: ActorHost,
): Promise<BodyParse<T>> {
  const text = await request.text();
  if (text.length > MAX_BODY_CHARS)
    return { ok: false, response: badBody('body', `must be at most ${MAX_BODY_CHARS} characters`) };
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, response: badBody('body', 'must be a JSON object') };
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, response: badBody('body', 'must be a JSON object') };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const field = key ?? (issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body');
    return {
      ok: false,
      response: badBody(field, key ? 'is not a field of this action' : (issue?.message ?? 'is invalid')),
    };
  }
  return {
    ok: true,
    value: parsed.data,
    input: { actor: actorOf(request, host), reason: parsed.data.reason },
  };
}
