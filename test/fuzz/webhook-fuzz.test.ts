// Fuzzing the webhook over real HTTP: the local host serving the real registrations on
// 127.0.0.1, backed by the shared Azurite, hit by fast-check-generated and mutated requests at
// concurrency 16 over keep-alive connections (>= 10,000 requests). Invariants: no 5xx, no
// crash, no hang (every answer within 5 s), nothing stored for anything rejected, and the app
// still records a valid webhook afterwards.
import http from 'node:http';
import fc from 'fast-check';
import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalHost, type LocalHost } from '../../dev/local-host';
import { digestOf, newEventId, pushPayload } from '../support/acr-payloads';
import { WEBHOOK_SECRET, bearer, setupIntakeEnv, type IntakeEnv } from '../support/intake-env';
import { readDeliveries } from '../support/table-rows';

const SEED = 20260402;
const CONCURRENCY = 16;
const BUDGET_MS = 5000;
const MUST_REJECT_RUNS = 7000;
const MUTATED_RUNS = 3200;

interface FuzzRequest {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
interface Answer {
  status: number;
  ms: number;
  error?: string;
}

// ---- generators ----------------------------------------------------------------------------

const INJECTIONS = [
  "'; DROP TABLE releases; --",
  '$(rm -rf /)',
  '`id`',
  '../../etc/passwd',
  "PartitionKey eq 'active' or 1 eq 1",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u0000',
  'a\nb',
  '%00',
  '{{7*7}}',
];

/** Header values Node will send: printable ASCII and latin-1, no CR/LF. */
const headerText = fc
  .string({ maxLength: 300, unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)) })
  .filter((s) => !/[\x7f]/.test(s));
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200, unit: 'grapheme' }),
  fc.string({ maxLength: 50, unit: 'binary' }),
  fc.constantFrom(...INJECTIONS),
);
const hugeText = fc
  .tuple(fc.constantFrom('a', 'ü', '𝔘', '\u202e', '0'), fc.integer({ min: 1000, max: 200_000 }))
  .map(([c, n]) => c.repeat(n));
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { maxKeys: 5 }),
);
const invalidDigest = fc.oneof(
  fc.constantFrom('sha256:', 'sha256:xyz', `sha512:${'a'.repeat(128)}`, `SHA256:${'a'.repeat(64)}`),
  fc.stringMatching(/^sha256:[0-9a-f]{0,63}$/),
  fc.stringMatching(/^sha256:[0-9a-f]{65,80}$/),
  fc.stringMatching(/^sha256:[0-9A-F]{64}$/).filter((s) => /[A-F]/.test(s)),
  anyText.filter((s) => !/^sha256:[a-f0-9]{64}$/.test(s)),
);
const invalidRepository = fc.oneof(
  fc.constantFrom('', 'My-App', 'my app', '/my-app', 'my-app/', 'my--', 'a//b', '-x', 'x'.repeat(300)),
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => /[^a-z0-9._/-]/.test(s)),
);
const invalidTag = fc.oneof(
  fc.constantFrom('.hidden', '-x', 'a b', 't'.repeat(129), 'tag:1', 'tag@x'),
  fc.constantFrom(...INJECTIONS.filter((s) => s !== '')),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => /[^A-Za-z0-9_.-]/.test(s)),
);
const invalidEventId = fc.oneof(
  fc.constantFrom('', 'x'.repeat(129), 'a b', 'id;rm'),
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => /[^A-Za-z0-9_-]/.test(s)),
);
const invalidTimestamp = fc.oneof(
  fc.constantFrom('', 'yesterday', '2026-13-45T99:99:99Z', '2026-04-01', '2026-04-01T08:00:00'),
  anyText.filter((s) => !/^\d{4}-\d{2}-\d{2}T/.test(s)),
);
const unknownAction = fc
  .oneof(fc.constantFrom('PUSH', 'pull', 'Push', 'delete ', ''), anyText)
  .filter((a) => !['push', 'delete', 'quarantine', 'chart_push', 'chart_delete', 'ping'].includes(a));

const validPush = fc
  .record({
    repository: fc.constantFrom('my-app', 'team/api', 'other/repo'),
    tag: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,12}$/),
    seed: fc.string({ maxLength: 12 }),
  })
  .map(({ repository, tag, seed }) =>
    pushPayload({ repository, tag, digest: digestOf(`fuzz ${seed}`), id: newEventId() }),
  );

