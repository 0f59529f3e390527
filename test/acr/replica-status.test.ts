// The replica check against the loopback ACR simulator over real HTTP.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { AcrSimulator } from '../../dev/acr-simulator';
import { UNKNOWN_DIGEST, handToken } from './support';

let sim: AcrSimulator;

beforeEach(async () => {
  sim = await AcrSimulator.start({
    regions: ['eastus', 'westeurope', 'southeastasia'],
    home: 'eastus',
    delays: { westeurope: 1000, southeastasia: 60_000 },
  });
});
afterEach(async () => {
  await sim.stop();
});

function adapters(overrides: Partial<Parameters<typeof createAcrAdapters>[0]> = {}) {
  return createAcrAdapters({
    endpoint: sim.endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential: new StaticTokenCredential('local-dev-token'),
    // Generous: no test here is about a timeout, and a loaded machine must not turn present into unknown.
    timeoutMs: 5000,
    ...overrides,
  });
}

describe('AcrReplicaStatus', () => {
  it('when a push is replicating, then each region answers present only once its replica holds the digest', async () => {
    const { replicaStatus } = adapters();
    // Both replicas are held back, so "absent" cannot race the replication delay on a slow machine.
    sim.setFaults({ stuckRegions: ['westeurope', 'southeastasia'] });
    const push = sim.push({ repository: 'team/my-app', tag: '1.4.0' });

    expect(await replicaStatus.check('eastus', 'team/my-app', push.digest)).toBe('present');
    expect(await replicaStatus.check('westeurope', 'team/my-app', push.digest)).toBe('absent');
    expect(await replicaStatus.check('southeastasia', 'team/my-app', push.digest)).toBe('absent');

    sim.setFaults({ stuckRegions: ['southeastasia'] });
    while (!sim.holds('westeurope', 'team/my-app', push.digest)) await new Promise((r) => setTimeout(r, 20));
    expect(await replicaStatus.check('westeurope', 'team/my-app', push.digest)).toBe('present');
    expect(await replicaStatus.check('southeastasia', 'team/my-app', push.digest)).toBe('absent');
  });

  it('when a digest was never pushed, then every region answers absent', async () => {
    const { replicaStatus } = adapters();
    sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', UNKNOWN_DIGEST)).toBe('absent');
    expect(await replicaStatus.check('eastus', 'other-repo', UNKNOWN_DIGEST)).toBe('absent');
  });

  it('when the digest is a multi-arch index and ACR requires every Accept type, then the adapter still gets present', async () => {
    const { replicaStatus } = adapters();
    const push = sim.push({
      repository: 'my-app',
      tag: 'multi',
      mediaType: 'application/vnd.oci.image.index.v1+json',
    });

    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');

    // The switch really bites: a client sending only the single-manifest types gets 404.
    const narrow = await fetch(`${sim.endpoint}/v2/my-app/manifests/${push.digest}`, {
      method: 'HEAD',
      headers: {
        Accept:
          'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
        Authorization: `Bearer ${await handToken(sim.endpoint, sim.loginServer, 'repository:my-app:pull')}`,
      },
    });
    expect(narrow.status).toBe(404);
  });

  it('when no regional endpoint is configured, then it answers unknown without calling the registry', async () => {
    const { replicaStatus, stats } = adapters({ regionalEndpoint: undefined });
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('unknown');
    expect(stats()).toEqual({ requests: 0, tokenRequests: 0 });
  });

  it.each([
    ['a repository with upper case', 'eastus', 'My-App', UNKNOWN_DIGEST],
    ['a repository with a path traversal', 'eastus', 'my-app/../../x', UNKNOWN_DIGEST],
    ['a repository with a query', 'eastus', 'my-app?x=1', UNKNOWN_DIGEST],
    ['a non-sha256 digest', 'eastus', 'my-app', 'md5:abc'],
    ['a digest with a path', 'eastus', 'my-app', `${UNKNOWN_DIGEST}/../x`],
    ['a region that is a URL', 'evil.com/x', 'my-app', UNKNOWN_DIGEST],
  ])(
    'when given %s, then it answers unknown before any request',
    async (_name, region, repository, digest) => {
      const { replicaStatus, stats } = adapters();
      expect(await replicaStatus.check(region, repository, digest)).toBe('unknown');
      expect(stats()).toEqual({ requests: 0, tokenRequests: 0 });
      expect(sim.requestCounts()).toEqual({});
    },
  );

  it('when the repository has several path components, then each is its own path segment', async () => {
    const { replicaStatus } = adapters();
    const push = sim.push({ repository: 'a/b/c-d_e.f', tag: 'v1' });
    expect(await replicaStatus.check('eastus', 'a/b/c-d_e.f', push.digest)).toBe('present');
  });
});
