// The ACR token flow (challenge -> exchange -> token) against the simulator's token service.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { AcrClient } from '../../src/adapters/registry/client';
import { AcrHttp } from '../../src/adapters/registry/http';
import { AcrReplicaStatus } from '../../src/adapters/registry/replica-status';
import { AcrTokenProvider } from '../../src/adapters/registry/token-provider';
import { parseBearerChallenge } from '../../src/adapters/registry/challenge';
import { AcrSimulator } from '../../dev/acr-simulator';

let sim: AcrSimulator;

beforeEach(async () => {
  sim = await AcrSimulator.start({ regions: ['eastus', 'westeurope'], home: 'eastus', defaultDelayMs: 0 });
});
afterEach(async () => {
  await sim.stop();
});

function adapters(credential: TokenCredential = new StaticTokenCredential('local-dev-token')) {
  return createAcrAdapters({
    endpoint: sim.endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential,
    timeoutMs: 1000,
  });
}

const exchanges = (region: string): number => sim.requestCount(region, 'exchange');
const tokens = (region: string): number => sim.requestCount(region, 'token');

describe('Bearer challenge parsing', () => {
  it.each([
    [
      'Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io"',
      { realm: 'https://r.azurecr.io/oauth2/token', service: 'r.azurecr.io', scope: undefined },
    ],
    [
      'Bearer service="r.azurecr.io", scope="repository:a/b:pull,push", realm="https://r.azurecr.io/oauth2/token"',
      {
        realm: 'https://r.azurecr.io/oauth2/token',
        service: 'r.azurecr.io',
        scope: 'repository:a/b:pull,push',
      },
    ],
    [
      'bearer realm=https://r.azurecr.io/oauth2/token,service=r.azurecr.io,error="invalid_token"',
      { realm: 'https://r.azurecr.io/oauth2/token', service: 'r.azurecr.io', scope: undefined },
    ],
  ])('when the header is %s, then realm, service and scope are read', (header, expected) => {
    expect(parseBearerChallenge(header)).toEqual(expected);
  });

  it.each([null, '', 'Basic realm="x"', 'Bearer realm="https://x/oauth2/token"', 'Bearer service="x"'])(
    'when the header is %s, then there is no usable challenge',
    (header) => {
      expect(parseBearerChallenge(header)).toBeUndefined();
    },
  );
});

