// One ARM call with a deadline, and bounded retries (core/platform/retry.ts) with exponential backoff
// and full jitter. The SDK's own retry policy is switched off (see client.ts) so that this is
// the only place that decides whether a request is sent again: a runCommand POST must never be
// repeated after an ambiguous failure.
import { ArmCallError, classifyArmError, type ArmFailure } from './arm-errors';
import { retry, type Sleep } from '../../../core/platform';
import { realSleep } from '../../platform';

export interface RetryPolicy {
  /** Total tries, first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is handed back to the caller instead of waited out. */
  maxInlineWaitMs: number;
  /** [0, 1): jitter source; injectable so tests can pin it. */
  random: () => number;
  /** Injectable so tests do not wait real time between tries. */
  sleep: Sleep;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 400,
  maxDelayMs: 4_000,
  maxInlineWaitMs: 3_000,
  random: Math.random,
  sleep: realSleep,
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
export function withRetries<T>(
  op: (signal: AbortSignal) => Promise<T>,
  opts: {
    policy: RetryPolicy;
    timeoutMs: number;
    retryable: (f: ArmFailure) => boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<T> {
  const { policy } = opts;
  return retry(() => callWithDeadline(op, opts.timeoutMs, opts.signal), {
    attempts: policy.attempts,
    baseMs: policy.baseDelayMs,
    capMs: policy.maxDelayMs,
    jitter: 'full',
    retryable: (o) => !o.ok && opts.retryable(classifyArmError(o.error)),
    retryAfterMs: (o) => {
      const seconds = o.ok ? undefined : classifyArmError(o.error).retryAfterSeconds;
      return seconds === undefined ? undefined : seconds * 1000;
    },
    maxWaitMs: policy.maxInlineWaitMs,
    sleep: policy.sleep,
    random: policy.random,
    signal: opts.signal,
  });
}
