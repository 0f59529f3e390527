// Throttling, server errors, hangs and caller aborts: every check ends, and ends as unknown
// when the registry cannot answer.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { AcrSimulator, type PushRecord } from '../../dev/acr-simulator';

let sim: AcrSimulator;
let push: PushRecord;

beforeEach(async () => {
  sim = await AcrSimulator.start({ regions: ['eastus', 'westeurope'], home: 'eastus', defaultDelayMs: 0 });
  push = sim.push({ repository: 'my-app', tag: '1' });
  await sim.whenReplicated('my-app', push.digest);
});
afterEach(async () => {
  await sim.stop();
});

// Waits between attempts are recorded, not slept. The timeout is generous by default: only the
// hang tests are about a timeout (they pass their own), and a loaded machine must not turn a slow
// answer into one more attempt.
let waits: number[] = [];
function adapters(timeoutMs = 3000) {
  waits = [];
  return createAcrAdapters({
    endpoint: sim.endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential: new StaticTokenCredential('local-dev-token'),
    timeoutMs,
    maxAttempts: 3,
    backoffBaseMs: 20,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
}

describe('AcrReplicaStatus under faults', () => {
  it('when the region throttles once with Retry-After, then the check waits and answers present', async () => {
    const { replicaStatus } = adapters();
    await replicaStatus.check('westeurope', 'my-app', push.digest); // warm the token cache
    const before = sim.requestCount('westeurope', 'manifest');
    sim.setFaults({ registry: { westeurope: { kind: '429', retryAfterSeconds: 1, count: 1 } } });
    waits.length = 0;
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('present');
    expect(sim.requestCount('westeurope', 'manifest') - before).toBe(2);
    // Retry-After was honoured: the one wait was the server's second, not our back-off.
    expect(waits).toEqual([1000]);
  });

  it('when the region answers 503 twice, then the third attempt answers present', async () => {
    const { replicaStatus } = adapters();
    await replicaStatus.check('westeurope', 'my-app', push.digest);
    const before = sim.requestCount('westeurope', 'manifest');
    sim.setFaults({ registry: { westeurope: { kind: '503', count: 2 } } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('present');
    expect(sim.requestCount('westeurope', 'manifest') - before).toBe(3);
  }, 15_000);

  it('when the region keeps answering 503, then the check gives up after the attempt bound with unknown', async () => {
    const { replicaStatus } = adapters();
    await replicaStatus.check('westeurope', 'my-app', push.digest);
    const before = sim.requestCount('westeurope', 'manifest');
    sim.setFaults({ registry: { westeurope: { kind: '503' } } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('unknown');
    expect(sim.requestCount('westeurope', 'manifest') - before).toBe(3);
    // The other region is unaffected.
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
  });

  it('when Retry-After exceeds the request budget, then the check answers unknown without waiting it out', async () => {
    const { replicaStatus } = adapters();
    await replicaStatus.check('westeurope', 'my-app', push.digest);
    sim.setFaults({ registry: { westeurope: { kind: '429', retryAfterSeconds: 3600 } } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('unknown');
  }, 15_000); // generous: without its bound it would never end

  it('when a region never answers, then the check answers unknown within its bound', async () => {
    const { replicaStatus } = adapters(200);
    sim.setFaults({ registry: { westeurope: { kind: 'hang', target: 'all' } } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('unknown');
    expect(sim.requestCount('westeurope', 'manifest')).toBe(3);
  }, 15_000); // generous: without its bound it would never end

  it('when the token endpoint of a region never answers, then the check answers unknown within its bound', async () => {
    const { replicaStatus } = adapters(200);
    sim.setFaults({ registry: { westeurope: { kind: 'hang', target: 'auth' } } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('unknown');
    expect(sim.requestCount('westeurope', 'exchange')).toBe(3);
    // Once it answers again, the next check recovers (nothing stuck in the single-flight map).
    sim.setFaults({ registry: { westeurope: undefined } });
    expect(await replicaStatus.check('westeurope', 'my-app', push.digest)).toBe('present');
  }, 15_000); // generous: without its bound it would never end

  it('when the caller aborts, then the check answers unknown at once', async () => {
    const { replicaStatus } = adapters(10_000);
    sim.setFaults({ registry: { westeurope: { kind: 'hang', target: 'all' } } });
    const controller = new AbortController();
    const pending = replicaStatus.check('westeurope', 'my-app', push.digest, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await pending).toBe('unknown');
  }, 8000); // below the 10 s per-attempt timeout: only the abort can end it in time
});
