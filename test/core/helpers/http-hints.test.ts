import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs, safeJson } from '../../../src/core/platform/http-hints';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('parseRetryAfterMs', () => {
  it.each([
    ['30', 30_000],
    [' 7 ', 7_000],
    ['0', 0],
    ['1.5', 1_500],
    ['Tue, 01 Dec 2026 12:00:45 GMT', 45_000],
    ['Tue, 01 Dec 2026 11:59:00 GMT', 0], // a date in the past: no wait
  ])('%j -> %d ms', (value, ms) => {
    expect(parseRetryAfterMs(value, NOW)).toBe(ms);
  });

  it.each([null, undefined, '', '   ', 'soon', '-5'])('%j -> undefined', (value) => {
    expect(parseRetryAfterMs(value, NOW)).toBeUndefined();
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
