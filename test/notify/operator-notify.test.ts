// approval.required and action.performed end to end: ACR webhooks into the intake, timer runs
// (two at a time, overlapping) on Azurite, the operator use cases, and the real sender posting
// to loopback sinks in all three formats.
import { afterEach, describe, expect, it } from 'vitest';
import { approveWave, pauseRelease, resumeRelease } from '../../src/app/operator/release-gates';
import { liftHold, placeHold } from '../../src/app/operator/holds';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { listNotifications } from '../../src/app/status/notifications';
import { cardTexts, expectSlackBody, expectTeamsBody, slackTexts } from './shapes';
import { DIGEST, REGIONS, notifyWorld, startSink, type Sink } from './support';

const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
async function sink(): Promise<Sink> {
  const s = await startSink();
  sinks.push(s);
  return s;
}

type World = ReturnType<typeof notifyWorld>;
const WAVES = [
  { name: 'eastus', wave: 1 },
  { name: 'westeurope', wave: 2 },
  { name: 'southeastasia', wave: 2 },
];
const OPERATOR = 'alice@example.com';

const events = (s: Sink) =>
  s.received
    .map((r) => {
      const b = r.body as { event: string; region?: string; action?: { name: string } };
      return [b.event, b.action?.name, b.region].filter((x) => typeof x === 'string').join(' ');
    })
    .sort();

/** Overlapping timer runs, the clock moving, until `done` holds and nothing is left to send. */
async function runUntil(w: World, done: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 40; i++) {
    await Promise.all([
      reconcileAll(w.deps, w.log, { scan: false }),
      reconcileAll(w.deps, w.log, { scan: false }),
    ]);
    const rows = await w.store.listOutbox(REGIONS);
    if ((await done()) && rows.every((r) => r.status !== 'pending')) return;
    w.clock.advance(10);
  }
  throw new Error(`never reached: ${what}`);
}

async function releaseId(w: World): Promise<string> {
  const [active] = await w.store.listActiveReleases();
  if (!active) throw new Error('no active release');
  return active.releaseId;
}

async function waveTwoAwaiting(w: World, id: string): Promise<boolean> {
  const rollouts = await w.store.listRollouts(id, REGIONS);
  return rollouts.filter((r) => r.wave === 2).every((r) => r.state === 'awaiting-approval');
}

/** Each region runs the image once, the ledger says so, no (release, region) started twice. */
async function expectRolledOutOnce(w: World) {
  for (const region of REGIONS) {
    expect((await w.store.listLedger(region)).map((l) => l.digest)).toEqual([DIGEST]);
    expect(w.executor.started.filter((s) => s.region === region)).toHaveLength(1);
  }
  const pairs = w.executor.started.map((s) => `${s.releaseId}|${s.region}`);
  expect(new Set(pairs).size).toBe(pairs.length);
}

