// The reconcile timer as the Functions host runs it, built by its factory over the test's deps
// (no process.env): an idle run writes nothing at info, a run that did something summarises it,
// and the composition root builds one set of deps per settings object.
import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { appDeps } from '../../src/app/composition';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { makeReconcileHandler } from '../../src/functions/rollout/reconcile-timer';
import { pushPayload } from '../support/acr-payloads';
import { testConfig, testRolloutConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const TIMER: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};
const DIGEST = `sha256:${'b'.repeat(64)}`;

function runTimer(handler: ReturnType<typeof makeReconcileHandler>) {
  const lines: Array<{ level: string; event: unknown }> = [];
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'reconcile',
    logHandler: (level, ...args) =>
      lines.push({ level, event: (JSON.parse(String(args[0])) as { event?: unknown }).event }),
  });
  return { lines, done: Promise.resolve(handler(TIMER, context)) };
}

describe('the reconcile timer', () => {
  it('when there is nothing to do, then the run succeeds and logs nothing at info', async () => {
    const { deps } = fakeDeps(testConfig(), new MemoryRolloutStore());
    const run = runTimer(makeReconcileHandler(() => deps));
    await expect(run.done).resolves.toBeUndefined();
    expect(run.lines).toEqual([]);
  });

  it('when a run advances a release, then it logs one reconcile.summary at info and succeeds', async () => {
    const config = testConfig();
    const { deps, registry, clock } = fakeDeps(config, new MemoryRolloutStore());
    for (const region of ['eastus', 'westeurope', 'southeastasia']) registry.hold(region, 'my-app', DIGEST);
    const body = pushPayload({
      timestamp: clock.now().toISOString(),
      digest: DIGEST,
      repository: 'my-app',
      tag: '1.0.0',
    });
    const auth = `Bearer ${config.webhookSecrets[0]}`;
    const log = new Logger(silentSink);
    await receiveWebhook(
      deps,
      { region: 'eastus', authorization: auth, body: Buffer.from(JSON.stringify(body)) },
      log,
    );

    const run = runTimer(makeReconcileHandler(() => deps));
    await expect(run.done).resolves.toBeUndefined();
    expect(run.lines.filter((l) => l.event === 'reconcile.summary')).toEqual([
      { level: 'information', event: 'reconcile.summary' },
    ]);
  });

  it('when the store cannot be read, then the invocation fails (the host sees it)', async () => {
    const store = new MemoryRolloutStore();
    store.listActiveReleases = () => Promise.reject(new Error('Table Storage answered 503'));
    const { deps } = fakeDeps(testConfig(), store);
    await expect(runTimer(makeReconcileHandler(() => deps)).done).rejects.toThrow(
      'Table Storage answered 503',
    );
  });
});

describe('the composition root (appDeps)', () => {
  const settings = (prefix: string): Record<string, string> => ({
    ROLLOUT_CONFIG: JSON.stringify(testRolloutConfig()),
    WEBHOOK_SECRETS: 'test-secret-0123456789',
    ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
    ARM_ENDPOINT: 'http://127.0.0.1:9',
    LOCAL_DEV_TOKEN: 'local-dev-token',
    ROLLOUT_TABLE_PREFIX: prefix,
  });

  it('when called with another settings object, then it builds deps from those settings, not the first ones', () => {
    const a = settings('tenanta');
    const b = settings('tenantb');
    expect(appDeps(a).config.tablePrefix).toBe('tenanta');
    expect(appDeps(b).config.tablePrefix).toBe('tenantb');
    expect(appDeps(a)).toBe(appDeps(a)); // once per settings object: one token cache, one store
  });
});
