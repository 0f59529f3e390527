// The one retry loop, driven with a recording sleep: nothing here waits real time.
import { describe, expect, it } from 'vitest';
import { retry, type Outcome, type RetryOptions, type Sleep } from '../../../src/core/platform/retry';

function recordingSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: (ms, signal) => {
      waits.push(ms);
      return signal?.aborted ? Promise.reject(new Error('aborted')) : Promise.resolve();
    },
  };
}

/** fn answers each scripted outcome in turn, then the last one forever. */
function scripted<T>(script: Outcome<T>[]): { fn: (attempt: number) => Promise<T>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fn: (attempt) => {
      calls.push(attempt);
      const o = script[Math.min(calls.length, script.length) - 1]!;
      return o.ok
        ? Promise.resolve(o.value)
        : Promise.reject(o.error instanceof Error ? o.error : new Error(String(o.error)));
    },
  };
}

const fail = (message: string): Outcome<string> => ({ ok: false, error: new Error(message) });
const value = (v: string): Outcome<string> => ({ ok: true, value: v });

function options(sleep: Sleep, over: Partial<RetryOptions<string>> = {}): RetryOptions<string> {
  return { attempts: 4, baseMs: 100, retryable: (o) => !o.ok, sleep, random: () => 1, ...over };
}

describe('retry', () => {
  it('retries failures with doubling waits and returns the first success', async () => {
    const { sleep, waits } = recordingSleep();
    const { fn, calls } = scripted([fail('a'), fail('b'), value('ok')]);
    expect(await retry(fn, options(sleep))).toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(waits).toEqual([100, 200]);
  });

  it('throws the last error once the attempts are used up', async () => {
    const { sleep, waits } = recordingSleep();
    const { fn, calls } = scripted([fail('a'), fail('b'), fail('c'), fail('last')]);
    await expect(retry(fn, options(sleep, { capMs: 150 }))).rejects.toThrow('last');
    expect(calls).toHaveLength(4);
    expect(waits).toEqual([100, 150, 150]);
  });

  it('gives back a retryable value when the attempts run out, and never retries a final one', async () => {
    const { sleep } = recordingSleep();
    const busy = scripted([value('busy')]);
    const retryable = (o: Outcome<string>): boolean => o.ok && o.value === 'busy';
    expect(await retry(busy.fn, options(sleep, { attempts: 3, retryable }))).toBe('busy');
    expect(busy.calls).toHaveLength(3);
    const wrong = scripted([fail('permanent')]);
    await expect(retry(wrong.fn, options(sleep, { retryable }))).rejects.toThrow('permanent');
    expect(wrong.calls).toHaveLength(1);
  });

  it('waits at least the Retry-After hint, or exactly it when told to replace the back-off', async () => {
    const floor = recordingSleep();
    const { fn } = scripted([fail('a'), value('ok')]);
    await retry(fn, options(floor.sleep, { retryAfterMs: () => 30 }));
    expect(floor.waits).toEqual([100]);
    const replace = recordingSleep();
    const again = scripted([fail('a'), value('ok')]);
    await retry(again.fn, options(replace.sleep, { retryAfterMs: () => 30, retryAfter: 'replace' }));
    expect(replace.waits).toEqual([30]);
  });

  it('does not sleep a wait longer than maxWaitMs or past the deadline', async () => {
    const { sleep, waits } = recordingSleep();
    const long = scripted([fail('throttled')]);
    await expect(
      retry(long.fn, options(sleep, { retryAfterMs: () => 60_000, maxWaitMs: 5_000 })),
    ).rejects.toThrow('throttled');
    expect(long.calls).toHaveLength(1);
    const late = scripted([value('busy')]);
    const result = await retry(
      late.fn,
      options(sleep, { retryable: () => true, deadline: { at: 1_150, now: () => 1_000 } }),
    );
    expect(result).toBe('busy');
    expect(late.calls).toHaveLength(2); // waited 100 (ends before 1150), not 200 more
    expect(waits).toEqual([100]);
  });

  it('stops when the caller aborts: the last outcome, or abortError when given', async () => {
    const { sleep } = recordingSleep();
    const controller = new AbortController();
    controller.abort();
    const first = scripted([fail('first')]);
    await expect(retry(first.fn, options(sleep, { signal: controller.signal }))).rejects.toThrow('first');
    expect(first.calls).toHaveLength(1);
    const second = scripted([fail('first')]);
    const opts = options(sleep, { signal: controller.signal, abortError: () => new Error('caller aborted') });
    await expect(retry(second.fn, opts)).rejects.toThrow('caller aborted');
  });

  it('reports each retry before its wait', async () => {
    const { sleep } = recordingSleep();
    const seen: { attempt: number; waitMs: number }[] = [];
    const { fn } = scripted([fail('a'), fail('b'), value('ok')]);
    await retry(
      fn,
      options(sleep, { jitter: 'none', onRetry: ({ attempt, waitMs }) => seen.push({ attempt, waitMs }) }),
    );
    expect(seen).toEqual([
      { attempt: 1, waitMs: 100 },
      { attempt: 2, waitMs: 200 },
    ]);
  });
});
