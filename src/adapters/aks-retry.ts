// One ARM call with a deadline, and bounded retries with exponential backoff and full jitter.
// The SDK's own retry policy is switched off (see aks-client.ts) so that this is the only place
// that decides whether a request is sent again: a runCommand POST must never be repeated after
// an ambiguous failure.
import { setTimeout as sleep } from 'node:timers/promises';
import { ArmCallError, classifyArmError, type ArmFailure } from './aks-arm-errors';

export interface RetryPolicy {
  /** Total tries, first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is handed back to the caller instead of waited out. */
  maxInlineWaitMs: number;
  /** [0, 1): jitter source; injectable so tests can pin it. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 400,
  maxDelayMs: 4_000,
  maxInlineWaitMs: 3_000,
  random: Math.random,
};

/** Runs op with a per-try deadline; throws ArmCallError with the classified failure. */
export async function callWithDeadline<T>(
  op: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  try {
    return await op(combined);
  } catch (error) {
    throw new ArmCallError(classifyArmError(error, { timedOut: deadline.aborted && !signal?.aborted }));
  }
}

/**
 * Tries op until it succeeds, the failure is not retryable, the attempts are used up, or the
 * server asks for a longer pause than we may wait inline. Throws the last ArmCallError.
 */
export async function withRetries<T>(
  op: (signal: AbortSignal) => Promise<T>,
  opts: {
    policy: RetryPolicy;
    timeoutMs: number;
    retryable: (f: ArmFailure) => boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<T> {
  const { policy } = opts;
  for (let attempt = 1; ; attempt++) {
    try {
      return await callWithDeadline(op, opts.timeoutMs, opts.signal);
    } catch (error) {
      const failure = classifyArmError(error);
      if (attempt >= policy.attempts || !opts.retryable(failure) || opts.signal?.aborted) throw error;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * policy.random();
      const wait = Math.max(backoff, (failure.retryAfterSeconds ?? 0) * 1000);
      if (wait > policy.maxInlineWaitMs) throw error;
      try {
        await sleep(wait, undefined, opts.signal ? { signal: opts.signal } : undefined);
      } catch {
        throw error; // the caller gave up while we waited
      }
    }
  }
}
