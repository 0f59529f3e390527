// The push verifier against the loopback ACR simulator over real HTTP: a manifest HEAD by tag
// (by digest for a digest-only push) on the home endpoint, through the real token flow.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { AcrSimulator } from '../../dev/acr-simulator';
import { UNKNOWN_DIGEST } from './support';

let sim: AcrSimulator;

beforeEach(async () => {
  sim = await AcrSimulator.start({
    regions: ['eastus', 'westeurope'],
    home: 'eastus',
    delays: { westeurope: 60_000 },
  });
});
afterEach(async () => {
  await sim.stop();
});

const verifier = (endpoint = sim.endpoint) =>
  createAcrAdapters({
    endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential: new StaticTokenCredential('local-dev-token'),
    timeoutMs: 500,
    maxAttempts: 2,
    sleep: () => Promise.resolve(),
  }).pushVerifier;

describe('AcrPushVerifier', () => {
  it('when the tag points at the pushed digest on the home registry, then the push is verified (also a multi-arch index, also by digest)', async () => {
    const v = verifier();
    const push = sim.push({ repository: 'team/my-app', tag: '1.4.0' });
    expect(await v.verify('team/my-app', '1.4.0', push.digest)).toEqual({ outcome: 'verified' });
    expect(await v.verify('team/my-app', '', push.digest)).toEqual({ outcome: 'verified' });
    const index = sim.push({
      repository: 'team/my-app',
      tag: 'multi',
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });
    expect(await v.verify('team/my-app', 'multi', index.digest)).toEqual({ outcome: 'verified' });
  });

  it("when asked for the push time, then it is the home registry's lastUpdateTime of the tag, and absent when the registry fails", async () => {
    const v = verifier();
    const push = sim.push({ repository: 'team/my-app', tag: '1.5.0' });
    const verified = await v.verify('team/my-app', '1.5.0', push.digest, undefined, { pushTime: true });
    expect(verified).toEqual({ outcome: 'verified', pushedAt: new Date(push.pushedAt).toISOString() });
    const tagReads = sim.requestCount('eastus', 'tag'); // 401 challenge included
    expect(tagReads).toBeGreaterThan(0);
    // Not asked: the HEAD alone (no extra call).
    expect(await v.verify('team/my-app', '1.5.0', push.digest)).toEqual({ outcome: 'verified' });
    expect(sim.requestCount('eastus', 'tag')).toBe(tagReads);
    // The home registry failing: neither a verdict nor a time, never a guessed one.
    sim.setFaults({ registry: { eastus: { kind: '503', count: 10 } } });
    const noTime = await v.verify('team/my-app', '1.5.0', push.digest, undefined, { pushTime: true });
    expect(noTime.outcome).toBe('unreachable');
    expect(noTime).not.toHaveProperty('pushedAt');
    sim.setFaults({ registry: { eastus: undefined } });
    // The tag moved to another push: the old digest is refuted, the new one carries its own time.
    const next = sim.push({ repository: 'team/my-app', tag: '1.5.0' });
    expect((await v.verify('team/my-app', '1.5.0', push.digest, undefined, { pushTime: true })).outcome).toBe(
      'mismatch',
    );
    expect(await v.verify('team/my-app', '1.5.0', next.digest, undefined, { pushTime: true })).toEqual({
      outcome: 'verified',
      pushedAt: new Date(next.pushedAt).toISOString(),
    });
  });

  it('when the webhook names a digest the tag does not point at, or a tag or digest the registry lacks, then it is a mismatch naming what the registry has', async () => {
    const v = verifier();
    const push = sim.push({ repository: 'my-app', tag: '2.0.0' });
    const forged = await v.verify('my-app', '2.0.0', UNKNOWN_DIGEST);
    expect(forged.outcome).toBe('mismatch');
    expect(forged.outcome === 'mismatch' && forged.reason).toContain(push.digest);
    expect(await v.verify('my-app', '9.9.9', push.digest)).toEqual({
      outcome: 'mismatch',
      reason: 'the registry has no manifest my-app:9.9.9',
    });
    expect((await v.verify('my-app', '', UNKNOWN_DIGEST)).outcome).toBe('mismatch');
    expect((await v.verify('Bad Repo', '2.0.0', push.digest)).outcome).toBe('mismatch');
  });

  it('when the home registry fails (503), is unreachable or too slow for the caller, then the push is neither confirmed nor refuted', async () => {
    const push = sim.push({ repository: 'my-app', tag: '3.0.0' });
    sim.setFaults({ registry: { eastus: { kind: '503' } } });
    const failing = await verifier().verify('my-app', '3.0.0', push.digest);
    expect(failing).toMatchObject({ outcome: 'unreachable' });
    expect(failing.outcome === 'unreachable' && failing.reason).toContain('503');

    const closed = await verifier('http://127.0.0.1:1').verify('my-app', '3.0.0', push.digest);
    expect(closed.outcome).toBe('unreachable');

    sim.setFaults({ registry: { eastus: { kind: 'hang' } } });
    const slow = await verifier().verify('my-app', '3.0.0', push.digest, AbortSignal.timeout(200));
    expect(slow.outcome).toBe('unreachable');

    sim.setFaults({ registry: { eastus: undefined } });
    expect(await verifier().verify('my-app', '3.0.0', push.digest)).toEqual({ outcome: 'verified' });
  });
});
