// The webhook intake through its registered handler (with the error mapping), against Azurite.
// Each test gets its own table prefix, so what a test reads back is exactly what it caused.
import { beforeEach, describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { RELEASE_ID_PATTERN } from '../../src/core/intake/release-id';
import {
  DOC_DIGEST,
  MASKED_DOC_PAYLOADS,
  QUARANTINE_DOC_VERBATIM,
  acrTimestamp,
  argocdPushPayload,
  chartDeletePayload,
  chartPushPayload,
  dayOf,
  deletePayload,
  digestOf,
  digestOnlyPushPayload,
  minimalPingPayload,
  newEventId,
  pingPayload,
  pushPayload,
  quarantinePayload,
  type Payload,
} from '../support/acr-payloads';
import {
  HOME_REGION,
  REGIONS,
  ROTATED_SECRET,
  WEBHOOK_SECRET,
  setupIntakeEnv,
  type IntakeEnv,
} from '../support/intake-env';
import { sender, type Send, type Sent } from './support';
import { readDeliveries } from '../support/table-rows';

let env: IntakeEnv;
let send: Send;
beforeEach(() => {
  env = setupIntakeEnv();
  send = sender(env.resolveDeps);
});

const T0 = '2026-03-01T10:00:00.1234567Z';
const later = (iso: string, ms: number) => acrTimestamp(Date.parse(iso) + ms);

/** A push of a watched repository (my-app by default). */
function appPush(
  o: { tag?: string; digest?: string; id?: string; timestamp?: string; repository?: string } = {},
) {
  return pushPayload({
    repository: o.repository ?? 'my-app',
    tag: o.tag ?? '1.4.0',
    digest: o.digest ?? digestOf('my-app 1.4.0'),
    id: o.id ?? newEventId(),
    timestamp: o.timestamp ?? T0,
  });
}

const allReleases = async () => (await env.store.listReleases({ limit: 1000 })).releases;
const withTarget = (p: Payload, patch: Record<string, unknown>): Payload => ({
  ...p,
  target: { ...(p.target as Record<string, unknown>), ...patch },
});

function expectJsonError(res: Sent, status: number, error: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.error).toBe(error);
  expect(typeof res.body.message).toBe('string');
  expect(res.body.message!.length).toBeGreaterThan(10);
}

