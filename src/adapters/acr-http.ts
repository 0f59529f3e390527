// One HTTP exchange with the registry, bounded in every dimension: a timeout per attempt, a
// few attempts for throttling (429) and server errors (5xx), exponential backoff with full
// jitter that honours Retry-After, and a total budget. Nothing here can hang a caller.

export interface AcrHttpOptions {
  fetchImpl: typeof fetch;
  /** Per-attempt timeout, body included. */
  timeoutMs: number;
  /** Attempts per request, retries included. */
  maxAttempts: number;
  /** Wall-clock cap over all attempts and waits of one request. */
  totalBudgetMs: number;
  /** First backoff ceiling; doubles per attempt (full jitter picks 0..ceiling). */
  backoffBaseMs: number;
  /** Random source for jitter, so tests can pin it. */
  random: () => number;
}

export interface AcrRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface AcrResponse {
  status: number;
  headers: Headers;
  /** Empty for HEAD. */
  body: string;
  /** Attempts used (1 = no retry). */
  attempts: number;
}

/** The request could not get any HTTP answer (network, timeout, caller abort, budget). */
export class AcrRequestError extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network' | 'aborted' | 'budget',
  ) {
    super(message);
    this.name = 'AcrRequestError';
  }
}

export type RequestKind = 'registry' | 'token';

export interface RequestCounters {
  requests: number;
  tokenRequests: number;
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Retry-After as delta-seconds (what ACR sends) or an HTTP date; undefined when absent or bad. */
export function parseRetryAfterMs(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AcrRequestError('aborted by caller', 'aborted'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AcrRequestError('aborted by caller', 'aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class AcrHttp {
  readonly counters: RequestCounters = { requests: 0, tokenRequests: 0 };

  constructor(private readonly opts: AcrHttpOptions) {}

  /**
   * Sends the request, retrying 429/5xx and network failures. Returns the last HTTP answer
   * (possibly a 429/5xx when retries ran out); throws AcrRequestError when none came.
   */
  async send(req: AcrRequest, kind: RequestKind, signal?: AbortSignal): Promise<AcrResponse> {
    const started = Date.now();
    const deadline = started + this.opts.totalBudgetMs;
    let lastError: AcrRequestError | undefined;
    for (let attempt = 1; attempt <= this.opts.maxAttempts; attempt++) {
      if (signal?.aborted) throw new AcrRequestError('aborted by caller', 'aborted');
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.attempt(req, kind, Math.min(this.opts.timeoutMs, remaining), signal);
        if (!isRetryableStatus(res.status) || attempt === this.opts.maxAttempts)
          return { ...res, attempts: attempt };
        retryAfterMs = parseRetryAfterMs(res.headers.get('retry-after'), Date.now());
        lastError = undefined;
        // Keep the answer: if the budget ends before the next try, the caller sees it.
        const wait = this.backoffMs(attempt, retryAfterMs);
        if (Date.now() + wait >= deadline) return { ...res, attempts: attempt };
        await sleep(wait, signal);
        continue;
      } catch (e) {
        if (e instanceof AcrRequestError && e.reason === 'aborted') throw e;
        lastError = e instanceof AcrRequestError ? e : new AcrRequestError(String(e), 'network');
      }
      if (attempt === this.opts.maxAttempts) break;
      const wait = this.backoffMs(attempt, undefined);
      if (Date.now() + wait >= deadline) break;
      await sleep(wait, signal);
    }
    throw (
      lastError ??
      new AcrRequestError(
        `${req.method} ${redact(req.url)}: no answer within ${this.opts.totalBudgetMs} ms`,
        'budget',
      )
    );
  }

  private backoffMs(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return retryAfterMs;
    const ceiling = this.opts.backoffBaseMs * 2 ** (attempt - 1);
    return Math.floor(this.opts.random() * ceiling);
  }

  private async attempt(
    req: AcrRequest,
    kind: RequestKind,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Omit<AcrResponse, 'attempts'>> {
    if (kind === 'token') this.counters.tokenRequests++;
    else this.counters.requests++;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await this.opts.fetchImpl(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
        redirect: 'manual',
        signal: combined,
      });
      // The body read is covered by the same timeout signal.
      const body = req.method === 'HEAD' ? '' : await res.text();
      return { status: res.status, headers: res.headers, body };
    } catch (e) {
      if (signal?.aborted) throw new AcrRequestError('aborted by caller', 'aborted');
      if (timeout.aborted)
        throw new AcrRequestError(
          `${req.method} ${redact(req.url)}: timed out after ${timeoutMs} ms`,
          'timeout',
        );
      throw new AcrRequestError(`${req.method} ${redact(req.url)}: ${(e as Error).message}`, 'network');
    }
  }
}

/** URLs in messages lose their query (it may carry paging state, never secrets, but stays short). */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
