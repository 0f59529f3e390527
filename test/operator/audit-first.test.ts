// Audit first: an action's audit entry is written before its change and completed
// after it, so no change exists without its entry; an action that applied is answered as applied
// even when its nudge or the outcome write fails after the change. Through the handlers (the
// SDK's HttpRequest) over the in-memory store wrapped by failingStore (a storage outage).
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { Logger, type LogSink } from '../../src/app/platform/logger';
import { reconcileRelease } from '../../src/app/rollout/reconcile-release';
import type { Release } from '../../src/core/model/records';
import { activeEntryOf, initialRollouts, planTargets } from '../../src/core/intake/release-planning';
import { makeRegistrations } from '../../src/functions/registrations';
import { testConfig } from '../support/config';
import { failingStore } from '../support/failing-store';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const DIGEST = `sha256:${'d'.repeat(64)}`;

async function world() {
  const memory = new MemoryRolloutStore();
  const failing = failingStore(memory);
  const config = testConfig({ policy: { approvalWaves: [1] }, env: { WEBHOOK_NUDGE_BUDGET_MS: '2000' } });
  const { deps, registry, executor, clock } = fakeDeps(config, failing.store);
  const lines: string[] = [];
  const sink: LogSink = {
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
  };
  const now = clock.now();
  const release: Release = {
    id: '8000000000000-00000000000a',
    repository: 'my-app',
    tag: '1.0.0',
    digest: DIGEST,
    pushedAt: now.toISOString(),
    source: 'webhook',
    createdAt: now.toISOString(),
    status: 'active',
    regions: config.regions.map((r) => r.name),
    verification: 'verified',
  };
  const targets = planTargets(config.regions, config.workloads, 'my-app', '1.0.0');
  for (const r of release.regions) registry.hold(r, 'my-app', DIGEST);
  await memory.ensureRelease(
    release,
    initialRollouts(release, targets, config.regions, now),
    activeEntryOf(release, targets),
  );
  // Wave 0 done, wave 1 awaiting approval.
  const log = new Logger(sink);
  for (let i = 0; i < 4; i++) {
    clock.advance(10);
    await reconcileRelease(deps, release.id, log);
  }
  const http = makeRegistrations(() => deps).http;
  const call = async (name: string, o: { params?: Record<string, string>; body?: unknown } = {}) => {
    const r = http.find((x) => x.name === name)!;
    const res = (await r.handler(
      new HttpRequest({
        method: r.methods.includes('POST') ? 'POST' : r.methods[0]!,
        url: `https://app.example/api/${r.route}`,
        headers: { 'content-type': 'application/json' },
        params: o.params,
        body: o.body === undefined ? undefined : { string: JSON.stringify(o.body) },
      }),
      new InvocationContext({
        functionName: name,
        logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
      }),
    )) as HttpResponseInit;
    return { status: res.status, body: res.jsonBody as Record<string, unknown> };
  };
  const audit = async () => (await memory.listAudit({ limit: 20 })).entries;
  return { memory, failing, deps, executor, release, call, audit, lines };
}

describe('audit first', () => {
  it('when the nudge after a pause fails on storage, then the pause is applied, audited and answered 200', async () => {
    const w = await world();
    // Only the reconciler reads the signals: the nudge fails, the pause itself does not.
    w.failing.failCalls('listSignals', 10);
    const res = await w.call('releasePause', { params: { id: w.release.id }, body: { reason: 'hold on' } });
    expect(res.status).toBe(200);
    expect((await w.memory.getRelease(w.release.id))?.paused).toBe(true);
    expect(await w.audit()).toEqual([
      expect.objectContaining({
        action: 'pause',
        outcome: 'applied',
        reason: 'hold on',
        actor: 'function-key',
      }),
    ]);
    expect(w.lines.join('\n')).toMatch(/operator\.nudge-error/);
    // Paused: every rollout row carries the mark, and nothing of wave 1 started.
    for (const r of await w.memory.listRollouts(w.release.id, w.release.regions))
      expect(r.pause, r.region).toMatchObject({ paused: true, seq: 1 });
    expect(w.executor.started.filter((s) => s.region !== 'eastus')).toEqual([]);
  });

  it('when the storage fails after a hold was placed (outcome write, nudge), then it is answered 201 and its entry exists, pending', async () => {
    const w = await world();
    w.failing.failCalls('completeAudit', 3);
    w.failing.failCalls('listActiveReleases', 1);
    const res = await w.call('holds', { body: { region: 'westeurope' } });
    expect(res.status).toBe(201);
    expect((await w.memory.listHolds(['westeurope'])).map((h) => h.id)).toEqual([res.body.id]);
    // The change is never without its entry: written before it, its outcome unknown to the store.
    expect(await w.audit()).toEqual([
      expect.objectContaining({ action: 'hold', region: 'westeurope', outcome: 'pending' }),
    ]);
    expect(w.lines.join('\n')).toMatch(/operator\.audit-incomplete/);
  });

  it('when the change itself fails on storage, then 500, and its entry says failed (nothing changed)', async () => {
    const w = await world();
    w.failing.failCalls('amendRelease', 1);
    const res = await w.call('releasePause', { params: { id: w.release.id } });
    expect(res.status).toBe(500);
    expect((await w.memory.getRelease(w.release.id))?.paused).toBeUndefined();
    expect(await w.audit()).toEqual([
      expect.objectContaining({
        action: 'pause',
        outcome: expect.stringMatching(/^failed: storage unavailable/),
      }),
    ]);
  });

  it('when the entry cannot be written, then the action changes nothing (no change without its entry)', async () => {
    const w = await world();
    w.failing.failCalls('appendAudit', 1);
    const res = await w.call('releaseCancel', { params: { id: w.release.id } });
    expect(res.status).toBe(500);
    const rollouts = await w.memory.listRollouts(w.release.id, w.release.regions);
    expect(rollouts.filter((r) => r.state === 'canceled')).toEqual([]);
    expect(await w.audit()).toEqual([]);
    // Once the storage answers again, the same action applies and is audited once.
    expect((await w.call('releaseCancel', { params: { id: w.release.id } })).status).toBe(200);
    expect((await w.audit()).map((e) => e.outcome)).toEqual(['applied']);
  });
});
