// GET /api/dashboard: the status page. One self-contained HTML document whose inline style and
// script run only with this response's nonce; it reads the JSON API from the same origin.
import { randomBytes } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { dashboardPage } from './page';
import { withErrorMapping } from '../platform';
import type { HttpRegistration } from '../platform';

export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function dashboard(): Promise<HttpResponseInit> {
  const nonce = randomBytes(16).toString('base64');
  return Promise.resolve({
    status: 200,
    body: dashboardPage(nonce),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(nonce),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // The page URL may carry the function key (?code=): never send it on as a referrer.
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
  });
}

/** The page reads nothing itself (the browser calls the JSON routes), so it needs no deps. */
export function dashboardRegistration(): HttpRegistration {
  return {
    name: 'dashboard',
    methods: ['GET'],
    route: 'dashboard',
    authLevel: 'function',
    handler: withErrorMapping(dashboard),
  };
}