describe('documented payloads', () => {
  it('when a tagged push of a watched repository arrives from the home region, then one release waits for every replica and eastus counts as ready', async () => {
    const digest = digestOf('home push');
    const payload = appPush({ digest });
    const res = await send(payload, { region: HOME_REGION });

    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    expect(res.body.releases).toHaveLength(1);
    const id = res.body.releases![0]!;
    expect(id).toMatch(RELEASE_ID_PATTERN);

    await env.writeOut(); // what the release's first wake-up does
    const release = await env.store.getRelease(id);
    expect(release).toMatchObject({
      id,
      repository: 'my-app',
      tag: '1.4.0',
      digest,
      pushedAt: new Date(Date.parse(T0)).toISOString(),
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      source: 'webhook',
      announcedBy: HOME_REGION,
      status: 'active',
    });
    expect([...release!.regions].sort()).toEqual([...REGIONS].sort());

    const rollouts = await env.store.listRollouts(id, REGIONS);
    expect(rollouts.map((r) => [r.region, r.state, r.wave, r.workloads])).toEqual([
      ['eastus', 'waiting-for-replica', 0, ['default/Deployment/my-app/my-app']],
      ['westeurope', 'waiting-for-replica', 1, ['default/Deployment/my-app/my-app']],
      ['southeastasia', 'waiting-for-replica', 1, ['default/Deployment/my-app/my-app']],
    ]);
    expect((await env.store.listActiveReleases()).map((a) => a.releaseId)).toEqual([id]);

    const signals = await env.store.listSignals('my-app', digest);
    expect(signals.map((s) => [s.region, s.eventAt])).toEqual([[HOME_REGION, T0]]);

    const deliveries = await readDeliveries(env, dayOf(T0));
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      region: HOME_REGION,
      action: 'push',
      eventId: payload.id,
      repository: 'my-app',
      tag: '1.4.0',
      digest,
      outcome: 'recorded',
      releaseIds: [id],
    });
    expect(JSON.parse(deliveries[0]!.payload)).toEqual(payload);
    expect(deliveries[0]!.payload).not.toContain(WEBHOOK_SECRET);
  });

  it('when the real-world argocd capture (no useragent) arrives for a watched repository, then it is recorded', async () => {
    const res = await send(argocdPushPayload({ repository: 'my-app' }), { region: HOME_REGION });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    await env.writeOut(); // what the release's first wake-up does
    const release = await env.store.getRelease(res.body.releases![0]!);
    expect(release).toMatchObject({ repository: 'my-app', tag: 'test-v1', announcedBy: HOME_REGION });
  });

  it('when a far region announces a new push and the home registry cannot give its push time, then nothing is planned from it (the scan will), with the reason, and its readiness signal is kept', async () => {
    // The registry here is a closed port: the intake check gets no answer. A far region's event
    // may carry its landing time, so it must not order a new release (docs/choices.md "Same push
    // vs new push").
    const digest = digestOf('far region first');
    const res = await send(appPush({ tag: 'far-1', digest }), { region: 'westeurope' });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('ignored');
    expect(res.body.reason).toContain("the home registry's push time could not be read");
    expect(await env.store.getTagHead('my-app', 'far-1')).toBeUndefined();
    expect((await env.store.listSignals('my-app', digest)).map((s) => s.region)).toEqual(['westeurope']);
    // The home region's own delivery of it is planned (unverified: its event time is the push time).
    const home = await send(appPush({ tag: 'far-1', digest }), { region: HOME_REGION });
    expect(home.body.status).toBe('recorded');
    await env.writeOut(); // what the release's first wake-up does
    expect(await env.store.getRelease(home.body.releases![0]!)).toMatchObject({
      verification: 'unverified',
      announcedBy: HOME_REGION,
    });
    // Now the push is known: another far region's delivery of it joins that release.
    const far = await send(appPush({ tag: 'far-1', digest }), { region: 'southeastasia' });
    expect(far.body).toMatchObject({ status: 'recorded', releases: home.body.releases });
  });

  it('when a digest-only push (tag "") arrives, then it is ignored with a reason, logged as a delivery, and plans no release', async () => {
    const payload = digestOnlyPushPayload({ repository: 'my-app' });
    const res = await send(payload);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', releases: [] });
    expect(res.body.reason).toMatch(/digest-only/);

    const deliveries = await readDeliveries(env, dayOf(payload.timestamp as string));
    expect(deliveries.map((d) => [d.action, d.tag, d.outcome])).toEqual([['push', '', 'ignored']]);
    const counts = await env.storedCounts();
    expect(counts).toMatchObject({ releases: 0, regions: 0, heads: 0, signals: 0 });
  });

  it('when a digest-only push arrives on a regional URL, then the replica signal is kept but no release is planned', async () => {
    const payload = digestOnlyPushPayload({ repository: 'my-app' });
    const res = await send(payload, { region: 'southeastasia' });
    expect(res.status).toBe(202);
    expect(res.body.releases).toEqual([]);
    expect(res.body.reason).toMatch(/digest-only/);
    const signals = await env.store.listSignals('my-app', (payload.target as { digest: string }).digest);
    expect(signals.map((s) => s.region)).toEqual(['southeastasia']);
    expect(await allReleases()).toEqual([]);
  });

  it('when a push of a repository no workload watches arrives (the documented example), then it is ignored and only the delivery is logged', async () => {
    const payload = pushPayload();
    const res = await send(payload, { region: HOME_REGION });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', releases: [] });
    expect(res.body.reason).toContain('no workload watches hello-world:v1');
    const deliveries = await readDeliveries(env, '2017-11-17');
    expect(deliveries.map((d) => [d.repository, d.digest, d.outcome])).toEqual([
      ['hello-world', DOC_DIGEST, 'ignored'],
    ]);
    expect(await allReleases()).toEqual([]);
    expect(await env.store.getTagHead('hello-world', 'v1')).toBeUndefined();
  });

  it('when a push of a watched repository has a tag outside its patterns (team/api:latest, patterns v*), then it is ignored', async () => {
    const res = await send(appPush({ repository: 'team/api', tag: 'latest' }));
    expect(res.body).toMatchObject({ status: 'ignored', releases: [] });
    expect(res.body.reason).toContain('team/api:latest');
    expect(await allReleases()).toEqual([]);
  });

  const recordedOnly: Array<[string, () => Payload]> = [
    ['delete', () => deletePayload({ repository: 'my-app', digest: digestOf('del') })],
    ['quarantine', () => quarantinePayload({ repository: 'my-app', tag: '1.4.0' })],
    ['chart_push', () => chartPushPayload({ repository: 'my-app' })],
    ['chart_delete', () => chartDeletePayload({ repository: 'my-app' })],
  ];
  it.each(recordedOnly)(
    'when a documented %s event of a watched repository arrives, then it is logged as a delivery and ignored (no release, no signal)',
    async (action, build) => {
      const payload = build();
      const res = await send(payload, { region: 'westeurope' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        status: 'ignored',
        releases: [],
        reason: `${action} events are recorded only`,
      });
      const deliveries = await readDeliveries(env, dayOf(payload.timestamp as string));
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]).toMatchObject({
        action,
        region: 'westeurope',
        repository: 'my-app',
        outcome: 'ignored',
        releaseIds: [],
      });
      expect(await env.storedCounts()).toMatchObject({
        deliveries: 1,
        releases: 0,
        regions: 0,
        signals: 0,
        heads: 0,
      });
    },
  );

  it.each([
    ['the recommended ping (id, timestamp, action)', pingPayload(), undefined],
    ['the minimal {"action":"ping"}', minimalPingPayload(), undefined],
    ['a ping on a regional URL', pingPayload(), 'westeurope'],
  ])('when %s arrives, then it answers 200 and stores nothing', async (_name, payload, region) => {
    const res = await send(payload, region ? { region } : {});
    expect(res.status).toBe(200);
    expect(res.body.reason).toBe('ping');
    expect((await env.storedCounts()).total).toBe(0);
  });

  it('when a push arrives on POST /api/acr/events (no region), then it is recorded without a readiness signal', async () => {
    const digest = digestOf('no region');
    const res = await send(appPush({ digest }));
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    await env.writeOut(); // what the release's first wake-up does
    const release = await env.store.getRelease(res.body.releases![0]!);
    expect(release?.announcedBy).toBeUndefined();
    expect(await env.store.listSignals('my-app', digest)).toEqual([]);
    const rollouts = await env.store.listRollouts(release!.id, REGIONS);
    expect(rollouts.every((r) => r.state === 'waiting-for-replica')).toBe(true);
    const [delivery] = await readDeliveries(env, dayOf(T0));
    expect(delivery?.region).toBeUndefined();
  });

  it('when a push of the nested repository team/api arrives, then its release, head, signal and rollouts read back with the exact repository', async () => {
    const digest = digestOf('team/api v2.0.0');
    const res = await send(appPush({ repository: 'team/api', tag: 'v2.0.0', digest }), {
      region: HOME_REGION,
    });
    expect(res.body.status).toBe('recorded');
    const id = res.body.releases![0]!;
    await env.writeOut(); // what the release's first wake-up does
    expect(await env.store.getRelease(id)).toMatchObject({ repository: 'team/api', tag: 'v2.0.0', digest });
    expect(await env.store.getTagHead('team/api', 'v2.0.0')).toMatchObject({ digest, releaseId: id });
    expect((await env.store.listSignals('team/api', digest)).map((s) => s.region)).toEqual([HOME_REGION]);
    const rollouts = await env.store.listRollouts(id, REGIONS);
    expect(rollouts).toHaveLength(3);
    expect(rollouts.every((r) => r.workloads.join() === 'team/Deployment/api/api')).toBe(true);
    const [delivery] = await readDeliveries(env, dayOf(T0));
    expect(delivery?.repository).toBe('team/api');
    // A sibling repository must not alias the nested one through key encoding.
    expect(await env.store.getTagHead('team-api', 'v2.0.0')).toBeUndefined();
  });
});

