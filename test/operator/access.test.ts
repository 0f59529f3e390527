// One door, one key, through the registration table and the handlers themselves (the
// SDK's own HttpRequest): the ACR webhook is anonymous at the Functions level (its bearer secret
// is its check); every other route keeps a function key; with Easy Auth on an action also needs
// the operator app role from x-ms-client-principal; the actor headers count only with Easy Auth.
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { sendNotification } from '../../src/adapters/notify/sender';
import { formatMessage } from '../../src/core/notify/format';
import { ConfigError } from '../../src/app/config/schema';
import type { Deps } from '../../src/app/platform/deps';
import type { ActorHost } from '../../src/functions/operator/actor';
import { makeRegistrations, productionRegistrations } from '../../src/functions/registrations';
import { testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';
import { storeOnFreshTables } from '../store/support';
import { principalHeader } from './support';

function world(env: Record<string, string> = {}, host: ActorHost = {}) {
  const { deps } = fakeDeps(testConfig({ env }), new MemoryRolloutStore());
  const http = makeRegistrations(() => deps, host).http;
  const route = (name: string) => {
    const r = http.find((x) => x.name === name);
    if (!r) throw new Error(`no route ${name}`);
    return r;
  };
  const call = async (
    name: string,
    method: string,
    o: { headers?: Record<string, string>; body?: unknown; params?: Record<string, string> } = {},
  ) => {
    const res = (await route(name).handler(
      new HttpRequest({
        method,
        url: `https://app.example/api/${route(name).route}`,
        headers: { 'content-type': 'application/json', ...o.headers },
        params: o.params,
        body: o.body === undefined ? undefined : { string: JSON.stringify(o.body) },
      }),
      new InvocationContext({ functionName: name }),
    )) as HttpResponseInit;
    return { status: res.status, body: res.jsonBody as Record<string, unknown> };
  };
  return { deps, http, call };
}

const audit = async (deps: Deps) => (await deps.store.listAudit({ limit: 50 })).entries;
const operator = (name = 'op@contoso.com') => ({
  'x-ms-client-principal': principalHeader({ name, roles: ['Rollout.Operator'] }),
  'x-ms-client-principal-name': name,
});

describe('routes and their keys', () => {
  it('when the registrations are read, then only the ACR webhook is anonymous; every other route needs a function key', () => {
    for (const http of [productionRegistrations.http, world().http]) {
      const levels = Object.fromEntries(http.map((r) => [r.name, r.authLevel]));
      expect(levels.acrEvents).toBe('anonymous');
      const others = http.filter((r) => r.name !== 'acrEvents');
      expect(others.length).toBeGreaterThan(10);
      for (const r of others) expect(r.authLevel, r.name).toBe('function');
    }
  });

  it('when the webhook is called without the bearer secret, then 401 (the secret is its only door)', async () => {
    const { call } = world();
    const res = await call('acrEvents', 'POST', { body: { id: 'x' }, params: { region: 'eastus' } });
    expect(res.status).toBe(401);
  });
});

describe('operator actions under Easy Auth (WEBSITE_AUTH_ENABLED)', () => {
  const EASY = { WEBSITE_AUTH_ENABLED: 'True' };

  it('when the principal is missing, forged or lacks the role, then 401/403, nothing is held and nothing audited', async () => {
    const { deps, call } = world(EASY);
    const cases: Array<[string, Record<string, string>, number]> = [
      ['no principal, only a name header', { 'x-ms-client-principal-name': 'ceo@contoso.com' }, 401],
      ['a forged principal (not base64 JSON)', { 'x-ms-client-principal': '%%%forged%%%' }, 401],
      [
        'a principal of the wrong shape',
        { 'x-ms-client-principal': Buffer.from('{"roles":["Rollout.Operator"]}').toString('base64') },
        401,
      ],
      [
        'a principal without the role',
        { 'x-ms-client-principal': principalHeader({ name: 'eve', roles: ['Rollout.Reader'] }) },
        403,
      ],
    ];
    for (const [what, headers, status] of cases) {
      const res = await call('holds', 'POST', { headers, body: { region: 'eastus' } });
      expect(res.status, what).toBe(status);
      if (status === 403) expect(String(res.body.message)).toContain('"Rollout.Operator"');
      for (const v of Object.values(headers)) expect(JSON.stringify(res.body)).not.toContain(v);
      // The release actions and the other doors are the same.
      const pause = await call('releasePause', 'POST', {
        headers,
        params: { id: '0000000000000-000000000000' },
      });
      expect(pause.status, `pause: ${what}`).toBe(status);
      expect((await call('hold', 'DELETE', { headers, params: { id: 'h-0000000000000000' } })).status).toBe(
        status,
      );
      expect((await call('rollbacks', 'POST', { headers, body: { releaseId: 'x' } })).status).toBe(status);
    }
    expect(await deps.store.listHolds(['eastus'])).toEqual([]);
    expect(await audit(deps)).toEqual([]);
  });

  it('when the principal has the role, then the action runs, recorded for the signed-in name; reads need no role', async () => {
    const { deps, call } = world(EASY);
    expect((await call('holds', 'GET')).status).toBe(200);
    expect((await call('audit', 'GET')).status).toBe(200);
    const placed = await call('holds', 'POST', { headers: operator(), body: { region: 'eastus' } });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ region: 'eastus', actor: 'op@contoso.com' });
    expect((await audit(deps))[0]).toMatchObject({
      action: 'hold',
      actor: 'op@contoso.com',
      outcome: 'applied',
    });
  });

  it('when OPERATOR_ROLE names another role, then that role is the one required', async () => {
    const { call } = world({ ...EASY, OPERATOR_ROLE: 'Deploy.Approver' });
    expect((await call('holds', 'POST', { headers: operator(), body: { region: 'eastus' } })).status).toBe(
      403,
    );
    const approver = {
      'x-ms-client-principal': principalHeader({ name: 'a', roles: ['Deploy.Approver'] }),
    };
    expect((await call('holds', 'POST', { headers: approver, body: { region: 'eastus' } })).status).toBe(201);
  });

  it('when the configuration is broken, then a caller without the role learns nothing of it (401/403, not 500)', async () => {
    // As the composition root throws it: ROLLOUT_CONFIG invalid, the access settings fine.
    const http = makeRegistrations(() => {
      throw new ConfigError(['ROLLOUT_CONFIG: secret-looking detail'], undefined, {
        easyAuth: true,
        role: 'Rollout.Operator',
      });
    }).http;
    const holds = http.find((r) => r.name === 'holds')!;
    const send = (headers: Record<string, string>) =>
      holds.handler(
        new HttpRequest({
          method: 'POST',
          url: 'https://app.example/api/holds',
          headers: { 'content-type': 'application/json', ...headers },
          body: { string: '{"region":"eastus"}' },
        }),
        new InvocationContext({ functionName: 'holds' }),
      ) as Promise<HttpResponseInit>;
    const anonymous = await send({});
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(anonymous.jsonBody)).not.toContain('secret-looking');
    const roleless = await send({ 'x-ms-client-principal': principalHeader({ roles: [] }) });
    expect(roleless.status).toBe(403);
    const allowed = await send(operator());
    expect(allowed.status).toBe(500);
    expect(JSON.stringify(allowed.jsonBody)).toContain('secret-looking');
  });
});

