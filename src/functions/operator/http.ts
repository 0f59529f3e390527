// The HTTP edge of the operator actions: who may act (authorizeOperator, before the
// body is read), the JSON body validated with zod (a 400 names the field), and the one mapping of
// an ActionResult to HTTP.
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { ConfigError } from '../../app/config';
import type { Deps } from '../../app/platform';
import type { ActionInput, ActionResult } from '../../app/operator';
import { plainText } from '../../core/operator';
import { json, withErrorMapping } from '../platform';
import { authorizeOperator, type ActorHost } from './actor';
import type { ResolveDeps } from '../platform';

export const MAX_REASON = 500;
const MAX_BODY_CHARS = 16_384;

/** Recorded as plain text: control and bidi characters dropped, line breaks one space (chat messages, the page). */
export const reasonField = z
  .string({ message: 'must be a string' })
  .max(MAX_REASON, { message: `must be at most ${MAX_REASON} characters` })
  .transform((v) => plainText(v) || undefined)
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

/**
 * An operator action's edge: the caller is authorized first (401/403 before anything else, and
 * before any configuration problem is shown to someone who may not act), then `handler` runs.
 */
export function operatorAction(
  resolveDeps: ResolveDeps,
  host: ActorHost,
  handler: (
    deps: Deps,
    request: HttpRequest,
    context: InvocationContext,
    actor: string,
  ) => Promise<HttpResponseInit>,
): HttpHandler {
  return withErrorMapping(async (request, context) => {
    let deps: Deps | undefined;
    let configError: ConfigError | undefined;
    try {
      deps = resolveDeps();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      configError = err;
    }
    const access = deps?.config.operatorAccess ?? configError?.operatorAccess() ?? { easyAuth: false };
    const verdict = authorizeOperator(request, access, host);
    if (!verdict.ok) return json(verdict.status, { error: verdict.error, message: verdict.message });
    if (configError || !deps) throw configError ?? new Error('no dependencies');
    return handler(deps, request, context, verdict.actor);
  });
}

/** The body (optional: empty means {}) checked against `schema`; the actor as authorized. */
export async function parseAction<T extends { reason?: string | undefined }>(
  request: HttpRequest,
  schema: z.ZodType<T>,
  actor: string,
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
    input: { actor, reason: parsed.data.reason },
  };
}
