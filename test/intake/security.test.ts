// Small security items at the edge: a crafted continuation token is a 400 (not a 500 with a
// stack), an anonymous caller never learns configuration details, and webhook secrets with
// whitespace or non-printable characters are refused at config load. Handlers are called as the
// Functions host calls them, against Azurite; every rejection leaves the tables as they were.
import { randomUUID } from 'node:crypto';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { beforeEach, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { ConfigError, parseConfig } from '../../src/app/config/schema';
import { releasesRegistration } from '../../src/functions/status/releases';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { WEBHOOK_SECRET, intakeRolloutConfig, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { sender, type Send } from './support';

let env: IntakeEnv;
let send: Send;
/** The webhook over these settings instead of the test's own (a broken configuration). */
const sendWith = (overrides: Record<string, string>) =>
  sender(() => appDeps({ ...env.settings, ...overrides }));
beforeEach(async () => {
  env = setupIntakeEnv();
  send = sender(env.resolveDeps);
  // One recorded push, so every table exists and "nothing changed" compares real counts.
  const first = await send(push('1.0.0'));
  expect(first.status).toBe(202);
});

function push(tag: string) {
  return pushPayload({
    repository: 'my-app',
    tag,
    digest: digestOf(`security ${tag}`),
    id: newEventId(),
    timestamp: '2026-05-01T09:00:00.0000000Z',
  });
}

async function getReleases(query: string) {
  const logs: string[] = [];
  const request = new HttpRequest({ method: 'GET', url: `http://127.0.0.1:7071/api/releases?${query}` });
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'releases',
    logHandler: (level, ...args) => logs.push(`${level} ${args.map(String).join(' ')}`),
  });
  const out = (await releasesRegistration(env.resolveDeps).handler(request, context)) as HttpResponseInit;
  return { status: out.status ?? 200, body: out.jsonBody as Record<string, unknown>, logs };
}