describe('the actor without Easy Auth', () => {
  it('when a caller sends x-ms-client-principal-name in Azure without Easy Auth, then the audit and the notification say function-key', async () => {
    const { store } = storeOnFreshTables();
    const config = testConfig({
      env: { NOTIFY_TARGETS: JSON.stringify([{ url: 'http://127.0.0.1:9/hook', format: 'json' }]) },
    });
    const { deps: base } = fakeDeps(config, store);
    const deps: Deps = { ...base, outbox: store, notify: sendNotification };
    const holds = makeRegistrations(() => deps).http.find((r) => r.name === 'holds')!;
    const res = (await holds.handler(
      new HttpRequest({
        method: 'POST',
        url: 'https://app.example/api/holds?code=k',
        headers: {
          'content-type': 'application/json',
          'x-ms-client-principal-name': 'ceo@contoso.com',
          'x-ms-client-principal': principalHeader({ name: 'ceo@contoso.com', roles: ['Rollout.Operator'] }),
        },
        body: { string: '{"region":"westeurope","reason":"freeze"}' },
      }),
      new InvocationContext({ functionName: 'holds' }),
    )) as HttpResponseInit;
    expect(res.status).toBe(201);
    expect(res.jsonBody).toMatchObject({ actor: 'function-key' });
    const [entry] = (await store.listAudit({ limit: 5 })).entries;
    expect(entry).toMatchObject({ action: 'hold', actor: 'function-key', outcome: 'applied' });
    const rows = (await store.listOutbox(['westeurope'])).filter((r) => r.event.event === 'action.performed');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.event.action).toMatchObject({ name: 'hold', actor: 'function-key' });
    expect(JSON.stringify(rows)).not.toContain('ceo@contoso.com');
  });

  it('when a reason carries line breaks, control and bidi characters, then it is recorded, shown and sent as one plain line', async () => {
    const { store } = storeOnFreshTables();
    const config = testConfig({
      env: { NOTIFY_TARGETS: JSON.stringify([{ url: 'http://127.0.0.1:9/hook', format: 'slack' }]) },
    });
    const { deps: base } = fakeDeps(config, store);
    const deps: Deps = { ...base, outbox: store, notify: sendNotification };
    const holds = makeRegistrations(() => deps).http.find((r) => r.name === 'holds')!;
    const reason = 'freeze\r\n*Approved by the CEO*\u202e\u0000\u2066 \t now';
    const res = (await holds.handler(
      new HttpRequest({
        method: 'POST',
        url: 'https://app.example/api/holds',
        headers: { 'content-type': 'application/json' },
        body: { string: JSON.stringify({ region: 'eastus', reason }) },
      }),
      new InvocationContext({ functionName: 'holds' }),
    )) as HttpResponseInit;
    const plain = 'freeze *Approved by the CEO* now';
    expect(res.jsonBody).toMatchObject({ reason: plain });
    expect((await store.listHolds(['eastus']))[0]?.reason).toBe(plain);
    expect((await store.listAudit({ limit: 5 })).entries[0]?.reason).toBe(plain);
    const [row] = (await store.listOutbox(['eastus'])).filter((r) => r.event.event === 'action.performed');
    const text = formatMessage('slack', row!.event, {}).body;
    expect(text).toContain(plain);
    expect(text).not.toMatch(/\\n\*Approved|\u202e|\u2066/);
  });

  it('when the same header reaches the local host, then the actor is local', async () => {
    const { deps, call } = world({}, { local: true });
    const res = await call('holds', 'POST', {
      headers: { 'x-ms-client-principal-name': 'ceo@contoso.com' },
      body: { region: 'eastus' },
    });
    expect(res.status).toBe(201);
    expect((await audit(deps))[0]).toMatchObject({ actor: 'local' });
  });
});
