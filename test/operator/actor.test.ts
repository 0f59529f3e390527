// Who an action is recorded for (issue 12), from the SDK's own HttpRequest: the Easy Auth header,
// else a function key, else the local host; never the body.
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { actorOf } from '../../src/functions/operator-actor';

const req = (headers: Record<string, string> = {}, query: Record<string, string> = {}) =>
  new HttpRequest({
    method: 'POST',
    url: 'https://x/api/holds',
    headers,
    query,
    body: { string: '{"actor":"mallory"}' },
  });

describe('actor', () => {
  const cases: Array<[string, HttpRequest, boolean, string]> = [
    [
      'the Easy Auth header is set',
      req({ 'x-ms-client-principal-name': 'alice@contoso.com' }),
      false,
      'alice@contoso.com',
    ],
    [
      'the Easy Auth header is set on the local host',
      req({ 'x-ms-client-principal-name': 'bob' }),
      true,
      'bob',
    ],
    ['a key header was used', req({ 'x-functions-key': 'k' }), false, 'function-key'],
    ['a code query was used', req({}, { code: 'k' }), false, 'function-key'],
    ['the local host (no key is checked there)', req({}, { code: 'k' }), true, 'local'],
    ['nothing identifies the caller', req(), false, 'anonymous'],
    [
      'the header carries control characters',
      req({ 'x-ms-client-principal-name': 'eve\u0007' }),
      false,
      'eve',
    ],
  ];
  for (const [what, request, local, actor] of cases)
    it(`when ${what}, then the actor is ${actor} (never the body's)`, () => {
      expect(actorOf(request, { local })).toBe(actor);
    });

  it('when the header is very long, then the actor is cut to 200 characters', () => {
    expect(actorOf(req({ 'x-ms-client-principal-name': 'a'.repeat(500) }))).toHaveLength(200);
  });
});
