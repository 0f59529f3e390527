// The one retry loop: bounded attempts, back-off from core/platform/backoff.ts, an optional server hint
// (Retry-After), an optional wall-clock deadline, and a caller abort. Sleep, randomness and the
// clock are injected, so tests drive retries without waiting real time.
import { backoffDelay, type Jitter } from './backoff';

/** What one try produced: a value, or what it threw. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Waits ms; rejects when signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions<T> {
  /** Total tries, the first one included. */
  attempts: number;
  baseMs: number;
  /** Largest back-off; default unbounded (attempts bound it). */
  capMs?: number | undefined;
  /** Default 'full'. */
  jitter?: Jitter | undefined;
  /** Whether this outcome is worth another try (a value may be, e.g. an HTTP 429); default: any error. */
  retryable?: ((outcome: Outcome<T>) => boolean) | undefined;
  /** The server's requested pause, in ms. */
  retryAfterMs?: ((outcome: Outcome<T>) => number | undefined) | undefined;
  /** 'floor' (default): wait at least the hint; 'replace': wait exactly the hint when given. */
  retryAfter?: 'floor' | 'replace' | undefined;
  /** A wait longer than this is not slept: the last outcome is given back. */
  maxWaitMs?: number | undefined;
  /** Absolute time (per `now`) that no wait may reach: the last outcome is given back instead. */
  deadline?: { at: number; now: () => number } | undefined;
  /** Called before each wait, e.g. to log. */
  onRetry?:
    ((info: { attempt: number; waitMs: number; outcome: Outcome<T>; error?: unknown }) => void) | undefined;
  /** Stopped by the caller's abort: throw this instead of giving back the last outcome. */
  abortError?: (() => unknown) | undefined;
  sleep: Sleep;
  /** [0, 1) jitter source; default Math.random. */
  random?: (() => number) | undefined;
  signal?: AbortSignal | undefined;
}

function giveBack<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

async function tryOnce<T>(fn: (attempt: number) => Promise<T>, attempt: number): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn(attempt) };
  } catch (error) {
    return { ok: false, error };
  }
}

function waitFor<T>(opts: RetryOptions<T>, attempt: number, outcome: Outcome<T>): number {
  const shape = { base: opts.baseMs, cap: opts.capMs ?? Infinity, jitter: opts.jitter ?? 'full' };
  const backoff = backoffDelay(attempt, shape, (opts.random ?? Math.random)());
  const hint = opts.retryAfterMs?.(outcome);
  if (hint === undefined) return backoff;
  return opts.retryAfter === 'replace' ? hint : Math.max(backoff, hint);
}

/**
 * Runs fn until its outcome is not retryable, the attempts are used up, a wait would be too long
 * or pass the deadline, or the caller aborts; then returns the last value or throws the last error.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await tryOnce(fn, attempt);
    const retryable = opts.retryable ?? ((o: Outcome<T>) => !o.ok);
    if (attempt >= opts.attempts || !retryable(outcome)) return giveBack(outcome);
    if (opts.signal?.aborted) return stopByAbort(opts, outcome);
    const waitMs = waitFor(opts, attempt, outcome);
    if (opts.maxWaitMs !== undefined && waitMs > opts.maxWaitMs) return giveBack(outcome);
    if (opts.deadline && opts.deadline.now() + waitMs >= opts.deadline.at) return giveBack(outcome);
    opts.onRetry?.({ attempt, waitMs, outcome, error: outcome.ok ? undefined : outcome.error });
    try {
      await opts.sleep(waitMs, opts.signal);
    } catch {
      return stopByAbort(opts, outcome); // the caller gave up while we waited
    }
  }
}

function stopByAbort<T>(opts: RetryOptions<T>, outcome: Outcome<T>): T {
  if (opts.abortError) throw opts.abortError();
  return giveBack(outcome);
}
