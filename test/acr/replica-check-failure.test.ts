// A replica check that fails (ACR 403 for an identity without AcrPull, a refused token exchange)
// must be visible: logged with its cause, named in the rollout's reason, and a failed timer run,
// instead of an anonymous "unknown" until the replication deadline. Real ACR adapters over HTTP
// against the ACR simulator; the reconcile timer built by its factory over the test's deps.
import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { makeReconcileHandler } from '../../src/functions/rollout/reconcile-timer';
import { AcrSimulator } from '../../dev/acr-simulator';
import { pushPayload } from '../support/acr-payloads';
import { testConfig, testRolloutConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
let sim: AcrSimulator;

beforeEach(async () => {
  sim = await AcrSimulator.start({ regions: REGIONS, home: 'eastus', defaultDelayMs: 0 });
});
afterEach(async () => {
  await sim.stop();
});

const adapters = () =>
  createAcrAdapters({
    endpoint: sim.endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential: new StaticTokenCredential('local-dev-token'),
    timeoutMs: 1000,
  });

const TIMER: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

function capturingContext(lines: Array<{ level: string; line: Record<string, unknown> }>) {
  return new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'reconcile',
    logHandler: (level, ...args) =>
      lines.push({ level, line: JSON.parse(String(args[0])) as Record<string, unknown> }),
  });
}

describe('replica check causes (AcrReplicaStatus.checkWithCause)', () => {
  it('when a region answers 403 to the manifest HEAD, then the answer is unknown with a cause naming 403 and AcrPull', async () => {
    const push = sim.push({ repository: 'my-app', tag: '1.0.0' });
    await sim.whenReplicated('my-app', push.digest);
    sim.setFaults({ registry: { westeurope: { kind: '403' } } });
    const { replicaStatus } = adapters();

    const failed = await replicaStatus.checkWithCause('westeurope', 'my-app', push.digest);
    expect(failed.presence).toBe('unknown');
    expect(failed.cause).toMatch(
      /^ACR answered 403 for my-app on http:\/\/127\.0\.0\.1:\d+\/westeurope: .*AcrPull/,
    );
    // The other regions still answer, without a cause.
    expect(await replicaStatus.checkWithCause('eastus', 'my-app', push.digest)).toEqual({
      presence: 'present',
    });
  });

  it('when the token exchange is refused for a region, then the cause names the refused exchange', async () => {
    const push = sim.push({ repository: 'my-app', tag: '1.0.0' });
    await sim.whenReplicated('my-app', push.digest);
    sim.setFaults({ registry: { southeastasia: { kind: '403', target: 'auth' } } });
    const failed = await adapters().replicaStatus.checkWithCause('southeastasia', 'my-app', push.digest);
    expect(failed).toEqual({
      presence: 'unknown',
      cause: 'could not get an ACR token: ACR token exchange answered 403',
    });
  });

  it('when the caller gives up (its budget ran out), then the answer is unknown without a cause (not a failure)', async () => {
    const push = sim.push({ repository: 'my-app', tag: '1.0.0' });
    sim.setFaults({ registry: { westeurope: { kind: 'hang' } } });
    const controller = new AbortController();
    const pending = adapters().replicaStatus.checkWithCause(
      'westeurope',
      'my-app',
      push.digest,
      controller.signal,
    );
    controller.abort();
    expect(await pending).toEqual({ presence: 'unknown' });
  });

  it('when no regional endpoint is configured, then the answer is unknown without a cause (not a failure)', async () => {
    const push = sim.push({ repository: 'my-app', tag: '1.0.0' });
    const { replicaStatus } = createAcrAdapters({
      endpoint: sim.endpoint,
      credential: new StaticTokenCredential('local-dev-token'),
    });
    expect(await replicaStatus.checkWithCause('eastus', 'my-app', push.digest)).toEqual({
      presence: 'unknown',
    });
  });
});

describe('a timer run whose replica check fails', () => {
  it('when westeurope answers 403, then the rollout names the cause, the log has replica.check-failed, and the run fails after finishing the rest', async () => {
    const rolloutConfig = testRolloutConfig({ regions: REGIONS });
    rolloutConfig.registry = {
      ...(rolloutConfig.registry as object),
      endpoint: sim.endpoint,
      regionalEndpoint: sim.regionalEndpoint,
    };
    const config = testConfig({ env: { ROLLOUT_CONFIG: JSON.stringify(rolloutConfig) } });
    const store = new MemoryRolloutStore();
    const { deps, clock, executor } = fakeDeps(config, store);
    deps.replicaStatus = adapters().replicaStatus;

    const push = sim.push({ repository: 'my-app', tag: '1.0.0' });
    await sim.whenReplicated('my-app', push.digest);
    sim.setFaults({ registry: { westeurope: { kind: '403' } } });
    // Only the home webhook arrives: the other regions' readiness rests on the manifest check.
    const recorded = await receiveWebhook(
      deps,
      {
        region: 'eastus',
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({
              timestamp: clock.now().toISOString(),
              digest: push.digest,
              repository: 'my-app',
              tag: '1.0.0',
            }),
          ),
        ),
      },
      new Logger(silentSink),
    );
    expect(recorded.status).toBe(202);

    const lines: Array<{ level: string; line: Record<string, unknown> }> = [];
    const timer = makeReconcileHandler(() => deps);
    await expect(Promise.resolve(timer(TIMER, capturingContext(lines)))).rejects.toThrow(
      /^reconcile run had 1 error\(s\) .*: 1\/1 active release\(s\) advanced, 0 skipped for the time budget, 0 found by the scan$/,
    );

    const [release] = store.allReleases();
    const rollouts = Object.fromEntries(
      (await store.listRollouts(release!.id, release!.regions)).map((r) => [r.region, r]),
    );
    const weu = rollouts.westeurope!;
    expect(weu.state).toBe('waiting-for-replica');
    expect(weu.lastCheckResult).toBe('unknown');
    expect(weu.reason).toMatch(
      /^waiting for the replica: check failed: ACR answered 403 for my-app on .*AcrPull/,
    );
    // The rest of the run went on: the home region started, southeastasia's replica was seen.
    expect(executor.started.map((s) => s.region)).toEqual(['eastus']);
    expect(rollouts.southeastasia!.state).toBe('replica-ready');

    const failed = lines.filter((l) => l.line.event === 'replica.check-failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.level).toBe('warning');
    expect(failed[0]!.line).toMatchObject({
      region: 'westeurope',
      repository: 'my-app',
      digest: push.digest,
      releaseId: release!.id,
    });
    expect(failed[0]!.line.cause).toBe(weu.reason.replace('waiting for the replica: check failed: ', ''));
    expect(lines.find((l) => l.line.event === 'reconcile.summary')).toMatchObject({
      level: 'warning',
      line: { errors: 1, active: 1 },
    });
  });
});
