import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffSeconds } from '../../../src/core/platform/backoff';

describe('backoffDelay', () => {
  const shape = { base: 100, cap: 1000 };

  it('doubles per attempt up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, { ...shape, jitter: 'none' }, 0.5));
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('full jitter spans 0..delay, equal jitter delay/2..delay', () => {
    expect(backoffDelay(3, { ...shape, jitter: 'full' }, 0)).toBe(0);
    expect(backoffDelay(3, { ...shape, jitter: 'full' }, 0.5)).toBe(200);
    expect(backoffDelay(3, { ...shape, jitter: 'equal' }, 0)).toBe(200);
    expect(backoffDelay(3, { ...shape, jitter: 'equal' }, 1)).toBe(400);
  });

  it('clamps a random draw outside [0, 1]', () => {
    expect(backoffDelay(1, { ...shape, jitter: 'full' }, 7)).toBe(100);
    expect(backoffDelay(1, { ...shape, jitter: 'full' }, -1)).toBe(0);
  });
});

describe('backoffSeconds (the rollout machine)', () => {
  it('uses equal jitter with a 900 s default cap', () => {
    expect(backoffSeconds(1, 60, 0)).toBe(30);
    expect(backoffSeconds(2, 60, 1)).toBe(120);
    expect(backoffSeconds(20, 60, 1)).toBe(900);
  });
});
