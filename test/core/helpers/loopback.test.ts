import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isLoopbackUrl, isPlainHttpLoopback } from '../../../src/core/platform/loopback';

describe('isLoopbackUrl', () => {
  it.each([
    ['http://localhost:10002', true],
    ['http://127.0.0.1:7071/api', true],
    ['http://127.5.5.5', true],
    ['http://[::1]:8080', true],
    ['https://localhost', true],
    ['http://localhost.example.com', false],
    ['http://127.0.0.1.example.com', false],
    ['http://128.0.0.1', false],
    ['https://myregistry.azurecr.io', false],
    ['http://[::2]', false],
    ['not a url', false],
    ['', false],
  ])('%s -> %s', (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });

  it('takes only plain http on a loopback host as insecure-allowed', () => {
    expect(isPlainHttpLoopback('http://127.0.0.1:10002/devstoreaccount1')).toBe(true);
    expect(isPlainHttpLoopback('https://127.0.0.1:10002')).toBe(false);
    expect(isPlainHttpLoopback('http://localhost.example.com')).toBe(false);
    expect(isPlainHttpLoopback('http://127.evil.com')).toBe(false);
  });

  it('reads hosts as URL leaves them', () => {
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('127.255.255.255')).toBe(true);
    expect(isLoopbackHost('127.256.0.1')).toBe(false);
    expect(isLoopbackHost('localhost.')).toBe(false);
  });
});
