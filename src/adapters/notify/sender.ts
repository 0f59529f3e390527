// POST one formatted notification to one target, once, with a timeout, and say what happened.
// The retry schedule belongs to the outbox; this says whether a retry can help (429, 5xx,
// network, timeout) and how long the target asked to wait (Retry-After). The target URL is a
// secret: it never appears in the outcome or a log line (only its host does). A target's answer
// body is never kept, except one of Slack's documented error codes: a body can echo the URL in
// any encoding, so no scrubbing of it could be trusted.
import type { FormattedMessage, NotifyFormat } from '../../core/notify';
import { parseRetryAfterSeconds } from '../../core/platform';

export const DEFAULT_SEND_TIMEOUT_MS = 5_000;
/** A Retry-After beyond this is clamped: the outbox's own back-off bounds the wait anyway. */
export const MAX_RETRY_AFTER_SECONDS = 3_600;
/** Enough for the longest allowed code; a longer body cannot be one of them. */
const ERROR_BODY_MAX = 64;

/**
 * The error bodies Slack's incoming webhooks answer (plain text, one code): the only answer text
 * ever kept. Everything else a target says is reduced to its HTTP status.
 */
export const SLACK_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_payload',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_token',
  'no_text',
  'missing_text_or_fallback_or_attachments',
  'too_many_attachments',
  'user_not_found',
  'channel_not_found',
  'channel_is_archived',
  'action_prohibited',
  'posting_to_general_channel_denied',
  'no_service',
  'no_service_id',
  'no_team',
  'team_disabled',
  'rate_limited',
  'rollup_error',
]);

export interface SendTarget {
  url: string;
  format: NotifyFormat;
}

export interface SendOutcome {
  ok: boolean;
  /** The HTTP status, when an answer came. */
  status?: number | undefined;
  /** What went wrong, in words, without the URL. */
  error?: string | undefined;
  retryable: boolean;
  /** Seconds the target asked to wait before the next try (Retry-After), clamped. */
  retryAfterSeconds?: number | undefined;
  durationMs: number;
}

export type DeliveryOutcome = 'ok' | 'retryable' | 'permanent';

/** What the sender logs through: the app's Logger fits (adapters do not import the app). */
export interface SendLog {
  info(event: string, fields: Record<string, unknown>): void;
  warn(event: string, fields: Record<string, unknown>): void;
}

export interface SendOptions {
  timeoutMs?: number | undefined;
  /** Sent as Idempotency-Key, so a generic receiver can drop a repeat after a lost answer. */
  idempotencyKey?: string | undefined;
  logger?: SendLog | undefined;
  /** Called once per try with its outcome (the app counts notifications.deliveries here). */
  onOutcome?: ((format: NotifyFormat, outcome: DeliveryOutcome) => void) | undefined;
  /** For clocks in tests of Retry-After dates; defaults to Date.now. */
  now?: () => number;
}

/** The target's Retry-After in seconds, clamped; undefined when absent or unreadable. */
function retryAfterOf(res: Response, nowMs: number): number | undefined {
  const seconds = parseRetryAfterSeconds(res.headers.get('retry-after'), nowMs);
  return seconds === undefined ? undefined : Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

/** The allow-listed shape of an error body: one known Slack error code, or nothing. */
export function errorCodeOf(body: string): string | undefined {
  const code = body.trim();
  return SLACK_ERROR_CODES.has(code) ? code : undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid-url';
  }
}

/** The network error in words: the cause's code (ECONNREFUSED, …), never undici's message. */
function networkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `timed out after ${timeoutMs} ms`;
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  const code =
    cause && typeof cause === 'object' && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined;
  return code ? `network error (${code})` : 'network error';
}

/** The start of an error answer (Slack says why in it: `invalid_blocks`, `no_text`, …), bounded. */
async function readBounded(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_MAX * 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut off mid-way still says what it said so far.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function classify(status: number): { ok: boolean; retryable: boolean } {
  if (status >= 200 && status < 300) return { ok: true, retryable: false };
  if (status === 429 || status === 408 || status >= 500) return { ok: false, retryable: true };
  return { ok: false, retryable: false };
}

async function attempt(target: SendTarget, message: FormattedMessage, o: SendOptions): Promise<SendOutcome> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const now = o.now ?? Date.now;
  const started = now();
  const headers: Record<string, string> = { 'content-type': message.contentType, accept: '*/*' };
  if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
  let res: Response;
  try {
    // No redirects: following one would send the message (and the timeout budget) elsewhere.
    res = await fetch(target.url, {
      method: 'POST',
      headers,
      body: message.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { ok: false, retryable: true, error: networkError(err, timeoutMs), durationMs: now() - started };
  }
  const { ok, retryable } = classify(res.status);
  if (ok) {
    await res.body?.cancel().catch(() => undefined);
    return { ok, retryable, status: res.status, durationMs: now() - started };
  }
  const body = await readBounded(res);
  const durationMs = now() - started;
  const redirect = res.status >= 300 && res.status < 400 ? ' (redirect not followed)' : '';
  const code = errorCodeOf(body);
  const detail = code ? `: ${code}` : '';
  return {
    ok,
    retryable,
    status: res.status,
    error: `HTTP ${res.status}${redirect}${detail}`,
    retryAfterSeconds: retryable ? retryAfterOf(res, now()) : undefined,
    durationMs,
  };
}

export function outcomeName(o: SendOutcome): DeliveryOutcome {
  return o.ok ? 'ok' : o.retryable ? 'retryable' : 'permanent';
}

/** One delivery try. Never throws; the outcome says whether the outbox should try again. */
export async function sendNotification(
  target: SendTarget,
  message: FormattedMessage,
  options: SendOptions = {},
): Promise<SendOutcome> {
  const outcome = await attempt(target, message, options);
  options.onOutcome?.(target.format, outcomeName(outcome));
  const fields = {
    host: hostOf(target.url),
    format: target.format,
    status: outcome.status,
    durationMs: outcome.durationMs,
  };
  if (outcome.ok) options.logger?.info('notification.delivered', fields);
  else
    options.logger?.warn('notification.failed', {
      ...fields,
      retryable: outcome.retryable,
      retryAfterSeconds: outcome.retryAfterSeconds,
      error: outcome.error,
    });
  return outcome;
}