describe('exactly once', () => {
  it('when the same delivery arrives twice, then the second answers duplicate with the same release and stores nothing more', async () => {
    const payload = appPush();
    const first = await send(payload, { region: HOME_REGION });
    const before = await env.storedCounts();
    const second = await send(payload, { region: HOME_REGION });
    expect(second.status).toBe(202);
    expect(second.body.status).toBe('duplicate');
    expect(second.body.releases).toEqual(first.body.releases);
    expect(await env.storedCounts()).toEqual(before);
  });

  it('when the same push arrives from eastus, westeurope and southeastasia, then there is one release and three readiness signals', async () => {
    const digest = digestOf('three regions');
    const answers = [];
    for (const [i, region] of REGIONS.entries())
      answers.push(await send(appPush({ digest, timestamp: later(T0, i * 1500) }), { region }));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    const ids = new Set(answers.flatMap((a) => a.body.releases ?? []));
    expect(ids.size).toBe(1);
    await env.writeOut(); // what the release's first wake-up does
    const releases = await allReleases();
    expect(releases.map((r) => r.id)).toEqual([...ids]);
    expect(releases[0]!.pushedAt).toBe(new Date(Date.parse(T0)).toISOString());
    expect((await env.store.listSignals('my-app', digest)).map((s) => s.region).sort()).toEqual(
      [...REGIONS].sort(),
    );
    expect((await env.storedCounts()).regions).toBe(3);
  });

  it('when 20 identical deliveries arrive in parallel, then exactly one release and one delivery record exist and 19 answers are duplicates', async () => {
    const payload = appPush();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => send(payload, { region: HOME_REGION })),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const ids = new Set(answers.map((a) => JSON.stringify(a.body.releases)));
    expect(ids.size).toBe(1);
    expect(answers[0]!.body.releases).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === 'recorded')).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === 'duplicate')).toHaveLength(19);
    await env.writeOut(); // what the release's first wake-up does
    expect(await allReleases()).toHaveLength(1);
    const counts = await env.storedCounts();
    expect(counts).toMatchObject({ deliveries: 1, signals: 1, regions: 3 });
  });

  it('when 20 regional deliveries of one push arrive in parallel across the three regions, then there is one release', async () => {
    const digest = digestOf('parallel regional');
    const perRegion = REGIONS.map((region, i) => ({
      region,
      payload: appPush({ digest, timestamp: later(T0, i * 700) }),
    }));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const { region, payload } = perRegion[i % 3]!;
        return send(payload, { region });
      }),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    // The home region's deliveries always name the release. The registry here cannot be asked, so
    // a far region's delivery processed before home's planned it names none (it cannot order a new
    // release: docs/choices.md "Same push vs new push"); one processed after joins the same release.
    const named = answers.filter((a) => (a.body.releases ?? []).length > 0);
    expect(new Set(named.map((a) => JSON.stringify(a.body.releases))).size).toBe(1);
    answers.forEach((a, i) => {
      if (perRegion[i % 3]!.region === HOME_REGION) expect(a.body.releases).toHaveLength(1);
      else if ((a.body.releases ?? []).length === 0)
        expect(a.body.reason).toMatch(/push time could not be read/);
    });
    await env.writeOut(); // what the release's first wake-up does
    expect(await allReleases()).toHaveLength(1);
    expect((await env.store.listSignals('my-app', digest)).map((s) => s.region).sort()).toEqual(
      [...REGIONS].sort(),
    );
    expect(await env.storedCounts()).toMatchObject({ deliveries: 3, regions: 3, signals: 3 });
  });
});

