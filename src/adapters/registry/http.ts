// One HTTP exchange with the registry, bounded in every dimension: a timeout per attempt, a
// few attempts for throttling (429) and server errors (5xx), exponential backoff with full
// jitter that honours Retry-After, and a total budget. Nothing here can hang a caller.
import { errorMessage, parseRetryAfterMs, retry, type Sleep } from '../../core/platform';
import { realSleep } from '../platform';

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
  /** Waits between attempts; injectable so tests do not wait real time. */
  sleep?: Sleep | undefined;
  /** Clock for the budget; default Date.now. */
  now?: (() => number) | undefined;
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

export class AcrHttp {
  readonly counters: RequestCounters = { requests: 0, tokenRequests: 0 };

  constructor(private readonly opts: AcrHttpOptions) {}

  /**
   * Sends the request, retrying 429/5xx and network failures. Returns the last HTTP answer
   * (possibly a 429/5xx when retries ran out); throws AcrRequestError when none came.
   */
  async send(req: AcrRequest, kind: RequestKind, signal?: AbortSignal): Promise<AcrResponse> {
    const aborted = (): AcrRequestError => new AcrRequestError('aborted by caller', 'aborted');
    if (signal?.aborted) throw aborted();
    const now = this.opts.now ?? Date.now;
    const deadline = now() + this.opts.totalBudgetMs;
    const budgetSpent = (): AcrRequestError =>
      new AcrRequestError(
        `${req.method} ${redact(req.url)}: no answer within ${this.opts.totalBudgetMs} ms`,
        'budget',
      );
    return retry(
      async (attempt) => {
        const remaining = deadline - now();
        if (remaining <= 0) throw budgetSpent();
        const res = await this.attempt(req, kind, Math.min(this.opts.timeoutMs, remaining), signal);
        return { ...res, attempts: attempt };
      },
      {
        attempts: this.opts.maxAttempts,
        baseMs: this.opts.backoffBaseMs,
        jitter: 'full',
        retryable: (o) =>
          o.ok
            ? isRetryableStatus(o.value.status)
            : !(o.error instanceof AcrRequestError && ['aborted', 'budget'].includes(o.error.reason)),
        // The server's hint replaces our back-off; an answer kept past the budget is given back.
        retryAfterMs: (o) =>
          o.ok ? parseRetryAfterMs(o.value.headers.get('retry-after'), now()) : undefined,
        retryAfter: 'replace',
        deadline: { at: deadline, now },
        abortError: aborted,
        sleep: this.opts.sleep ?? realSleep,
        random: this.opts.random,
        signal,
      },
    );
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
      throw new AcrRequestError(`${req.method} ${redact(req.url)}: ${errorMessage(e)}`, 'network');
    }
  }
}

/** URLs in messages lose their query (it may carry paging state, never secrets, but stays short). */
export function redact(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
