import { describe, expect, it } from 'vitest';
import { memoUntilRejected } from '../../../src/core/platform/memo';

describe('memoUntilRejected', () => {
  it('shares one promise per key among callers', async () => {
    const cache = new Map<string, Promise<number>>();
    let made = 0;
    const make = () => Promise.resolve(++made);
    const [a, b] = await Promise.all([
      memoUntilRejected(cache, 'k', make),
      memoUntilRejected(cache, 'k', make),
    ]);
    expect([a, b, made]).toEqual([1, 1, 1]);
    expect(await memoUntilRejected(cache, 'other', make)).toBe(2);
  });

  it('forgets a rejected promise, so the next caller tries again', async () => {
    const cache = new Map<string, Promise<string>>();
    await expect(memoUntilRejected(cache, 'k', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    expect(cache.has('k')).toBe(false);
    expect(await memoUntilRejected(cache, 'k', () => Promise.resolve('up'))).toBe('up');
    expect(cache.has('k')).toBe(true);
  });

  it('does not drop a newer promise that took the key while the old one was failing', async () => {
    const cache = new Map<string, Promise<string>>();
    let fail: (e: Error) => void = () => undefined;
    const old = memoUntilRejected(cache, 'k', () => new Promise<string>((_r, reject) => (fail = reject)));
    cache.delete('k'); // the caller cleared it (e.g. after a write)
    const fresh = memoUntilRejected(cache, 'k', () => Promise.resolve('fresh'));
    fail(new Error('late failure'));
    await expect(old).rejects.toThrow('late failure');
    expect(cache.get('k')).toBe(fresh);
  });
});