type Json = Record<string, unknown>;
/** Copies only along the path (a deep value elsewhere is shared, never cloned). */
const setPath = (obj: Json, path: string[], value: unknown): Json => {
  const [head, ...rest] = path;
  if (head === undefined) return obj;
  const child = obj[head];
  const inner = typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Json) : {};
  return { ...obj, [head]: rest.length === 0 ? value : setPath(inner, rest, value) };
};
const dropPath = (obj: Json, path: string[]): Json => {
  const [head, ...rest] = path;
  if (head === undefined) return obj;
  if (rest.length === 0) {
    const { [head]: _dropped, ...others } = obj;
    return others;
  }
  const child = obj[head];
  return typeof child === 'object' && child !== null
    ? { ...obj, [head]: dropPath(child as Json, rest) }
    : obj;
};

/** A mutation that makes any push invalid. */
const breaking: fc.Arbitrary<(p: Json) => Json> = fc.oneof(
  wrongType.map((v) => (p: Json) => setPath(p, ['id'], v)),
  invalidEventId.map((v) => (p: Json) => setPath(p, ['id'], v)),
  invalidTimestamp.map((v) => (p: Json) => setPath(p, ['timestamp'], v)),
  fc.oneof(wrongType, unknownAction).map((v) => (p: Json) => setPath(p, ['action'], v)),
  fc.oneof(wrongType, invalidDigest).map((v) => (p: Json) => setPath(p, ['target', 'digest'], v)),
  fc.oneof(wrongType, invalidRepository).map((v) => (p: Json) => setPath(p, ['target', 'repository'], v)),
  fc
    .oneof(
      wrongType.filter((v) => v !== null),
      invalidTag,
    )
    .map((v) => (p: Json) => setPath(p, ['target', 'tag'], v)),
  fc.oneof(wrongType, anyText).map((v) => (p: Json) => setPath(p, ['target'], v)),
  fc
    .constantFrom<string[]>(
      ['id'],
      ['timestamp'],
      ['action'],
      ['target'],
      ['target', 'digest'],
      ['target', 'repository'],
    )
    .map((path) => (p: Json) => dropPath(p, path)),
  fc.integer({ min: -5, max: -1 }).map((v) => (p: Json) => setPath(p, ['target', 'size'], v)),
  hugeText.map((v) => (p: Json) => setPath(p, ['target', 'repository'], v)),
);

/** A mutation that may or may not keep the push valid. */
const anyMutation: fc.Arbitrary<(p: Json) => Json> = fc.oneof(
  breaking,
  fc.tuple(fc.string({ maxLength: 20, unit: 'grapheme' }), fc.anything()).map(
    ([k, v]) =>
      (p: Json) =>
        setPath(p, [k || 'x'], v),
  ),
  fc.integer({ min: 1, max: 1500 }).map((depth) => (p: Json) => {
    let v: unknown = 'bottom';
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
    return setPath(p, ['nested'], v);
  }),
  fc.oneof(anyText, hugeText).map((v) => (p: Json) => setPath(p, ['request', 'useragent'], v)),
  fc.oneof(anyText, wrongType).map((v) => (p: Json) => setPath(p, ['target', 'mediaType'], v)),
  fc.constantFrom('', 'latest', 'v1', 'v1.2.3').map((t) => (p: Json) => setPath(p, ['target', 'tag'], t)),
  fc
    .constantFrom('ping', 'delete', 'quarantine', 'chart_push')
    .map((a) => (p: Json) => setPath(p, ['action'], a)),
  fc
    .date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
    .map((d) => (p: Json) => setPath(p, ['timestamp'], d.toISOString())),
);

