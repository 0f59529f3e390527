// Exponential backoff with "equal jitter": half fixed, half random, so retries spread out but
// never collapse to zero. The random draw is an input, keeping callers pure and testable.
export function backoffSeconds(
  attempt: number,
  baseSeconds: number,
  random01: number,
  capSeconds = 900,
): number {
  const exp = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random01));
}

export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}
