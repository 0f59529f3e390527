import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, parseRetryAfterSeconds, safeJson } from '../../../src/core/platform/http-hints';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('parseRetryAfterMs', () => {
  it.each([
    ['30', 30_000],
    [' 7 ', 7_000],
    ['0', 0],
    ['1.5', 1_500],
    ['Tue, 01 Dec 2026 12:00:45 GMT', 45_000],
    ['Tue, 01 Dec 2026 11:59:00 GMT', 0], // a date in the past: no wait
    ['Tuesday, 01-Dec-26 12:01:00 GMT', 60_000], // the obsolete RFC 850 form
    ['Tue Dec  1 12:00:10 2026', 10_000], // asctime
  ])('%j -> %d ms', (value, ms) => {
    expect(parseRetryAfterMs(value, NOW)).toBe(ms);
  });

  it.each([null, undefined, '', '   ', 'soon', '-5', '-0', '+5', '5s', '0x10', '1e3', 'foo 5', 'May 2001'])(
    '%j -> undefined (negative, signed or garbage; Date.parse would read some of them as dates)',
    (value) => {
      expect(parseRetryAfterMs(value, NOW)).toBeUndefined();
    },
  );
});

describe('parseRetryAfterSeconds', () => {
  it('rounds up to whole seconds and keeps what the ms reading rejects rejected', () => {
    expect(parseRetryAfterSeconds('7', NOW)).toBe(7);
    expect(parseRetryAfterSeconds('1.2', NOW)).toBe(2);
    expect(parseRetryAfterSeconds('Tue, 01 Dec 2026 12:00:45 GMT', NOW)).toBe(45);
    expect(parseRetryAfterSeconds('-5', NOW)).toBeUndefined();
    expect(parseRetryAfterSeconds(null, NOW)).toBeUndefined();
  });
});

describe('safeJson', () => {
  it('parses JSON and answers undefined for anything else', () => {
    expect(safeJson('{"errors":[{"code":"NAME_UNKNOWN"}]}')).toEqual({ errors: [{ code: 'NAME_UNKNOWN' }] });
    expect(safeJson('[1,2]')).toEqual([1, 2]);
    expect(safeJson('<html>bad gateway</html>')).toBeUndefined();
    expect(safeJson('')).toBeUndefined();
  });
});
