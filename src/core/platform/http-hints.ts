// Small readings of HTTP answers shared by the ACR and ARM adapters.

/**
 * Retry-After as delta-seconds (what ACR and ARM send; a fraction is tolerated) or an HTTP date,
 * in milliseconds from nowMs; undefined when absent or unreadable.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date names its day and month; without letters, Date.parse would read '-5' as a year.
  const at = /[a-z]/i.test(trimmed) ? Date.parse(trimmed) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** JSON.parse that answers undefined for a body that is not JSON (callers validate with zod). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