describe('GET /api/releases with a crafted continuationToken', () => {
  const token = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

  it.each([
    ['a lone high surrogate row key', `{"nextPartitionKey":"release","nextRowKey":"\\ud800"}`],
    ['a lone low surrogate partition key', `{"nextPartitionKey":"\\udc00x","nextRowKey":"1"}`],
    ['a control character', `{"nextPartitionKey":"release","nextRowKey":"a\\u0000b"}`],
    ['an oversized key', JSON.stringify({ nextPartitionKey: 'release', nextRowKey: 'x'.repeat(1025) })],
  ])('when the token decodes to %s, then 400 naming continuationToken, no stack logged', async (_, raw) => {
    const before = await env.storedCounts();
    const res = await getReleases(`continuationToken=${Buffer.from(raw).toString('base64url')}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'bad-request', parameter: 'continuationToken' });
    expect(String(res.body.message)).toContain('continuationToken: is not a continuation token');
    expect(res.logs.join('\n')).not.toMatch(/URIError|stack/);
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when the token is one the API returned, then the next page is served (valid keys still pass)', async () => {
    expect((await send(push('1.1.0'))).status).toBe(202);
    await env.writeOut(); // what the releases' first wake-ups do
    const first = await getReleases('limit=1');
    expect(first.status).toBe(200);
    const next = first.body.continuationToken as string;
    expect(next).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await getReleases(`limit=1&continuationToken=${next}`);
    expect(second.status).toBe(200);
    expect((second.body.releases as unknown[]).length).toBe(1);
    // A token with a well-formed surrogate pair is a valid key, not refused.
    const pair = await getReleases(
      `continuationToken=${token({ nextPartitionKey: 'release', nextRowKey: '\u{1F600}' })}`,
    );
    expect(pair.status).toBe(200);
  });
});

describe('configuration problems are shown only to authenticated callers', () => {
  // A plain-http, non-loopback registry endpoint: the problem message names it.
  const INTERNAL = 'http://10.20.30.40:5000/eastus';
  const broken = () =>
    sendWith({ ROLLOUT_CONFIG: JSON.stringify(intakeRolloutConfig({ registryEndpoint: INTERNAL })) });

  it('when the config is broken and no Authorization header is sent, then 401 without details and nothing stored', async () => {
    const sendBroken = broken();
    const before = await env.storedCounts();
    for (const authorization of [null, 'Bearer wrong-secret-wrong-secret', 'Basic abc']) {
      const res = await sendBroken(push('2.0.0'), { region: 'eastus', authorization });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized', message: 'missing or invalid Authorization header' });
      expect(res.bodyText).not.toContain('10.20.30.40');
      expect(res.bodyText).not.toContain('ROLLOUT_CONFIG');
    }
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when the config is broken and the caller has the secret, then 500 naming the problem and nothing stored', async () => {
    const before = await env.storedCounts();
    const res = await broken()(push('2.0.0'), { region: 'eastus' });
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('configuration');
    expect(res.body.message).toContain('ROLLOUT_CONFIG.registry.endpoint: plain http:// is accepted only');
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when WEBHOOK_SECRETS itself is broken, then 401 without a bearer, 503 without details with one, the secret never shown', async () => {
    const sendBroken = sendWith({ WEBHOOK_SECRETS: 'tooShortSecret' });
    const before = await env.storedCounts();
    const anonymous = await sendBroken(push('2.0.0'), { authorization: null });
    expect(anonymous.status).toBe(401);
    const withBearer = await sendBroken(push('2.0.0'), { authorization: 'Bearer tooShortSecret' });
    expect(withBearer.status).toBe(503);
    expect(withBearer.body).toEqual({
      error: 'unavailable',
      message: 'webhooks cannot be authenticated until the app configuration is fixed (see the app logs)',
    });
    // The operator finds the problem in the logs, named but without the value.
    expect(withBearer.logs.join('\n')).toContain(
      'WEBHOOK_SECRETS: each secret must be at least 16 characters',
    );
    for (const text of [anonymous.bodyText, withBearer.bodyText, ...withBearer.logs])
      expect(text).not.toContain('tooShortSecret');
    expect(await env.storedCounts()).toEqual(before);
  });
});

describe('WEBHOOK_SECRETS with whitespace or non-printable characters', () => {
  const base = () => ({ ...env.settings });

  it.each([
    ['an inner space', 'intake-test secret-0001-abcdef'],
    ['an inner tab', 'intake-test\tsecret-0001-abcdef'],
    ['a trailing newline', 'intake-test-secret-0001-abcdef\n'],
    ['a non-ASCII letter', 'intake-test-sécret-0001-abcdef'],
    ['a non-breaking space', 'intake-test-secret-0001-abcdef\u00a0'],
    ['a control character', 'intake-test-secret-0001\u0007abcdef'],
  ])('when a secret contains %s, then config load refuses it without showing it', (_, bad) => {
    let error: unknown;
    try {
      parseConfig({ ...base(), WEBHOOK_SECRETS: `${WEBHOOK_SECRET},${bad}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'WEBHOOK_SECRETS: each secret must be printable ASCII without whitespace or control characters',
    ]);
    expect((error as ConfigError).message).not.toContain('abcdef');
    expect(JSON.stringify(error)).not.toContain(WEBHOOK_SECRET);
  });

  it('when the secrets are separated by ", ", then they load (spaces around commas are separators)', () => {
    const cfg = parseConfig({
      ...base(),
      WEBHOOK_SECRETS: ` ${WEBHOOK_SECRET} , intake-test-secret-0002-abc `,
    });
    expect(cfg.webhookSecrets).toEqual([WEBHOOK_SECRET, 'intake-test-secret-0002-abc']);
  });

  it('when such a secret is configured, then a webhook answers 503 without details and stores nothing', async () => {
    const sendBroken = sendWith({ WEBHOOK_SECRETS: 'intake-test secret-0001-abcdef' });
    const before = await env.storedCounts();
    const res = await sendBroken(push('3.0.0'), { authorization: 'Bearer intake-test' });
    expect(res.status).toBe(503);
    expect(res.bodyText).not.toContain('abcdef');
    expect(res.logs.join('\n')).toContain('WEBHOOK_SECRETS: each secret must be printable ASCII');
    expect(await env.storedCounts()).toEqual(before);
  });
});