describe('AcrTokenProvider through the adapters', () => {
  it('when checks repeat, then the refresh and access tokens are cached per host and scope', async () => {
    const { replicaStatus, stats } = adapters();
    const a = sim.push({ repository: 'app-a', tag: '1' });
    const b = sim.push({ repository: 'app-b', tag: '1' });
    await sim.whenReplicated('app-a', a.digest);
    await sim.whenReplicated('app-b', b.digest);

    for (let i = 0; i < 3; i++)
      expect(await replicaStatus.check('eastus', 'app-a', a.digest)).toBe('present');
    expect(exchanges('eastus')).toBe(1);
    expect(tokens('eastus')).toBe(1);

    // Another scope on the same host: a new access token, the same refresh token.
    expect(await replicaStatus.check('eastus', 'app-b', b.digest)).toBe('present');
    expect(exchanges('eastus')).toBe(1);
    expect(tokens('eastus')).toBe(2);

    // Another regional endpoint is another host: its own challenge, exchange and token.
    expect(await replicaStatus.check('westeurope', 'app-a', a.digest)).toBe('present');
    expect(exchanges('westeurope')).toBe(1);
    expect(tokens('westeurope')).toBe(1);
    expect(stats().tokenRequests).toBe(5);
    // 3 + 1 + 1 checks, plus one unauthenticated challenge per host.
    expect(stats().requests).toBe(5 + 2);
  });

  it('when 10 checks start at once on a cold cache, then they share one exchange and one token request', async () => {
    const { replicaStatus } = adapters();
    const push = sim.push({ repository: 'my-app', tag: '1' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => replicaStatus.check('eastus', 'my-app', push.digest)),
    );
    expect(results).toEqual(Array(10).fill('present'));
    expect(exchanges('eastus')).toBe(1);
    expect(tokens('eastus')).toBe(1);
  });

  it('when the credential gives a tenant-bearing JWT, then the exchange accepts it and sends the tenant', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const entra = `${b64({ alg: 'none' })}.${b64({ tid: '72f988bf-86f1-41af-91ab-2d7cd011db47', exp: 9999999999 })}.sig`;
    sim.aadToken = entra;
    const seen: string[] = [];
    const { replicaStatus } = createAcrAdapters({
      endpoint: sim.endpoint,
      regionalEndpoint: sim.regionalEndpoint,
      credential: new StaticTokenCredential(entra),
      fetchImpl: (input, init) => {
        // The adapter always passes a string URL and a string form body.
        if ((input as string).endsWith('/oauth2/exchange')) seen.push(init?.body as string);
        return fetch(input, init);
      },
    });
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    const form = new URLSearchParams(seen[0]);
    expect(form.get('grant_type')).toBe('access_token');
    expect(form.get('service')).toBe(sim.loginServer);
    expect(form.get('tenant')).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
    expect(form.get('access_token')).toBe(entra);
  });

  it('when the registry refuses the Entra token, then the check answers unknown', async () => {
    const { replicaStatus } = adapters(new StaticTokenCredential('not-the-right-token'));
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('unknown');
  });

  it('when the credential itself fails, then the check answers unknown', async () => {
    const failing: TokenCredential = {
      getToken: (): Promise<AccessToken | null> => Promise.reject(new Error('no identity')),
    };
    const { replicaStatus } = adapters(failing);
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('unknown');
  });

  it('when access tokens expire (short TTL), then a fresh one is fetched with the cached refresh token', async () => {
    sim.accessTokenTtlSeconds = 1;
    // The adapters' own parts, wired as createAcrAdapters does, but the token cache reads a fake
    // clock: the test moves it past the token's use-until instead of sleeping through its life.
    let nowMs = Date.now();
    const http = new AcrHttp({
      fetchImpl: fetch,
      timeoutMs: 1000,
      maxAttempts: 3,
      totalBudgetMs: 5000,
      backoffBaseMs: 200,
      random: Math.random,
    });
    const provider = new AcrTokenProvider({
      credential: new StaticTokenCredential('local-dev-token'),
      http,
      trustedOrigins: [new URL(sim.endpoint).origin],
      now: () => nowMs,
    });
    const replicaStatus = new AcrReplicaStatus(new AcrClient(http, provider), sim.regionalEndpoint);
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    expect(tokens('eastus')).toBe(1);
    // Still inside its use-until: served from the cache.
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    expect(tokens('eastus')).toBe(1);
    nowMs += 2100; // the token lives 1-2 s (JWT exp is in whole seconds)
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    expect(tokens('eastus')).toBe(2);
    expect(exchanges('eastus')).toBe(1);
    // Refreshed ahead of expiry: no 401 round trip was needed (1 challenge + 3 checks).
    expect(sim.requestCount('eastus', 'manifest')).toBe(4);
  });

  it('when the registry revokes a cached access token, then the adapter drops it and retries once', async () => {
    const { replicaStatus } = adapters();
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    sim.revokeTokens('access');
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    expect(tokens('eastus')).toBe(2);
    expect(exchanges('eastus')).toBe(1);
  });

  it('when the registry revokes every token, then the adapter exchanges again and recovers', async () => {
    const { replicaStatus } = adapters();
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    sim.revokeTokens('all');
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('present');
    expect(exchanges('eastus')).toBe(2);
  });

  it('when a challenge points the token realm at another host, then no token is sent there', async () => {
    const leaked: string[] = [];
    const { replicaStatus } = createAcrAdapters({
      endpoint: sim.endpoint,
      regionalEndpoint: sim.regionalEndpoint,
      credential: new StaticTokenCredential('local-dev-token'),
      fetchImpl: async (input, init) => {
        const url = input as string;
        if (!url.includes('127.0.0.1')) leaked.push(url);
        const res = await fetch(input, init);
        if (res.status !== 401) return res;
        // A compromised or misconfigured server names a foreign realm.
        return new Response(null, {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer realm="https://attacker.example/oauth2/token",service="x"' },
        });
      },
    });
    const push = sim.push({ repository: 'my-app', tag: '1' });
    expect(await replicaStatus.check('eastus', 'my-app', push.digest)).toBe('unknown');
    expect(leaked).toEqual([]);
    expect(exchanges('eastus')).toBe(0);
  });
});
