// One exchange with a cluster's Kubernetes API server over node:https (the API server URL and
// CA from the cluster's kubeconfig, a bearer token): a timeout per attempt, bounded retries (the
// core's retry loop) with full-jitter backoff for 429, 5xx and network errors (honouring
// Retry-After), nothing else retried, and a size limit on every answer. Every non-2xx answer
// becomes a K8sApiError that names what was refused.
import http from 'node:http';
import https from 'node:https';
import { errorMessage, parseRetryAfterMs, retry, type Sleep } from '../../../core/platform';
import { realSleep } from '../../platform';

export interface K8sConnection {
  /** https://host:port of the API server (http only for loopback tests). */
  server: string;
  /** Bearer token; never logged. */
  token: string;
  /** PEM of the cluster CA (certificate-authority-data decoded). */
  ca?: string;
}

/**
 * The largest answer read (8 MiB). A single object is at most 1.5 MiB (etcd's request limit), so a
 * workload read or patch is far below it; the lists we read (one revision's pods, a workload's
 * ReplicaSets) hold 5-15 KiB per item, so 8 MiB is about a thousand pods of one workload, while
 * an answer an instance cannot hold (a misbehaving or hostile server) is cut off early.
 */
export const MAX_K8S_BODY_BYTES = 8 * 1024 * 1024;

export interface K8sHttpOptions {
  timeoutMs: number;
  /** Default MAX_K8S_BODY_BYTES. */
  maxBodyBytes?: number | undefined;
  maxAttempts: number;
  backoffBaseMs: number;
  random: () => number;
  sleep: Sleep;
}

/** The longest wait between two attempts, whatever the server asks. */
const MAX_WAIT_MS = 30_000;

export const DEFAULT_K8S_HTTP: K8sHttpOptions = {
  timeoutMs: 10_000,
  maxAttempts: 4,
  backoffBaseMs: 200,
  random: Math.random,
  sleep: realSleep,
};

/** What the caller was doing, so a refusal can name the permission or the object. */
export interface K8sCallContext {
  verb: 'get' | 'list' | 'patch';
  resource: string;
  group: string;
  namespace: string;
  name?: string;
}

export type K8sErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'throttled'
  | 'server'
  | 'network'
  | 'bad-response';

export class K8sApiError extends Error {
  constructor(
    message: string,
    readonly kind: K8sErrorKind,
    readonly status: number | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'K8sApiError';
  }
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An answer larger than the limit: not retried (it would be as large again). */
class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
  }
}

