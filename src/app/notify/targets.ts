// NOTIFY_TARGETS (contract): a JSON array of
//   {"url": "https://…", "format": "slack"|"teams"|"json", "events"?: [names], "repositories"?: [names]}
// default []. A target's URL is a secret (Slack and Teams put the credential in it): it is never
// logged, never shown by the status API, and never quoted in a configuration error. Only its host
// is shown (describeTarget); the outbox refers to a target by a hash of it (targetId).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { endpointProblem } from '../../core/platform';
import { isRepository } from '../../core/model';
import {
  NOTIFY_EVENTS,
  type NotifyEvent,
  type NotifyEventName,
  NOTIFY_FORMATS,
  type NotifyFormat,
} from '../../core/notify';

export const MAX_NOTIFY_TARGETS = 20;

export interface NotifyTarget {
  url: string;
  format: NotifyFormat;
  /** Only these events; undefined means every event. */
  events?: NotifyEventName[] | undefined;
  /** Only releases of these repositories; undefined means every repository. */
  repositories?: string[] | undefined;
}

function urlProblem(raw: string): string | undefined {
  const problem = endpointProblem(raw);
  return problem === 'must be an http(s) URL' ? 'must be an https:// URL' : problem;
}

/**
 * Query parameters that carry a credential (a Functions key, a SAS signature, a token): a URL with
 * one is refused where it would be copied into messages, whatever its case.
 */
const SECRET_QUERY = new Set([
  'code',
  'sig',
  'signature',
  'token',
  'access_token',
  'id_token',
  'key',
  'apikey',
  'api_key',
  'api-key',
  'secret',
  'password',
  'pwd',
  'auth',
]);

/** Why a link copied into every message must not be used, or undefined: no credential in it. */
function linkProblem(raw: string): string | undefined {
  const problem = urlProblem(raw);
  if (problem) return problem;
  const u = new URL(raw);
  if (u.username || u.password)
    return 'must not carry a user name or password: it is copied into every notification';
  const secret = [...u.searchParams.keys()].find((k) => SECRET_QUERY.has(k.toLowerCase()));
  if (secret !== undefined)
    return (
      `must not carry a credential in its query (the \`${secret.toLowerCase()}\` parameter): it is copied into ` +
      'every notification; link to the page without a function key (readers pass their own, or sign in with Easy Auth)'
    );
  return undefined;
}

// Messages here never include the value: it is the secret.
const targetUrl = z
  .string({ message: 'is required: the webhook URL' })
  .max(2048, 'must be at most 2048 characters')
  .superRefine((v, ctx) => {
    const problem = urlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const notifyTargetSchema = z.strictObject({
  url: targetUrl,
  format: z.enum(NOTIFY_FORMATS, { message: `must be one of ${NOTIFY_FORMATS.join(', ')}` }),
  events: z
    .array(z.enum(NOTIFY_EVENTS, { message: `must be one of ${NOTIFY_EVENTS.join(', ')}` }))
    .min(1, 'must name at least one event, or be left out for every event')
    .optional(),
  repositories: z
    .array(z.string().refine(isRepository, { message: 'must follow the OCI repository grammar' }))
    .min(1, 'must name at least one repository, or be left out for every repository')
    .optional(),
});

export const notifyTargetsSchema = z
  .array(notifyTargetSchema)
  .max(MAX_NOTIFY_TARGETS, `at most ${MAX_NOTIFY_TARGETS} targets`)
  .default([]);

/** STATUS_PAGE_URL: the dashboard (…/api/dashboard) that messages link to; optional; never a key in it. */
export const statusPageUrlSchema = z
  .string()
  .max(300, 'must be at most 300 characters')
  .superRefine((v, ctx) => {
    const problem = linkProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .optional();

export type NotifyTargetsResult = { ok: true; targets: NotifyTarget[] } | { ok: false; problems: string[] };

function issuePath(prefix: string, path: readonly PropertyKey[]): string {
  return prefix + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * Parse the NOTIFY_TARGETS setting. Problems come back as `NOTIFY_TARGETS[i].field: message`
 * lines (for config.ts to report with the others), and never quote the setting's text.
 */
export function parseNotifyTargets(raw: string | undefined): NotifyTargetsResult {
  if (raw === undefined || raw.trim() === '') return { ok: true, targets: [] };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // JSON.parse's message quotes the text around the error, which may be part of a URL.
    return { ok: false, problems: ['NOTIFY_TARGETS: is not valid JSON (expected an array of targets)'] };
  }
  const parsed = notifyTargetsSchema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${issuePath('NOTIFY_TARGETS', i.path)}: ${i.message}`),
    };
  return { ok: true, targets: parsed.data };
}

/** What may be shown of a target: its format and host, never the path or query (the secret). */
export function describeTarget(t: Pick<NotifyTarget, 'url' | 'format'>): {
  format: NotifyFormat;
  host: string;
} {
  let host = 'invalid-url';
  try {
    host = new URL(t.url).host;
  } catch {
    // Keep the placeholder; the schema rejects such targets anyway.
  }
  return { format: t.format, host };
}

/** A stable, non-reversible id for a target (outbox keys): 16 hex of sha256(format + URL). */
export function targetId(t: Pick<NotifyTarget, 'url' | 'format'>): string {
  return createHash('sha256').update(`${t.format}\n${t.url}`).digest('hex').slice(0, 16);
}

export function targetWants(t: NotifyTarget, e: Pick<NotifyEvent, 'event' | 'release'>): boolean {
  if (t.events && !t.events.includes(e.event)) return false;
  // An event on no release (a region-wide hold) has no repository: only unfiltered targets get it.
  if (t.repositories && !(e.release && t.repositories.includes(e.release.repository))) return false;
  return true;
}

/** The targets one event goes to, in configuration order. */
export function targetsFor(
  targets: readonly NotifyTarget[],
  e: Pick<NotifyEvent, 'event' | 'release'>,
): NotifyTarget[] {
  return targets.filter((t) => targetWants(t, e));
}
