// The one race against a deadline (the webhook's and the operator's nudge, the intake's registry
// check): the answer comes in time whatever the work does, and no timer outlives it.
import { describe, expect, it } from 'vitest';
import { NUDGE_GRACE_MS, nudgeWithin, settleWithin } from '../../src/app/platform/deadline';

const never = new Promise<never>(() => undefined);

describe('settleWithin', () => {
  it("gives the work's value when it settles first", async () => {
    expect(await settleWithin(Promise.resolve('done'), 1_000, () => 'late')).toBe('done');
  });

  it('gives the late value when the work does not settle in time', async () => {
    const t0 = performance.now();
    expect(await settleWithin(never, 20, () => 'late')).toBe('late');
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("passes the work's rejection on", async () => {
    await expect(settleWithin(Promise.reject(new Error('boom')), 1_000, () => 'late')).rejects.toThrow(
      'boom',
    );
  });
});

describe('nudgeWithin', () => {
  it('hands the work one budget signal, aborted at the budget', async () => {
    let seen: AbortSignal | undefined;
    const out = await nudgeWithin(20, async (signal) => {
      seen = signal;
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    });
    expect(out).toBe('done');
    expect(seen?.aborted).toBe(true);
  });

  it('says late when the work ignores the signal past the grace', async () => {
    const t0 = performance.now();
    expect(await nudgeWithin(10, () => never)).toBe('late');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(10 + NUDGE_GRACE_MS - 5);
  });
});
