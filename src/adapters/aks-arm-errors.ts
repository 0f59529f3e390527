// What went wrong with one ARM call, in words the executor can act on. The SDK throws
// RestErrors (status, code, response headers) for HTTP failures and for network failures
// (no status); aborts surface as AbortError.

export type ArmFailureKind =
  | 'throttled' // 429
  | 'conflict' // 409: another operation on the cluster is in progress
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not-found' // 404
  | 'client' // other 4xx
  | 'server' // 5xx
  | 'refused' // connection refused / DNS: the request never reached ARM
  | 'network' // the connection broke: ARM may or may not have acted
  | 'timeout'; // our deadline passed: ARM may or may not have acted

export interface ArmFailure {
  kind: ArmFailureKind;
  status?: number | undefined;
  /** ARM's error code, when the body carried one. */
  code?: string | undefined;
  message: string;
  retryAfterSeconds?: number | undefined;
}

/** Thrown by our wrappers around SDK calls, so callers see one classified failure. */
export class ArmCallError extends Error {
  constructor(readonly failure: ArmFailure) {
    super(failure.message);
    this.name = 'ArmCallError';
  }
}

const REFUSED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined }; bodyAsText?: string | null };
  details?: { error?: { code?: unknown; message?: unknown } };
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

function bodyError(e: ErrorLike): { code?: string; message?: string } {
  const fromDetails = e.details?.error;
  if (fromDetails && typeof fromDetails.message === 'string')
    return {
      code: typeof fromDetails.code === 'string' ? fromDetails.code : undefined,
      message: fromDetails.message,
    };
  const text = e.response?.bodyAsText;
  if (typeof text === 'string' && text.length > 0) {
    try {
      const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (parsed.error && typeof parsed.error.message === 'string')
        return {
          code: typeof parsed.error.code === 'string' ? parsed.error.code : undefined,
          message: parsed.error.message,
        };
    } catch {
      // not JSON: fall through to the error's own message
    }
  }
  return {};
}

export function classifyArmError(error: unknown, opts: { timedOut?: boolean } = {}): ArmFailure {
  if (error instanceof ArmCallError) return error.failure;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const rawMessage = typeof e.message === 'string' ? e.message : String(error);
  if (e.name === 'AbortError' || opts.timedOut)
    return {
      kind: 'timeout',
      message: opts.timedOut ? 'timed out waiting for ARM' : `aborted: ${rawMessage}`,
    };
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const { code: armCode, message: armMessage } = bodyError(e);
  const message = armMessage ?? rawMessage;
  const code = armCode ?? (typeof e.code === 'string' ? e.code : undefined);
  if (status === undefined) {
    const kind = code && REFUSED_CODES.has(code) ? 'refused' : 'network';
    return { kind, code, message };
  }
  const retryAfterSeconds = parseRetryAfter(e.response?.headers?.get?.('retry-after'));
  const kind: ArmFailureKind =
    status === 429
      ? 'throttled'
      : status === 409
        ? 'conflict'
        : status === 401
          ? 'unauthorized'
          : status === 403
            ? 'forbidden'
            : status === 404
              ? 'not-found'
              : status >= 500
                ? 'server'
                : 'client';
  return { kind, status, code, message, retryAfterSeconds };
}

/** Failures worth asking again for a read (nothing changes on the server). */
export function isTransientForRead(f: ArmFailure): boolean {
  return ['throttled', 'conflict', 'server', 'refused', 'network', 'timeout'].includes(f.kind);
}

/** Failures that prove ARM did not accept a POST, so sending it again cannot run it twice. */
export function provesNotAccepted(f: ArmFailure): boolean {
  return ['throttled', 'conflict', 'server', 'refused'].includes(f.kind);
}

export function describeFailure(f: ArmFailure): string {
  const status = f.status !== undefined ? `HTTP ${f.status}` : f.kind;
  return `${status}${f.code ? ` ${f.code}` : ''}: ${f.message}`;
}