describe('ordering: newer wins, never a rollback', () => {
  const OLD = digestOf('stable old');
  const NEW = digestOf('stable new');
  const T_OLD = T0;
  const T_NEW = later(T0, 60_000);

  async function oldThenNew(): Promise<{ oldId: string; newId: string }> {
    const a = await send(appPush({ tag: 'stable', digest: OLD, timestamp: T_OLD }), { region: HOME_REGION });
    const b = await send(appPush({ tag: 'stable', digest: NEW, timestamp: T_NEW }), { region: HOME_REGION });
    await env.writeOut(); // what their first wake-ups do
    return { oldId: a.body.releases![0]!, newId: b.body.releases![0]! };
  }

  it('when a newer push of another digest arrives under the same tag, then it is a second release and the tag head moves to it', async () => {
    const { oldId, newId } = await oldThenNew();
    expect(newId).not.toBe(oldId);
    expect((await allReleases()).map((r) => r.id).sort()).toEqual([oldId, newId].sort());
    expect(await env.store.getRelease(newId)).toMatchObject({ digest: NEW, tag: 'stable' });
    expect(await env.store.getTagHead('my-app', 'stable')).toMatchObject({ digest: NEW, releaseId: newId });
  });

  it('when a late regional delivery of the old digest arrives after the newer push, then no release is created and the head stays on the new digest', async () => {
    const { oldId, newId } = await oldThenNew();
    const late = await send(appPush({ tag: 'stable', digest: OLD, timestamp: later(T_OLD, 3000) }), {
      region: 'westeurope',
    });
    expect(late.status).toBe(202);
    // The replica signal may point at the old release (for the record), never at a new one.
    expect(late.body.releases?.every((id) => id === oldId)).toBe(true);
    expect((await allReleases()).map((r) => r.id).sort()).toEqual([oldId, newId].sort());
    expect(await env.store.getTagHead('my-app', 'stable')).toMatchObject({ digest: NEW, releaseId: newId });
  });

  it('when a late delivery of an older digest arrives without a region, then it is ignored as older than the current release', async () => {
    const { newId } = await oldThenNew();
    const before = (await allReleases()).length;
    const late = await send(
      appPush({ tag: 'stable', digest: digestOf('never seen'), timestamp: later(T_OLD, 10) }),
    );
    expect(late.body).toMatchObject({ status: 'ignored', releases: [] });
    expect(late.body.reason).toContain(`older than the current release ${newId}`);
    expect(await allReleases()).toHaveLength(before);
    expect(await env.store.getTagHead('my-app', 'stable')).toMatchObject({ digest: NEW });
  });

  it('when an older digest is explicitly retagged later from the home region, then it is a new, newer release', async () => {
    const { oldId, newId } = await oldThenNew();
    const retag = await send(appPush({ tag: 'stable', digest: OLD, timestamp: later(T_NEW, 60_000) }), {
      region: HOME_REGION,
    });
    expect(retag.body.status).toBe('recorded');
    const retagId = retag.body.releases![0]!;
    expect([oldId, newId]).not.toContain(retagId);
    expect(await env.store.getTagHead('my-app', 'stable')).toMatchObject({ digest: OLD, releaseId: retagId });
  });
  it('when an older digest is retagged from the home region before its first release was written out, then it is still a new release (the pending record holds the first signal)', async () => {
    const a = await send(appPush({ tag: 'quick', digest: OLD, timestamp: T_OLD }), { region: HOME_REGION });
    const b = await send(appPush({ tag: 'quick', digest: NEW, timestamp: T_NEW }), { region: HOME_REGION });
    const retag = await send(appPush({ tag: 'quick', digest: OLD, timestamp: later(T_NEW, 60_000) }), {
      region: HOME_REGION,
    });
    expect(retag.body.status).toBe('recorded');
    expect([a.body.releases![0], b.body.releases![0]]).not.toContain(retag.body.releases![0]);
    expect(await env.store.getTagHead('my-app', 'quick')).toMatchObject({ digest: OLD });
    expect(await env.writeOut()).toBe(3);
  });

  it('when a far region first reports the older digest before any release was written out, then it is late replication, not a new release', async () => {
    const a = await send(appPush({ tag: 'lag', digest: OLD, timestamp: T_OLD }), { region: HOME_REGION });
    await send(appPush({ tag: 'lag', digest: NEW, timestamp: T_NEW }), { region: HOME_REGION });
    const late = await send(appPush({ tag: 'lag', digest: OLD, timestamp: later(T_NEW, 5000) }), {
      region: 'westeurope',
    });
    expect(late.status).toBe(202);
    expect(late.body.releases?.every((id) => id === a.body.releases![0])).toBe(true);
    expect(await env.store.getTagHead('my-app', 'lag')).toMatchObject({ digest: NEW });
    expect(await env.writeOut()).toBe(2);
  });

  // A push stamped in the future would pin its tag (releases are ordered by ACR's timestamp):
  // beyond the clock-skew allowance it is rejected, and later genuine pushes are unaffected.
  it('when a push stamped far in the future (year 2999) arrives, then it is rejected naming the timestamp and later pushes of the tag proceed', async () => {
    const before = await env.storedCounts();
    const future = await send(
      appPush({ tag: 'frozen', digest: digestOf('future'), timestamp: '2999-01-01T00:00:00Z' }),
      {
        region: HOME_REGION,
      },
    );
    expectJsonError(future, 400, 'invalid-event');
    expect(JSON.stringify(future.body)).toMatch(/timestamp: is \d+s in the future/);
    expect(await env.storedCounts()).toEqual(before);
    const genuine = await send(
      appPush({ tag: 'frozen', digest: digestOf('genuine'), timestamp: acrTimestamp() }),
      {
        region: HOME_REGION,
      },
    );
    expect(genuine.body.status).toBe('recorded');
    for (const id of genuine.body.releases ?? []) expect(id).toMatch(RELEASE_ID_PATTERN);
    expect(await env.store.getTagHead('my-app', 'frozen')).toMatchObject({ digest: digestOf('genuine') });
  });
});

