// Small readings of HTTP answers shared by the adapters (ACR, ARM, the Kubernetes API, notification
// targets).

/**
 * The three HTTP-date forms (RFC 9110 5.6.7): IMF-fixdate, obsolete RFC 850 and asctime. Checked
 * before Date.parse, which would read '-5' as a year and 'foo 5' as May 2001.
 */
const HTTP_DATE = [
  /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * Retry-After as delta-seconds (what ACR and ARM send; a fraction is tolerated) or an HTTP date,
 * in milliseconds from nowMs (0 for a date already past); undefined when absent, negative or
 * unreadable.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = HTTP_DATE.some((form) => form.test(trimmed)) ? Date.parse(trimmed) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Retry-After in whole seconds, rounded up (what the executors and the sender report). */
export function parseRetryAfterSeconds(value: string | null | undefined, nowMs: number): number | undefined {
  const ms = parseRetryAfterMs(value, nowMs);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

/** JSON.parse that answers undefined for a body that is not JSON (callers validate with zod). */
export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
