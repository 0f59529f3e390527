// Who an action is recorded for, and whether they may act, from the SDK's own HttpRequest: the
// Easy Auth headers count only when App Service Authentication is on (WEBSITE_AUTH_ENABLED);
// otherwise the Functions key (or, on the local host, nothing) is the caller; never the body.
import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { actorOf, authorizeOperator, clientPrincipal } from '../../src/functions/operator/actor';
import { principalHeader } from './support';

const req = (headers: Record<string, string> = {}, query: Record<string, string> = {}) =>
  new HttpRequest({
    method: 'POST',
    url: 'https://x/api/holds',
    headers,
    query,
    body: { string: '{"actor":"mallory"}' },
  });

const on = { easyAuth: true, role: 'Rollout.Operator' };
const off = { easyAuth: false, role: 'Rollout.Operator' };

describe('actor', () => {
  const cases: Array<[string, HttpRequest, boolean, boolean, string]> = [
    [
      'Easy Auth is on and sets the name header',
      req({ 'x-ms-client-principal-name': 'alice@contoso.com' }),
      true,
      false,
      'alice@contoso.com',
    ],
    [
      'Easy Auth is on and only the principal names the user',
      req({ 'x-ms-client-principal': principalHeader({ name: 'Dana' }) }),
      true,
      false,
      'Dana',
    ],
    [
      'Easy Auth is off and a caller sends the header (spoofed)',
      req({ 'x-ms-client-principal-name': 'ceo@contoso.com', 'x-functions-key': 'k' }),
      false,
      false,
      'function-key',
    ],
    [
      'Easy Auth is off on the local host and a caller sends the header',
      req({ 'x-ms-client-principal-name': 'ceo@contoso.com' }),
      false,
      true,
      'local',
    ],
    [
      'Easy Auth is off in Azure (the host checked the key)',
      req({}, { code: 'k' }),
      false,
      false,
      'function-key',
    ],
    [
      'the header carries control characters and tabs',
      req({ 'x-ms-client-principal-name': 'eve\u0007\tadmin' }),
      true,
      false,
      'eve admin',
    ],
    [
      'the principal names the user with bidi controls and a line break',
      req({ 'x-ms-client-principal': principalHeader({ name: 'eve\u202e\nadmin' }) }),
      true,
      false,
      'eve admin',
    ],
  ];
  for (const [what, request, easyAuth, local, actor] of cases)
    it(`when ${what}, then the actor is ${actor} (never the body's)`, () => {
      expect(actorOf(request, { easyAuth }, { local })).toBe(actor);
    });

  it('when the header is very long, then the actor is cut to 200 characters', () => {
    expect(actorOf(req({ 'x-ms-client-principal-name': 'a'.repeat(500) }), { easyAuth: true })).toHaveLength(
      200,
    );
  });
});

describe('operator role under Easy Auth', () => {
  it('when Easy Auth is off, then no principal is asked for (the function key is the check)', () => {
    expect(authorizeOperator(req(), off)).toEqual({ ok: true, actor: 'function-key' });
  });

  it('when the principal carries the role (roles claim, role_typ claim or the long role claim), then the action may run', () => {
    for (const roleTyp of [
      'roles',
      'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      'appRole',
    ]) {
      const r = req({
        'x-ms-client-principal': principalHeader({
          name: 'op',
          roles: ['Reader', 'Rollout.Operator'],
          roleTyp,
        }),
        'x-ms-client-principal-name': 'op@contoso.com',
      });
      expect(authorizeOperator(r, on), roleTyp).toEqual({ ok: true, actor: 'op@contoso.com' });
    }
  });

  const refusals: Array<[string, Record<string, string>, number]> = [
    ['no principal', { 'x-ms-client-principal-name': 'alice' }, 401],
    ['a principal that is not base64 JSON', { 'x-ms-client-principal': 'not base64 !!' }, 401],
    [
      'a principal of the wrong shape',
      { 'x-ms-client-principal': Buffer.from('{"claims":7}').toString('base64') },
      401,
    ],
    [
      'a principal that is JSON of nothing',
      { 'x-ms-client-principal': Buffer.from('null').toString('base64') },
      401,
    ],
    [
      'a principal without the role',
      { 'x-ms-client-principal': principalHeader({ name: 'bob', roles: ['Reader'] }) },
      403,
    ],
    [
      'a principal whose role is only a name claim',
      {
        'x-ms-client-principal': Buffer.from(
          JSON.stringify({ claims: [{ typ: 'name', val: 'Rollout.Operator' }] }),
        ).toString('base64'),
      },
      403,
    ],
  ];
  for (const [what, headers, status] of refusals)
    it(`when the request has ${what}, then it is ${status} and the header is not echoed`, () => {
      const verdict = authorizeOperator(req(headers), on);
      expect(verdict).toMatchObject({ ok: false, status });
      const text = JSON.stringify(verdict);
      for (const v of Object.values(headers)) expect(text).not.toContain(v);
      if (status === 403) expect(text).toContain('Rollout.Operator');
    });

  it('when OPERATOR_ROLE itself is invalid, then a signed-in principal gets 503 (nobody can be authorized)', () => {
    const r = req({ 'x-ms-client-principal': principalHeader({ roles: ['Rollout.Operator'] }) });
    expect(authorizeOperator(r, { easyAuth: true })).toMatchObject({ ok: false, status: 503 });
  });

  it('when the principal header is huge, then it is refused unread', () => {
    expect(clientPrincipal('A'.repeat(70 * 1024))).toBeUndefined();
  });
});