describe('rejected input stores nothing', () => {
  /** Sends, asserts the error answer, and asserts that not one entity was written. */
  async function rejected(
    payload: unknown,
    opts: Parameters<typeof send>[1],
    status: number,
    error: string,
  ): Promise<Sent> {
    const before = await env.storedCounts();
    const res = await send(payload, opts);
    expectJsonError(res, status, error);
    expect(await env.storedCounts()).toEqual(before);
    return res;
  }

  it('when the Authorization header is missing, then 401', async () => {
    const res = await rejected(appPush(), { authorization: null, region: HOME_REGION }, 401, 'unauthorized');
    expect(res.body.message).toBe('missing or invalid Authorization header');
  });

  it('when the secret is wrong, then 401 and neither the answer nor the logs contain any secret', async () => {
    const wrong = 'wrong-secret-but-long-enough-123';
    const res = await rejected(
      appPush(),
      { authorization: `Bearer ${wrong}`, region: HOME_REGION },
      401,
      'unauthorized',
    );
    for (const text of [res.bodyText, ...res.logs]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(WEBHOOK_SECRET);
      expect(text).not.toContain(ROTATED_SECRET);
    }
  });

  it('when a secret is sent as Basic credentials, then 401', async () => {
    await rejected(appPush(), { authorization: `Basic ${WEBHOOK_SECRET}` }, 401, 'unauthorized');
    await rejected(
      appPush(),
      { authorization: `Basic ${Buffer.from(`acr:${WEBHOOK_SECRET}`).toString('base64')}` },
      401,
      'unauthorized',
    );
  });

  it('when the secret is a prefix or an extension of the configured one, then 401', async () => {
    await rejected(
      appPush(),
      { authorization: `Bearer ${WEBHOOK_SECRET.slice(0, -1)}` },
      401,
      'unauthorized',
    );
    await rejected(appPush(), { authorization: `Bearer ${WEBHOOK_SECRET}x` }, 401, 'unauthorized');
    await rejected(
      appPush(),
      { authorization: `Bearer ${WEBHOOK_SECRET} ${WEBHOOK_SECRET}` },
      401,
      'unauthorized',
    );
  });

  it('when an unauthenticated request names an unknown region, then 401 comes first and the configured regions are not disclosed', async () => {
    const res = await rejected(appPush(), { authorization: null, region: 'mars' }, 401, 'unauthorized');
    expect(res.bodyText).not.toContain('eastus');
  });

  it('when the second (rotated) secret is used, then the push is accepted and the logs never contain it', async () => {
    const res = await send(appPush(), { authorization: `Bearer ${ROTATED_SECRET}`, region: HOME_REGION });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    expect(res.logs.some((l) => l.includes('webhook.recorded'))).toBe(true);
    for (const line of res.logs) expect(line).not.toContain(ROTATED_SECRET);
  });

  it('when the body is not JSON, then 400 invalid-json', async () => {
    const res = await rejected('{"id": "x", "action": "push", ', {}, 400, 'invalid-json');
    expect(res.body.message).toMatch(/^the body is not valid JSON/);
  });

  it('when the body is a JSON array (the docker/distribution envelope style), then 400 naming the body', async () => {
    const res = await rejected([appPush()], {}, 400, 'invalid-event');
    expect(res.body.problems).toEqual([expect.stringMatching(/^body: must be one JSON object/)]);
    await rejected({ events: [appPush()] }, {}, 400, 'invalid-event');
  });

  it('when fields have the wrong types (size as string, digest as number), then 400 naming each field path', async () => {
    const res = await rejected(withTarget(appPush(), { size: '524', digest: 123 }), {}, 400, 'invalid-event');
    expect(res.body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^target\.size: /),
        expect.stringMatching(/^target\.digest: /),
      ]),
    );
  });

  it.each(Object.entries(MASKED_DOC_PAYLOADS))(
    'when the masked %s example of the current docs arrives (sha256:xxxx...), then 400 naming target.digest',
    async (_action, payload) => {
      const res = await rejected(payload, { region: HOME_REGION }, 400, 'invalid-event');
      expect(res.body.problems).toEqual([
        expect.stringMatching(/^target\.digest: must be sha256: followed by 64 lowercase hex/),
      ]);
    },
  );

  it('when the verbatim quarantine example (truncated digest sha256:91ef6) arrives, then 400 naming target.digest', async () => {
    const res = await rejected(QUARANTINE_DOC_VERBATIM, {}, 400, 'invalid-event');
    expect(res.body.problems).toEqual([expect.stringMatching(/^target\.digest: /)]);
  });

  it.each([
    ['an uppercase hex digest', `sha256:${'AB'.repeat(32)}`],
    ['a sha512 digest', `sha512:${'ab'.repeat(64)}`],
    ['a digest one hex digit short', `sha256:${'a'.repeat(63)}`],
    ['a digest with a trailing newline', `sha256:${'a'.repeat(64)}\n`],
  ])('when the push carries %s, then 400 naming target.digest', async (_name, digest) => {
    const res = await rejected(
      withTarget(appPush(), { digest }),
      { region: HOME_REGION },
      400,
      'invalid-event',
    );
    expect(res.body.problems).toEqual([expect.stringMatching(/^target\.digest: /)]);
  });

  const hostile = [
    'a;rm -rf /',
    '$(id)',
    '`id`',
    'my-app\nrm -rf /',
    '..',
    '../etc',
    'my-app:1.0',
    'my\u2010app', // U+2010 HYPHEN
    'my-\u0430pp', // Cyrillic a
    'MY-APP',
    'my-app ',
    "my-app' or '1'='1",
  ];
  it.each(hostile)('when the repository is %j, then 400 naming target.repository', async (repository) => {
    const res = await rejected(
      withTarget(appPush(), { repository }),
      { region: HOME_REGION },
      400,
      'invalid-event',
    );
    expect(res.body.problems).toEqual([
      expect.stringMatching(/^target\.repository: must follow the OCI repository grammar/),
    ]);
  });

  const hostileTags = [
    'a;rm -rf /',
    '$(id)',
    '`id`',
    '1.0\nrm -rf /',
    '..',
    '../etc',
    '-v1',
    'v1:2',
    'v1\u2024', // ONE DOT LEADER
    'x'.repeat(129),
  ];
  it.each(hostileTags)('when the tag is %j, then 400 naming target.tag', async (tag) => {
    const res = await rejected(withTarget(appPush(), { tag }), { region: HOME_REGION }, 400, 'invalid-event');
    expect(res.body.problems).toEqual([expect.stringMatching(/^target\.tag: /)]);
  });

  it('when the event id or timestamp is hostile, then 400 naming id and timestamp', async () => {
    const res = await rejected(
      { ...appPush(), id: '$(id)', timestamp: 'yesterday; rm -rf /' },
      {},
      400,
      'invalid-event',
    );
    expect(res.body.problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^id: /), expect.stringMatching(/^timestamp: /)]),
    );
  });

  const oversize = () => ({ ...appPush(), padding: 'x'.repeat(65 * 1024) });
  it('when the body exceeds 64 KiB (declared Content-Length), then 413', async () => {
    const res = await rejected(oversize(), { region: HOME_REGION }, 413, 'payload-too-large');
    expect(res.body.message).toContain('65536');
  });

  it('when the body exceeds 64 KiB without a Content-Length header, then 413', async () => {
    await rejected(oversize(), { region: HOME_REGION, contentLength: null }, 413, 'payload-too-large');
  });

  it('when an oversize body comes without the secret, then 401 (authentication comes first)', async () => {
    await rejected(oversize(), { region: HOME_REGION, authorization: null }, 401, 'unauthorized');
  });

  it('when a body just under 64 KiB arrives, then it is accepted and the audit log keeps its first 60,000 characters', async () => {
    const base = JSON.stringify(appPush());
    const payload = { ...appPush(), padding: 'x'.repeat(64 * 1024 - base.length - 20) };
    const res = await send(payload);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('recorded');
    const [delivery] = await readDeliveries(env, dayOf(T0));
    expect(delivery!.payload).toBe(JSON.stringify(payload).slice(0, 60_000));
  });

  it('when a large body of multi-byte characters arrives, then the audit log reads it back exactly', async () => {
    // 15,001 emoji: 30,002 UTF-16 units, so a 30,000-unit chunk boundary falls inside a pair.
    const payload = { ...appPush(), note: '\u{1F680}'.repeat(15_001) };
    const high = JSON.stringify(payload).charCodeAt(29_999);
    expect(high >= 0xd800 && high <= 0xdbff).toBe(true); // the fixture does split a pair
    const res = await send(payload);
    expect(res.status).toBe(202);
    const [delivery] = await readDeliveries(env, dayOf(T0));
    expect(JSON.parse(delivery!.payload)).toEqual(payload);
  });

  it('when the region is not configured (mars), then 404 naming it and the configured regions', async () => {
    const res = await rejected(appPush(), { region: 'mars' }, 404, 'unknown-region');
    expect(res.body.message).toBe(
      'region mars is not configured (configured: eastus, westeurope, southeastasia)',
    );
  });

  it.each(['eastus;rm -rf /', '$(id)', '../eastus', 'EastUS', 'east us', 'eastus\n'])(
    'when the region segment is %j, then 404 and the value is shown quoted',
    async (region) => {
      const res = await rejected(appPush(), { region }, 404, 'unknown-region');
      expect(res.body.message).toContain(`region ${JSON.stringify(region)} is not configured`);
    },
  );

  it('when the action is unknown, then 400 naming the allowed actions', async () => {
    const res = await rejected({ ...appPush(), action: 'tag_delete' }, {}, 400, 'invalid-event');
    expect(res.body.problems).toEqual([
      'action: must be one of push, delete, quarantine, chart_push, chart_delete, ping (got "tag_delete")',
    ]);
    await rejected({ ...appPush(), action: undefined }, {}, 400, 'invalid-event');
  });

  it('when the target is missing, then 400 naming target', async () => {
    const { target: _target, ...noTarget } = appPush();
    const res = await rejected(noTarget, {}, 400, 'invalid-event');
    expect(res.body.problems).toEqual([expect.stringMatching(/^target: /)]);
  });

  it('when the body is empty, then 400 invalid-json', async () => {
    await rejected('', {}, 400, 'invalid-json');
  });
});

describe('configuration errors at the edge', () => {
  it('when the settings are invalid, then the handler answers an authenticated caller 500 naming the setting and stores nothing', async () => {
    const bad = { ...env.settings, RECONCILE_CONCURRENCY: '9999' };
    const res = await sender(() => appDeps(bad))(appPush());
    expectJsonError(res, 500, 'configuration');
    expect(res.body.message).toContain('RECONCILE_CONCURRENCY');
    expect(res.bodyText).not.toContain(WEBHOOK_SECRET);
    expect(res.logs.join('\n')).not.toContain(WEBHOOK_SECRET);
    expect((await env.storedCounts()).total).toBe(0);
  });
});
