// approval.required derived from the real state machine's transition into awaiting-approval, and
// action.performed from an audit entry; each rendered in the three formats (shapes.ts).
import { describe, expect, it } from 'vitest';
import type { RegionRollout, RolloutPolicy } from '../../src/core/model/records';
import { actionEvent } from '../../src/core/notify/action-events';
import { transitionEvents } from '../../src/core/notify/transition-events';
import { jsonMessage, slackMessage, teamsMessage } from '../../src/core/notify/format';
import type { AuditEntry } from '../../src/core/operator/controls';
import { decide, type StepContext } from '../../src/core/rollout/region-rollout-machine';
import { cardTexts, expectSlackBody, expectTeamsBody, slackTexts } from './shapes';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const DIGEST = 'sha256:' + 'ab12'.repeat(16);
const PAGE = 'https://rollout.example.net/api/dashboard';
const release = {
  id: '8235000000000-0123456789ab',
  repository: 'team/my-app',
  tag: '1.4.0',
  digest: DIGEST,
  pushedAt: at(-100),
};
const policy: RolloutPolicy = {
  replicationTimeoutSeconds: 600,
  rolloutTimeoutSeconds: 120,
  bakeSeconds: 0,
  maxAttempts: 1,
  continueOnFailure: false,
  retryBaseSeconds: 10,
  replicaCheckIntervalSeconds: 5,
  rolloutPollIntervalSeconds: 5,
  approvalWaves: [2],
};
const ready = (region: string, wave = 2): RegionRollout => ({
  releaseId: release.id,
  region,
  wave,
  state: 'replica-ready',
  reason: 'replica ready',
  workloads: ['default/Deployment/my-app/my-app'],
  createdAt: at(-99),
  updatedAt: at(-50),
  replicaReadyAt: at(-50),
  attempts: 0,
  nextCheckAt: at(-1),
});
const ctx = (approvedWaves: number[] = []): StepContext => ({
  release: { id: release.id, pushedAt: release.pushedAt, approvedWaves },
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan: { pending: ['default/Deployment/my-app/my-app'], skipped: [], lockedBy: [] },
  random01: 0.5,
});

describe('approval.required', () => {
  it('when two regions of a wave enter awaiting-approval, then both derive one event: same key, same words', () => {
    const a = ready('westeurope');
    const b = ready('southeastasia');
    const first = decide(a, {}, ctx()).next;
    const second = decide(b, {}, ctx()).next;
    expect([first.state, second.state]).toEqual(['awaiting-approval', 'awaiting-approval']);
    // Both in the same run: each sees the other still replica-ready.
    const fromA = transitionEvents({ prev: a, next: first, release, others: [b, ready('eastus', 1)] });
    const fromB = transitionEvents({ prev: b, next: second, release, others: [a, ready('eastus', 1)] });
    expect(fromA).toHaveLength(1);
    expect(fromA[0]).toMatchObject({
      event: 'approval.required',
      wave: 2,
      state: 'awaiting-approval',
      dedupeKey: `approval.required|${release.id}|-|w2`,
    });
    expect(fromA[0]!.region).toBeUndefined();
    expect(fromA[0]!.reason).toBe(
      `wave 2 (southeastasia, westeurope) waits for an operator: approve with POST /api/releases/${release.id}/approve and body {"wave": 2}`,
    );
    expect(fromB.map((e) => [e.dedupeKey, e.reason])).toEqual(fromA.map((e) => [e.dedupeKey, e.reason]));
  });

  it('when a rollout stays awaiting approval, or its wave is approved already, then nothing is raised', () => {
    const waiting = decide(ready('westeurope'), {}, ctx()).next;
    const again = decide(waiting, {}, ctx()).next;
    expect(transitionEvents({ prev: waiting, next: again, release, others: [] })).toEqual([]);
    const approved = decide(ready('westeurope'), {}, ctx([2])).next;
    expect(approved.state).toBe('rolling-out');
    expect(transitionEvents({ prev: ready('westeurope'), next: approved, release, others: [] })).toEqual([]);
  });

  it('renders in every format with the wave, how to approve and the release link', () => {
    const [e] = transitionEvents({
      prev: ready('westeurope'),
      next: decide(ready('westeurope'), {}, ctx()).next,
      release,
      others: [],
    });
    const slack = slackMessage(e!, { statusPageUrl: PAGE });
    expectSlackBody(slack);
    const text = slackTexts(slack);
    expect(text).toContain('team/my-app:1.4.0 wave 2 waits for approval');
    expect(text).toContain(`POST /api/releases/${release.id}/approve and body {"wave": 2}`);
    expect(text).toContain(`<${PAGE}#release=${release.id}|Open the release on the status page>`);
    const card = expectTeamsBody(teamsMessage(e!, { statusPageUrl: PAGE }));
    expect(cardTexts(card)).toContain('Wave: 2');
    expect(cardTexts(card)).toContain('Digest: sha256:ab12ab12ab12');
    expect(jsonMessage(e!, { statusPageUrl: PAGE })).toMatchObject({
      version: 1,
      event: 'approval.required',
      wave: 2,
      release: { id: release.id, digest: DIGEST },
      link: `${PAGE}#release=${release.id}`,
    });
  });
});

