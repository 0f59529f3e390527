// In the pure core: the ledger's failed flag, the revert step of
// onFailure 'revert', and an older pending release waiting for a newer one pending in its region.
import { describe, expect, it } from 'vitest';
import { ledgerChanges } from '../../src/core/rollout/ledger';
import type { LastGood, LedgerEntry, RegionRollout, RolloutPolicy } from '../../src/core/model/records';
import { afterRevert, decide, type StepContext } from '../../src/core/rollout/region-rollout-machine';
import type { ActiveReleaseEntry } from '../../src/core/model/store';
import { newerReleasesToRead, planWorkloads } from '../../src/core/rollout/supersession';

const NOW = new Date('2026-11-27T10:00:00.000Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString();
const W = 'default/Deployment/my-app/my-app';
const policy: RolloutPolicy = {
  replicationTimeoutSeconds: 600,
  rolloutTimeoutSeconds: 120,
  bakeSeconds: 0,
  maxAttempts: 1,
  continueOnFailure: false,
  retryBaseSeconds: 10,
  replicaCheckIntervalSeconds: 5,
  rolloutPollIntervalSeconds: 5,
};
const release = {
  id: '8204000000000-bbbbbbbbbbbb',
  repository: 'my-app',
  tag: 'bad-1',
  digest: 'sha256:' + 'b'.repeat(64),
  pushedAt: at(-60),
};
const good: LastGood = {
  releaseId: '8204000000100-aaaaaaaaaaaa',
  tag: '1.2.0',
  digest: 'sha256:' + 'a'.repeat(64),
  pushedAt: at(-600),
};
const rollout = (o: Partial<RegionRollout> = {}): RegionRollout => ({
  releaseId: release.id,
  region: 'eastus',
  wave: 0,
  state: 'rolling-out',
  reason: '',
  workloads: [W],
  createdAt: at(-60),
  updatedAt: at(-30),
  attempts: 1,
  attemptStartedAt: at(-20),
  handle: { value: 'cmd-1', commandId: 'cmd-1' },
  nextCheckAt: at(-1),
  ...o,
});
const ctx = (o: Partial<StepContext> = {}): StepContext => ({
  release,
  policy,
  now: NOW,
  gate: { kind: 'open' },
  plan: { pending: [W], skipped: [], lockedBy: [] },
  random01: 0.5,
  ...o,
});
const locked: LedgerEntry = {
  region: 'eastus',
  workload: W,
  repository: 'my-app',
  digest: good.digest,
  tag: good.tag,
  releaseId: good.releaseId,
  pushedAt: good.pushedAt,
  updatedAt: at(-600),
  inFlightReleaseId: release.id,
  inFlightPushedAt: release.pushedAt,
  etag: 'e1',
};
const crashed = { status: { kind: 'failed' as const, reason: 'CrashLoopBackOff', transient: false } };

describe('the ledger after a failed attempt', () => {
  it('when an attempt whose command ran fails for good, then the entry keeps the last good release, marks status failed with the failed digest, and drops the lock', () => {
    const prev = rollout();
    const next = decide(prev, crashed, ctx()).next;
    expect(next.state).toBe('failed');
    const [l] = ledgerChanges(prev, next, release, [locked], NOW);
    expect(l).toMatchObject({ digest: good.digest, releaseId: good.releaseId, status: 'failed', etag: 'e1' });
    expect(l!.failed).toEqual({
      releaseId: release.id,
      tag: 'bad-1',
      digest: release.digest,
      at: NOW.toISOString(),
      reason: expect.stringContaining('CrashLoopBackOff'),
    });
    expect(l!.inFlightReleaseId).toBeUndefined();
  });

  it('when the command pod never ran the script (not scheduled), then nothing is marked failed, so the retry fences on the last good release', () => {
    const notRun = {
      status: {
        kind: 'failed' as const,
        reason: 'Run Command failed: command pod was not scheduled within 60 seconds',
        transient: true,
        notRun: true as const,
      },
    };
    for (const maxAttempts of [1, 3]) {
      const prev = rollout();
      const d = decide(prev, notRun, ctx({ policy: { ...policy, maxAttempts } }));
      expect(d.next.state).toBe(maxAttempts === 1 ? 'failed' : 'replica-ready');
      expect(d.specUnchanged).toBe(true);
      const [l] = ledgerChanges(prev, d.next, release, [locked], NOW, d.specUnchanged);
      expect(l).toMatchObject({ digest: good.digest, releaseId: good.releaseId });
      expect(l!.status).toBeUndefined();
      expect(l!.failed).toBeUndefined();
      expect(l!.inFlightReleaseId).toBeUndefined();
    }
    // A transient failure after the change applied (a rollout that timed out) still marks it.
    const timedOut = { status: { kind: 'failed' as const, reason: 'did not finish', transient: true } };
    const d = decide(rollout(), timedOut, ctx());
    expect(d.specUnchanged).toBeUndefined();
    expect(ledgerChanges(rollout(), d.next, release, [locked], NOW)[0]!.status).toBe('failed');
  });

  it('when a start is refused before any command ran, then nothing is marked failed', () => {
    const prev = rollout({ handle: undefined });
    const next = { ...prev, state: 'failed' as const, lastError: '403' };
    const [l] = ledgerChanges(prev, next, release, [locked], NOW);
    expect(l?.failed).toBeUndefined();
    expect(l?.inFlightReleaseId).toBeUndefined();
  });

  it('when a later release succeeds, then the failure is cleared', () => {
    const failedEntry = {
      ...locked,
      status: 'failed' as const,
      failed: { releaseId: release.id, tag: 'bad-1', digest: release.digest, at: at(-10), reason: 'x' },
    };
    const newer = {
      ...release,
      id: '8203999999000-cccccccccccc',
      tag: '1.3.0',
      digest: 'sha256:' + 'c'.repeat(64),
    };
    const prev = rollout({ releaseId: newer.id });
    const [l] = ledgerChanges(
      prev,
      { ...prev, state: 'succeeded' },
      newer,
      [{ ...failedEntry, inFlightReleaseId: newer.id }],
      NOW,
    );
    expect(l).toMatchObject({ digest: newer.digest, releaseId: newer.id });
    expect(l!.failed).toBeUndefined();
    expect(l!.status).toBeUndefined();
  });
});

describe('onFailure revert', () => {
  const revert = (o: Partial<StepContext> = {}) =>
    ctx({ policy: { ...policy, onFailure: 'revert' }, revertTarget: good, ...o });

  it('when the failed rollout has a last good release, then it claims the revert (reverting, lock kept, ledger failed) instead of ending', () => {
    const prev = rollout();
    const d = decide(prev, crashed, revert());
    expect(d.action).toBe('revert-rollout');
    expect(d.next).toMatchObject({
      state: 'reverting',
      reasonCode: 'reverting',
      revertTo: good,
      handle: undefined,
    });
    expect(d.next.reason).toContain(`reverting to release ${good.releaseId} (1.2.0)`);
    const [l] = ledgerChanges(prev, d.next, release, [locked], NOW);
    expect(l).toMatchObject({ status: 'failed', inFlightReleaseId: release.id });
  });

  it('when there is no last good release (a first rollout) or the policy is stop, then it just fails', () => {
    expect(decide(rollout(), crashed, revert({ revertTarget: undefined })).next.state).toBe('failed');
    expect(decide(rollout(), crashed, ctx({ revertTarget: good })).next.state).toBe('failed');
  });

  it('when the revert is accepted and then succeeds, then the rollout ends failed with reason code reverted and the ledger is ok again, lock released', () => {
    const claimed = decide(rollout(), crashed, revert()).next;
    const started = afterRevert(
      claimed,
      { kind: 'started', handle: { value: 'cmd-2', commandId: 'cmd-2' } },
      revert(),
    ).next;
    expect(started).toMatchObject({ state: 'reverting', handle: { value: 'cmd-2' } });
    const later = new Date(NOW.getTime() + 10_000);
    const done = decide(
      { ...started, nextCheckAt: at(0) },
      { status: { kind: 'succeeded' } },
      revert({ now: later }),
    ).next;
    expect(done).toMatchObject({ state: 'failed', reasonCode: 'reverted' });
    expect(done.reason).toMatch(
      /^failed: .*CrashLoopBackOff.*; reverted to release 8204000000100-aaaaaaaaaaaa \(1\.2\.0\)$/,
    );
    const failedEntry = {
      ...locked,
      status: 'failed' as const,
      failed: { releaseId: release.id, tag: 'bad-1', digest: release.digest, at: at(0), reason: 'x' },
    };
    const [l] = ledgerChanges(started, done, release, [failedEntry], later);
    expect(l).toMatchObject({ digest: good.digest, releaseId: good.releaseId });
    expect(l!.failed).toBeUndefined();
    expect(l!.inFlightReleaseId).toBeUndefined();
  });

  it('when the revert fails or is refused, then the rollout ends revert-failed and the ledger keeps saying failed', () => {
    const claimed = decide(rollout(), crashed, revert()).next;
    const refused = afterRevert(
      claimed,
      { kind: 'rejected', transient: false, reason: '403 Forbidden' },
      revert(),
    ).next;
    expect(refused).toMatchObject({ state: 'failed', reasonCode: 'revert-failed' });
    expect(refused.reason).toContain('403 Forbidden');
    const failedEntry = {
      ...locked,
      status: 'failed' as const,
      failed: { releaseId: release.id, tag: 'bad-1', digest: release.digest, at: at(0), reason: 'x' },
    };
    const [l] = ledgerChanges(claimed, refused, release, [failedEntry], NOW);
    expect(l!.failed?.digest).toBe(release.digest);
    expect(l!.inFlightReleaseId).toBeUndefined();
  });

  it('when the revert start is never confirmed past the grace, then it ends revert-failed naming that', () => {
    const claimed = { ...decide(rollout(), crashed, revert()).next, attemptStartedAt: at(-200) };
    const d = decide(claimed, {}, revert());
    expect(d.next).toMatchObject({ state: 'failed', reasonCode: 'revert-failed' });
    expect(d.next.reason).toContain('never confirmed');
  });
});

describe('an older pending release and a newer one pending in the same region', () => {
  const older = { id: '8204000000500-111111111111', pushedAt: at(-300) };
  const newer: ActiveReleaseEntry = {
    releaseId: '8204000000400-222222222222',
    repository: 'my-app',
    tag: 'bad-1',
    digest: release.digest,
    pushedAt: at(-100),
    targets: { southeastasia: [W] },
  };
  const me = { region: 'southeastasia', workloads: [W] };
  const newerHere = (state: RegionRollout['state'], attempts = 0) =>
    new Map([
      [
        newer.releaseId,
        rollout({ releaseId: newer.releaseId, region: 'southeastasia', wave: 1, state, attempts }),
      ],
    ]);

  it('when the newer one is pending here behind its earlier waves, then the older waits for it (not superseded)', () => {
    expect(newerReleasesToRead(me, older, [], [newer])).toEqual([newer.releaseId]);
    const p = planWorkloads(me, older, [], [newer], newerHere('replica-ready'));
    expect(p.pending).toEqual([W]);
    expect(p.waitingFor).toMatchObject({ releaseId: newer.releaseId, state: 'replica-ready' });
    const d = decide(
      rollout({
        releaseId: older.id,
        region: 'southeastasia',
        state: 'replica-ready',
        attempts: 0,
        handle: undefined,
      }),
      {},
      ctx({ release: older, plan: p }),
    );
    expect(d.next).toMatchObject({
      state: 'replica-ready',
      reasonCode: 'waiting-for-newer-release',
      waitingForNewer: newer.releaseId,
    });
    expect(d.action).toBe('none');
  });

  it('when the newer one rolls out (or ran) here, then the older is superseded by it', () => {
    for (const [state, attempts] of [
      ['rolling-out', 1],
      ['succeeded', 1],
      ['failed', 1],
    ] as const) {
      const p = planWorkloads(me, older, [], [newer], newerHere(state, attempts));
      expect(p.pending, state).toEqual([]);
      expect(p.supersededBy).toBe(newer.releaseId);
    }
  });

  it('when the newer one ended here without rolling out (halted, timed out, refused), then the older goes ahead and its start says why', () => {
    for (const [state, attempts] of [
      ['halted', 0],
      ['replication-timed-out', 0],
      ['failed', 0],
    ] as const) {
      const p = planWorkloads(me, older, [], [newer], newerHere(state, attempts));
      expect(p.pending, state).toEqual([W]);
      expect(p.waitingFor).toBeUndefined();
      expect(p.newerEnded).toEqual([`${newer.releaseId} (${state})`]);
    }
    const p = planWorkloads(me, older, [], [newer], newerHere('halted'));
    const d = decide(
      rollout({
        releaseId: older.id,
        region: 'southeastasia',
        state: 'replica-ready',
        attempts: 0,
        handle: undefined,
      }),
      {},
      ctx({ release: older, plan: p }),
    );
    expect(d.action).toBe('start-rollout');
    expect(d.next.newerEnded).toEqual([`${newer.releaseId} (halted)`]);
  });

  it('when the ledger already settles the workload, then no newer rollout needs reading (no extra table operation)', () => {
    const ledger: LedgerEntry[] = [
      {
        ...locked,
        region: 'southeastasia',
        releaseId: newer.releaseId,
        pushedAt: newer.pushedAt,
        inFlightReleaseId: undefined,
      },
    ];
    expect(newerReleasesToRead(me, older, ledger, [newer])).toEqual([]);
    expect(newerReleasesToRead(me, older, [], [])).toEqual([]);
  });
});
