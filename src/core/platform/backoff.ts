// The one back-off computation: exponential growth from a base, capped, with jitter. The random
// draw is an input, keeping callers pure and testable; units are the caller's (s or ms).
export type Jitter =
  /** 0..delay: spreads retries the most (concurrent callers rarely collide). */
  | 'full'
  /** delay/2..delay: spreads retries but never collapses to zero. */
  | 'equal'
  /** exactly the delay. */
  | 'none';

export interface BackoffShape {
  base: number;
  cap: number;
  jitter: Jitter;
}

/** Delay before retry number `attempt` (1 = after the first failure). */
export function backoffDelay(attempt: number, shape: BackoffShape, random01: number): number {
  const exp = Math.min(shape.cap, shape.base * 2 ** Math.max(0, attempt - 1));
  const r = Math.min(1, Math.max(0, random01));
  if (shape.jitter === 'none') return exp;
  if (shape.jitter === 'full') return exp * r;
  return exp / 2 + (exp / 2) * r;
}

/** The rollout machine's wait between region attempts: equal jitter, in seconds. */
export function backoffSeconds(
  attempt: number,
  baseSeconds: number,
  random01: number,
  capSeconds = 900,
): number {
  return backoffDelay(attempt, { base: baseSeconds, cap: capSeconds, jitter: 'equal' }, random01);
}

export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}