describe('action.performed', () => {
  const approve: AuditEntry = {
    at: at(0),
    actor: 'alice@example.com',
    action: 'approve',
    releaseId: release.id,
    wave: 2,
    reason: 'CHG-42 <b>ok</b>',
    outcome: 'applied',
  };
  const hold: AuditEntry = {
    at: at(5),
    actor: 'bob',
    action: 'hold',
    region: 'westeurope',
    detail: 'default/Deployment/my-app/my-app',
    outcome: 'applied',
  };

  it('keys each event by its audit entry: two entries of the same action are two events', () => {
    const one = actionEvent(approve, '7764000000000-aaaaaaaaaaaa', release);
    const two = actionEvent(approve, '7764000000000-bbbbbbbbbbbb', release);
    expect(one.dedupeKey).toBe(`action.performed|${release.id}|-|7764000000000-aaaaaaaaaaaa`);
    expect(two.dedupeKey).not.toBe(one.dedupeKey);
  });

  it('renders an action on a release in every format: actor, action, wave, reason, link', () => {
    const e = actionEvent(approve, 'k1', release);
    const slack = slackMessage(e, { statusPageUrl: PAGE });
    expectSlackBody(slack);
    const text = slackTexts(slack);
    expect(text).toContain('alice@example.com: approve of team/my-app:1.4.0 wave 2');
    expect(text).toContain('Reason: CHG-42 &lt;b&gt;ok&lt;/b&gt;');
    expect(text).toContain('*Actor*\nalice@example.com');
    const card = cardTexts(expectTeamsBody(teamsMessage(e, { statusPageUrl: PAGE })));
    expect(card).toContain('Action: approve');
    expect(card).toContain('State: applied');
    expect(jsonMessage(e, { statusPageUrl: PAGE })).toEqual({
      version: 1,
      event: 'action.performed',
      at: at(0),
      release: { id: release.id, repository: 'team/my-app', tag: '1.4.0', digest: DIGEST },
      wave: 2,
      action: { name: 'approve', actor: 'alice@example.com' },
      state: 'applied',
      reason: 'CHG-42 <b>ok</b>',
      link: `${PAGE}#release=${release.id}`,
    });
  });

  it('renders a region-wide hold (no release) in every format, without release facts or link', () => {
    const e = actionEvent(hold, 'k2', undefined);
    const slack = slackMessage(e, { statusPageUrl: PAGE });
    expectSlackBody(slack);
    expect(slackTexts(slack)).toContain('bob: hold in westeurope');
    expect(slackTexts(slack)).not.toContain('Repository');
    const card = expectTeamsBody(teamsMessage(e, { statusPageUrl: PAGE }));
    expect(cardTexts(card)).toContain('Detail: default/Deployment/my-app/my-app');
    expect(card.actions).toBeUndefined();
    const json = jsonMessage(e, { statusPageUrl: PAGE });
    expect(json).toMatchObject({ event: 'action.performed', region: 'westeurope', state: 'applied' });
    expect(json.release).toBeUndefined();
    expect(json.link).toBeUndefined();
    expect(json.action).toEqual({ name: 'hold', actor: 'bob', detail: 'default/Deployment/my-app/my-app' });
  });
});