const contentType = fc.oneof(
  fc.constant('application/json'),
  fc.constantFrom(
    'text/plain',
    'application/xml',
    'multipart/form-data; boundary=x',
    '',
    'application/json; charset=utf-16',
  ),
  headerText,
);
const region = fc.oneof(
  fc.constant(''),
  fc.constantFrom('eastus', 'westeurope', 'southeastasia'),
  fc.constantFrom('EastUS', 'westus9', '..', 'eastus%2F..'),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
);
const pathFor = (r: string) => (r === '' ? '/api/acr/events' : `/api/acr/events/${encodeURIComponent(r)}`);
const oddAuthorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Token ${WEBHOOK_SECRET}`, WEBHOOK_SECRET),
  fc.constant(`Bearer ${WEBHOOK_SECRET}x`),
  fc.constant(`Bearer ${WEBHOOK_SECRET.toUpperCase()}`),
  headerText.filter((s) => !s.includes(WEBHOOK_SECRET)),
  headerText.map((s) => `Bearer ${s}`).filter((s) => !s.includes(WEBHOOK_SECRET)),
);

const bytesOf = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');

/** Requests that must be rejected whatever else they carry. */
const mustReject: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // A valid push with a wrong or missing Authorization.
  fc
    .record({ p: validPush, auth: oddAuthorization, ct: contentType, r: region })
    .map(({ p, auth, ct, r }) => ({
      kind: 'bad-auth',
      path: pathFor(r),
      headers: { 'content-type': ct, ...(auth === undefined ? {} : { authorization: auth }) },
      body: bytesOf(p),
    })),
  // Not JSON at all: random bytes, text, truncated JSON.
  fc
    .oneof(
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      anyText.map((s) => Buffer.from(s, 'utf8')),
      validPush.chain((p) =>
        fc
          .nat({ max: JSON.stringify(p).length - 2 })
          .map((n) => Buffer.from(JSON.stringify(p).slice(0, n + 1))),
      ),
    )
    .filter((b) => {
      try {
        JSON.parse(b.toString('utf8'));
        return false;
      } catch {
        return true;
      }
    })
    .chain((body) =>
      contentType.map((ct) => ({
        kind: 'not-json',
        path: pathFor(''),
        headers: { 'content-type': ct, authorization: bearer() },
        body,
      })),
    ),
  // JSON of the wrong shape: a valid push broken by 1-3 mutations, deep nesting, bare values.
  fc
    .tuple(validPush, fc.array(breaking, { minLength: 1, maxLength: 3 }), contentType)
    .map(([p, muts, ct]) => ({
      kind: 'invalid-event',
      path: pathFor(''),
      headers: { 'content-type': ct, authorization: bearer() },
      body: bytesOf(muts.reduce((acc, m) => m(acc), p)),
    })),
  fc.integer({ min: 100, max: 5000 }).map((depth) => ({
    kind: 'deep-nesting',
    path: pathFor(''),
    headers: { 'content-type': 'application/json', authorization: bearer() },
    body: Buffer.from('['.repeat(depth) + ']'.repeat(depth)),
  })),
  fc.oneof(wrongType, anyText).map((v) => ({
    kind: 'bare-value',
    path: pathFor(''),
    headers: { 'content-type': 'application/json', authorization: bearer() },
    body: bytesOf(v),
  })),
  // Too large: over the webhook's 64 KiB (and sometimes over the host's 1 MiB).
  fc.integer({ min: 65 * 1024, max: 1100 * 1024 }).map((n) => ({
    kind: 'too-large',
    path: pathFor(''),
    headers: { 'content-type': 'application/json', authorization: bearer() },
    body: Buffer.from(JSON.stringify({ ...pushPayload({ id: newEventId() }), pad: 'x'.repeat(n) })),
  })),
  // A valid push to a region that is not configured.
  fc
    .tuple(validPush, fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }))
    // '.' and '..' are dot segments: the URL resolves them away, so they are no region at all.
    .filter(([, r]) => !['eastus', 'westeurope', 'southeastasia', '.', '..'].includes(r))
    .map(([p, r]) => ({
      kind: 'unknown-region',
      path: pathFor(r),
      headers: { 'content-type': 'application/json', authorization: bearer() },
      body: bytesOf(p),
    })),
);

/** Mutated pushes with a valid Authorization: some valid, most not. */
const mutated: fc.Arbitrary<FuzzRequest & { eventId: unknown }> = fc
  .tuple(validPush, fc.array(anyMutation, { minLength: 0, maxLength: 3 }), contentType, region)
  .map(([p, muts, ct, r]) => {
    const payload = muts.reduce((acc, m) => m(acc), p);
    return {
      kind: 'mutated',
      path: pathFor(r),
      headers: { 'content-type': ct, authorization: bearer() },
      body: bytesOf(payload),
      eventId: payload.id,
    };
  });

// ---- the client --------------------------------------------------------------------------

async function sendAll<T extends FuzzRequest>(
  host: LocalHost,
  agent: http.Agent,
  requests: T[],
): Promise<Array<{ req: T; answer: Answer }>> {
  const out: Array<{ req: T; answer: Answer }> = [];
  let next = 0;
  const one = (req: FuzzRequest) =>
    new Promise<Answer>((resolve) => {
      const started = performance.now();
      const r = http.request(
        {
          host: '127.0.0.1',
          port: host.port,
          method: 'POST',
          path: req.path,
          agent,
          headers: { ...req.headers, 'content-length': String(req.body.length) },
          timeout: BUDGET_MS * 2,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
          res.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, error: e.message }));
        },
      );
      r.on('timeout', () => r.destroy(new Error('no answer (timeout)')));
      r.on('error', (e) => resolve({ status: 0, ms: performance.now() - started, error: e.message }));
      r.end(req.body);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) {
        const req = requests[next++]!;
        out.push({ req, answer: await one(req) });
      }
    }),
  );
  return out;
}

function describeFailure(req: FuzzRequest, answer: Answer): string {
  const body = req.body.toString('utf8');
  return `${req.kind} POST ${req.path} -> ${answer.status} in ${answer.ms.toFixed(0)} ms ${answer.error ?? ''}\nheaders ${JSON.stringify(req.headers).slice(0, 300)}\nbody (${req.body.length} bytes) ${JSON.stringify(body.slice(0, 300))}`;
}

describe('webhook fuzzing over HTTP', () => {
  let env: IntakeEnv;
  let host: LocalHost;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const errors: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    env = setupIntakeEnv();
    host = await startLocalHost({
      port: 0,
      settings: env.settings,
      // The webhook under fuzz, alone: no timer and no queue consumer reconciling thousands of
      // fuzzed releases on the same cores (each accepted push still sends its wake-up).
      timers: false,
      queues: false,
      logRequests: false,
      log: (level, message) => {
        if (level === 'error') errors.push(message);
      },
    });
  });

  afterAll(async () => {
    agent.destroy();
    await host?.stop();
  });

  it('when requests are invalid by construction, then each is a 4xx within the budget and nothing is stored', async () => {
    // One tiny valid webhook first, so every table exists and the counts are real.
    const warm = await sendAll(host, agent, [
      {
        kind: 'warm-up',
        path: pathFor('eastus'),
        headers: { 'content-type': 'application/json', authorization: bearer() },
        body: bytesOf(
          pushPayload({ id: newEventId(), repository: 'my-app', tag: 'warm', digest: digestOf('warm') }),
        ),
      },
    ]);
    expect(warm[0]!.answer.status).toBe(202);
    const samples = fc.sample(mustReject, { numRuns: MUST_REJECT_RUNS, seed: SEED });
    const BATCH = 1000;
    for (let i = 0; i < samples.length; i += BATCH) {
      const before = await env.storedCounts();
      const results = await sendAll(host, agent, samples.slice(i, i + BATCH));
      sent += results.length;
      const after = await env.storedCounts();
      const bad = results.filter(
        ({ answer }) =>
          answer.error !== undefined || answer.status < 400 || answer.status >= 500 || answer.ms > BUDGET_MS,
      );
      expect(bad.slice(0, 5).map(({ req, answer }) => describeFailure(req, answer))).toEqual([]);
      expect(after, 'a rejected batch changed what is stored').toEqual(before);
    }
    expect(errors).toEqual([]);
  }, 300_000); // a count of requests, not a speed: generous for a loaded 2-core machine

  it('when pushes are mutated at random, then there is never a 5xx or a hang, and only accepted ones are stored', async () => {
    const samples = fc.sample(mutated, { numRuns: MUTATED_RUNS, seed: SEED + 1 });
    const results = await sendAll(host, agent, samples);
    sent += results.length;
    const bad = results.filter(
      ({ answer }) =>
        answer.error !== undefined || answer.status >= 500 || answer.status === 0 || answer.ms > BUDGET_MS,
    );
    expect(bad.slice(0, 5).map(({ req, answer }) => describeFailure(req, answer))).toEqual([]);
    const accepted = new Set(
      results
        .filter(({ answer }) => answer.status >= 200 && answer.status < 300)
        .map(({ req }) => req.eventId),
    );
    // Every stored delivery belongs to an accepted request (the warm-up's id is a fresh one too).
    const deliveries = TableClient.fromConnectionString(env.connectionString, `${env.prefix}deliveries`, {
      allowInsecureConnection: true,
    });
    const strays: string[] = [];
    for await (const e of deliveries.listEntities<{ eventId?: string; payload0?: string }>()) {
      if (accepted.has(e.eventId)) continue;
      if (typeof e.payload0 === 'string' && e.payload0.includes('"warm"')) continue;
      strays.push(`${e.eventId ?? '?'}: ${String(e.payload0).slice(0, 200)}`);
    }
    expect(strays).toEqual([]);
    expect(errors).toEqual([]);
  }, 300_000); // a count of requests, not a speed: generous for a loaded 2-core machine

  it('afterwards, then a valid webhook is still recorded (202) and the run sent at least 10,000 requests', async () => {
    const payload = pushPayload({
      id: newEventId(),
      repository: 'my-app',
      tag: 'after-fuzz',
      digest: digestOf('after'),
    });
    const res = await fetch(`${host.url}/api/acr/events/eastus`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer() },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(BUDGET_MS),
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status?: string }).status).toBe('recorded');
    const stored = await readDeliveries(env, String(payload.timestamp).slice(0, 10));
    expect(stored.some((d) => d.eventId === payload.id && d.region === 'eastus')).toBe(true);
    expect(sent).toBeGreaterThanOrEqual(10_000);
  });
});