describe('operator notifications', () => {
  it('when a wave stops for approval and two operators approve at once, then approval.required and the approval go out once each, in every format', async () => {
    const json = await sink();
    const slack = await sink();
    const teams = await sink();
    const operatorEvents = ['approval.required', 'action.performed'];
    const w = notifyWorld(
      [
        { url: json.url, format: 'json' },
        { url: slack.url, format: 'slack', events: operatorEvents },
        { url: teams.url, format: 'teams', events: operatorEvents },
      ],
      { regions: WAVES, policy: { approvalWaves: [2] } },
    );
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    for (let i = 0; i < 2; i++) await w.push(undefined);
    const id = await releaseId(w);
    await runUntil(w, () => waveTwoAwaiting(w, id), 'wave 2 awaiting approval');
    // Both regions of wave 2 wait; one message per target asks for the wave's approval.
    expect(events(json)).toEqual(['approval.required', 'region.succeeded eastus']);
    expect(w.executor.started.map((s) => s.region)).toEqual(['eastus']);
    const ask = json.received.find((r) => r.body.event === 'approval.required')!.body;
    expect(ask).toMatchObject({
      version: 1,
      wave: 2,
      state: 'awaiting-approval',
      release: { id, repository: 'my-app', tag: '1.0.0', digest: DIGEST },
      link: `https://status.example/api/dashboard#release=${id}`,
    });
    expect(ask.region).toBeUndefined();
    expect(String(ask.reason)).toContain(`POST /api/releases/${id}/approve and body {"wave": 2}`);
    expect(String(ask.reason)).toContain('southeastasia, westeurope');

    const input = { actor: OPERATOR, reason: 'change CHG-42 approved' };
    const answers = await Promise.all([
      approveWave(w.deps, w.log, id, 2, input),
      approveWave(w.deps, w.log, id, 2, input),
    ]);
    expect(answers.map((a) => a.kind).sort()).toEqual(['conflict', 'ok']);
    await runUntil(w, async () => (await w.store.listActiveReleases()).length === 0, 'release done');
    await expectRolledOutOnce(w);

    expect(events(json)).toEqual([
      'action.performed approve',
      'approval.required',
      'region.succeeded eastus',
      'region.succeeded southeastasia',
      'region.succeeded westeurope',
      'release.completed',
    ]);
    const approved = json.received.find((r) => r.body.event === 'action.performed')!.body;
    expect(approved).toMatchObject({
      wave: 2,
      state: 'applied',
      reason: 'change CHG-42 approved',
      action: { name: 'approve', actor: OPERATOR },
      release: { id, digest: DIGEST },
    });
    // The approval's audit entry (one applied, one refused) and its one notification.
    const audit = (await w.store.listAudit({ limit: 10 })).entries;
    expect(audit.map((a) => a.outcome).sort()).toEqual([
      'applied',
      `refused: wave 2 of release ${id} is already approved`,
    ]);

    for (const s of [slack, teams]) expect(s.received.map((r) => r.body)).toHaveLength(2);
    for (const r of slack.received) expectSlackBody(r.body);
    const slackText = slack.received.map((r) => slackTexts(r.body)).join('\n');
    expect(slackText).toContain('my-app:1.0.0 wave 2 waits for approval');
    expect(slackText).toContain(`POST /api/releases/${id}/approve`);
    expect(slackText).toContain(`${OPERATOR}: approve of my-app:1.0.0 wave 2`);
    expect(slackText).toContain('Reason: change CHG-42 approved');
    const cards = teams.received.map((r) => cardTexts(expectTeamsBody(r.body))).join('\n');
    expect(cards).toContain('Wave: 2');
    expect(cards).toContain(`Actor: ${OPERATOR}`);
    expect(cards).toContain('State: awaiting-approval');
    expect(cards).toContain(`POST /api/releases/${id}/approve`);
  });

  it('when operators pause, resume, hold and unhold, then each applied action goes out once and holds skip repository-filtered targets', async () => {
    const all = await sink();
    const mine = await sink();
    const w = notifyWorld([
      { url: all.url, format: 'json', events: ['action.performed'] },
      { url: mine.url, format: 'json', events: ['action.performed'], repositories: ['my-app'] },
    ]);
    for (const region of REGIONS) w.registry.hold(region, 'my-app', DIGEST);
    await w.push(undefined);
    const id = await releaseId(w);
    const input = { actor: OPERATOR, reason: 'maintenance window' };
    expect((await pauseRelease(w.deps, w.log, id, input)).kind).toBe('ok');
    // Refused (already paused): audited, never notified.
    expect((await pauseRelease(w.deps, w.log, id, input)).kind).toBe('conflict');
    const held = await placeHold(w.deps, w.log, { region: 'westeurope' }, input);
    expect(held.kind).toBe('ok');
    expect((await resumeRelease(w.deps, w.log, id, input)).kind).toBe('ok');
    const holdId = (held as { body: { id: string } }).body.id;
    expect((await liftHold(w.deps, w.log, holdId, input)).kind).toBe('ok');
    await runUntil(w, async () => (await w.store.listActiveReleases()).length === 0, 'release done');
    await expectRolledOutOnce(w);

    expect(events(all)).toEqual([
      'action.performed hold westeurope',
      'action.performed pause',
      'action.performed resume',
      'action.performed unhold westeurope',
    ]);
    // A hold is region-wide: no release, so no repository for a filter to match.
    expect(events(mine)).toEqual(['action.performed pause', 'action.performed resume']);
    const hold = all.received.find((r) => (r.body.action as { name: string }).name === 'hold')!.body;
    expect(hold.release).toBeUndefined();
    expect(hold.link).toBeUndefined();
    expect(hold).toMatchObject({
      region: 'westeurope',
      action: { actor: OPERATOR },
      reason: 'maintenance window',
    });
    expect((await w.store.listAudit({ limit: 10 })).entries).toHaveLength(5);
    // One row per (audit entry, target); the status API shows who did what.
    const rows = await w.store.listOutbox(REGIONS);
    expect(rows.filter((r) => r.event.event === 'action.performed')).toHaveLength(6);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
    const { deliveries } = await listNotifications(w.deps, 100);
    const unhold = deliveries.find((d) => d.action === 'unhold' && d.targetHost === new URL(all.url).host)!;
    expect(unhold).toMatchObject({ event: 'action.performed', actor: OPERATOR, region: 'westeurope' });
    expect(unhold.releaseId).toBeUndefined();
    expect(deliveries.find((d) => d.action === 'pause')).toMatchObject({
      releaseId: id,
      repository: 'my-app',
    });
  });
});
