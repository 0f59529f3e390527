import { describe, expect, it } from 'vitest';
import { errorMessage } from '../../../src/core/platform/errors';

describe('errorMessage', () => {
  it("says an Error's message, a thrown string as it is, anything else as JSON", () => {
    expect(errorMessage(new TypeError('bad input'))).toBe('bad input');
    expect(errorMessage('plain words')).toBe('plain words');
    expect(errorMessage({ code: 'E1' })).toBe('{"code":"E1"}');
    expect(errorMessage(42)).toBe('42');
  });

  it('always answers a string, even for what JSON cannot say', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(10n)).toBe('10');
    expect(errorMessage(circular)).toBe('[object Object]');
  });
});