function exchange(
  conn: K8sConnection,
  method: string,
  path: string,
  body: string | undefined,
  contentType: string | undefined,
  timeoutMs: number,
  maxBodyBytes: number,
): Promise<RawResponse> {
  const url = new URL(path, conn.server);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = {
    authorization: `Bearer ${conn.token}`,
    accept: 'application/json',
  };
  if (body !== undefined) {
    headers['content-type'] = contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions = { method, headers, ...(secure && conn.ca ? { ca: conn.ca } : {}) };
    const req = (secure ? https : http).request(url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const tooLarge = () => {
        reject(new BodyTooLarge(maxBodyBytes));
        req.destroy();
      };
      if (Number(res.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge();
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBodyBytes) tooLarge();
        else chunks.push(c);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    // One deadline for connect, headers and body.
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}

function statusMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { kind?: string; message?: unknown };
    return parsed.kind === 'Status' && typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

function target(ctx: K8sCallContext): string {
  const qualified = ctx.group ? `${ctx.resource}.${ctx.group}` : ctx.resource;
  return ctx.name
    ? `${qualified} "${ctx.name}" in namespace "${ctx.namespace}"`
    : `${qualified} in namespace "${ctx.namespace}"`;
}

export function errorFor(ctx: K8sCallContext, res: RawResponse, attempts: number): K8sApiError {
  const server = statusMessage(res.body) ?? `HTTP ${res.status}`;
  const perm = `"${ctx.verb}" on "${ctx.resource}" (API group "${ctx.group}") in namespace "${ctx.namespace}"`;
  switch (res.status) {
    case 401:
      return new K8sApiError(
        `the API server did not accept the token (401 Unauthorized) while trying ${perm}: ${server}`,
        'unauthorized',
        401,
        attempts,
      );
    case 403:
      return new K8sApiError(`missing permission ${perm}: ${server}`, 'forbidden', 403, attempts);
    case 404:
      return new K8sApiError(`${target(ctx)} not found: ${server}`, 'not-found', 404, attempts);
    case 409:
      return new K8sApiError(`conflict on ${target(ctx)}: ${server}`, 'conflict', 409, attempts);
    case 422:
      return new K8sApiError(
        `${target(ctx)} rejected the change (422 Invalid): ${server}`,
        'invalid',
        422,
        attempts,
      );
    case 429:
      return new K8sApiError(
        `throttled on ${target(ctx)} after ${attempts} attempts: ${server}`,
        'throttled',
        429,
        attempts,
      );
    default:
      if (res.status >= 500)
        return new K8sApiError(
          `API server error ${res.status} on ${target(ctx)} after ${attempts} attempts: ${server}`,
          'server',
          res.status,
          attempts,
        );
      return new K8sApiError(
        `unexpected ${res.status} on ${target(ctx)}: ${server}`,
        'bad-response',
        res.status,
        attempts,
      );
  }
}

/** The server's Retry-After (first value), never more than a wait we would take anyway. */
function retryAfterMs(headers: http.IncomingHttpHeaders): number | undefined {
  const v = headers['retry-after'] as string | string[] | undefined;
  const ms = parseRetryAfterMs(Array.isArray(v) ? v[0] : v, Date.now());
  return ms === undefined ? undefined : Math.min(ms, MAX_WAIT_MS);
}

const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

export interface K8sRequest {
  method: 'GET' | 'PATCH';
  path: string;
  body?: string;
  contentType?: string;
  ctx: K8sCallContext;
}

/** The parsed JSON body of a 2xx answer; K8sApiError for anything else. */
export async function k8sRequest<T>(
  conn: K8sConnection,
  req: K8sRequest,
  opts: K8sHttpOptions = DEFAULT_K8S_HTTP,
): Promise<T> {
  const limit = opts.maxBodyBytes ?? MAX_K8S_BODY_BYTES;
  let attempts = 0;
  let res: RawResponse;
  try {
    res = await retry(
      (attempt) => {
        attempts = attempt;
        return exchange(conn, req.method, req.path, req.body, req.contentType, opts.timeoutMs, limit);
      },
      {
        attempts: opts.maxAttempts,
        baseMs: opts.backoffBaseMs,
        capMs: MAX_WAIT_MS,
        jitter: 'full',
        // An answer larger than the limit is not retried: it would be as large again.
        retryable: (o) => (o.ok ? isRetryableStatus(o.value.status) : !(o.error instanceof BodyTooLarge)),
        retryAfterMs: (o) => (o.ok ? retryAfterMs(o.value.headers) : undefined),
        retryAfter: 'replace',
        sleep: opts.sleep,
        random: opts.random,
      },
    );
  } catch (err) {
    if (err instanceof BodyTooLarge)
      throw new K8sApiError(
        `the API server's answer for ${target(req.ctx)} is larger than ${err.limit} bytes: not read`,
        'bad-response',
        undefined,
        attempts,
      );
    throw new K8sApiError(
      `no answer from the API server for ${target(req.ctx)} after ${attempts} attempts: ${errorMessage(err)}`,
      'network',
      undefined,
      attempts,
    );
  }
  if (res.status < 200 || res.status >= 300) throw errorFor(req.ctx, res, attempts);
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new K8sApiError(
      `the API server answered ${target(req.ctx)} with a body that is not JSON`,
      'bad-response',
      res.status,
      attempts,
    );
  }
}
