// The verification gate of the state machine, through the use cases on the in-memory store: an
// unverified release starts nothing until the registry confirms it, and one the registry refutes
// later ends every rollout `rejected` with nothing run and the ledger untouched.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { reconcileAll } from '../../src/app/rollout/reconcile-all';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import type { PushVerification, PushVerifierPort } from '../../src/core/model/ports';
import { pushPayload } from '../support/acr-payloads';
import { testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const REAL = 'sha256:' + createHash('sha256').update('real').digest('hex');
const FORGED = 'sha256:' + createHash('sha256').update('forged').digest('hex');
const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const log = new Logger(silentSink);

/** The registry's answers, scripted by the test (a fake of the port, not of our modules). */
class ScriptedVerifier implements PushVerifierPort {
  answer: PushVerification = { outcome: 'unreachable', reason: 'ACR answered 503 after 3 attempt(s)' };
  calls = 0;
  verify(): Promise<PushVerification> {
    this.calls++;
    return Promise.resolve(this.answer);
  }
}

function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig({ env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' } });
  const t = fakeDeps(config, store);
  const verifier = new ScriptedVerifier();
  t.deps.pushVerifier = verifier;
  let seq = 0;
  const push = (region: string, digest: string, tag = '1.0.0', repository = 'my-app') => {
    t.registry.hold(region, repository, digest);
    return receiveWebhook(
      t.deps,
      {
        region,
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              id: `evt-${++seq}`,
              timestamp: t.clock.now().toISOString(),
              digest,
              repository,
              tag,
            }),
          ),
        ),
      },
      log,
    );
  };
  const run = async (n = 4) => {
    for (let i = 0; i < n; i++) {
      t.clock.advance(5);
      await reconcileAll(t.deps, log, { scan: false });
    }
  };
  return { ...t, store, verifier, push, run };
}

describe('verification gate', () => {
  it('when the registry refutes an unverified release before it started, then every rollout ends rejected naming why, nothing runs and the ledger keeps the verified release', async () => {
    const t = setup();
    t.verifier.answer = { outcome: 'verified' };
    for (const region of REGIONS) await t.push(region, REAL);
    await t.run();
    const good = t.store.allReleases().find((r) => r.digest === REAL)!;
    expect(good.verification).toBe('verified');

    // A later push of the same tag arrives while the registry cannot answer: planned unverified.
    t.verifier.answer = { outcome: 'unreachable', reason: 'no answer within 1000 ms' };
    t.clock.advance(60);
    for (const region of REGIONS) {
      const answer = await t.push(region, FORGED);
      expect(answer.status).toBe(202);
      expect(answer.body.status).toBe('recorded');
    }
    const suspect = t.store.allReleases().find((r) => r.digest === FORGED)!;
    expect(suspect.verification).toBe('unverified');
    await t.run(2);
    const waiting = await t.store.listRollouts(suspect.id, suspect.regions);
    expect(waiting.find((r) => r.region === 'eastus')).toMatchObject({
      state: 'replica-ready',
      reasonCode: 'waiting-for-verification',
    });
    expect(t.executor.started.filter((s) => s.digest === FORGED)).toEqual([]);

    // The registry answers now: its tag points at the real digest.
    t.verifier.answer = {
      outcome: 'mismatch',
      reason: `the registry's my-app:1.0.0 is ${REAL}, not ${FORGED}`,
    };
    await t.run(2);
    const ended = await t.store.listRollouts(suspect.id, suspect.regions);
    for (const r of ended) {
      expect(r.state).toBe('rejected');
      expect(r.reasonCode).toBe('push-rejected');
      expect(r.reason).toContain(REAL);
      expect(r.attempts).toBe(0);
    }
    const after = (await t.store.getRelease(suspect.id))!;
    expect(after).toMatchObject({ verification: 'rejected', status: 'done' });
    expect(after.verifiedAt).toBeUndefined();

    // Invariants: the real release still runs everywhere and the ledger says so; one start each.
    expect(t.executor.started.filter((s) => s.digest === FORGED)).toEqual([]);
    for (const region of REGIONS) {
      const [entry] = await t.store.listLedger(region);
      expect(entry).toMatchObject({ releaseId: good.id, digest: REAL });
      expect(entry?.inFlightReleaseId).toBeUndefined();
    }
    const starts = t.executor.started.map((s) => `${s.releaseId}|${s.region}`);
    expect(new Set(starts).size).toBe(starts.length);
  });

  it('when the webhook is the nudge, then it does not ask the registry again; the timer run does, once per release', async () => {
    const t = setup();
    await t.push('eastus', REAL);
    expect(t.verifier.calls).toBe(1); // the intake check only
    await t.run(1);
    expect(t.verifier.calls).toBe(2);
    t.verifier.answer = { outcome: 'verified' };
    await t.run(1);
    expect(t.verifier.calls).toBe(3);
    await t.run(3);
    expect(t.verifier.calls).toBe(3); // verified: never asked again
    const [release] = t.store.allReleases();
    expect(release?.verification).toBe('verified');
    expect(t.executor.started.map((s) => s.region)).toContain('eastus');
  });

  it('when no workload watches the push, then it is ignored without asking the registry', async () => {
    const t = setup();
    const answer = await t.push('eastus', FORGED, '1.0.0', 'not-watched');
    expect(answer.body.status).toBe('ignored');
    expect(t.verifier.calls).toBe(0);
  });
});
