// The timer's scan: recent tags of a repository on the home registry, newest first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticTokenCredential } from '../../src/adapters/platform/credential';
import { createAcrAdapters } from '../../src/adapters/registry/registry-adapters';
import { nextLink } from '../../src/adapters/registry/tag-listing';
import { AcrSimulator, type PushRecord } from '../../dev/acr-simulator';

let sim: AcrSimulator;

beforeEach(async () => {
  sim = await AcrSimulator.start({
    regions: ['eastus', 'westeurope'],
    home: 'eastus',
    defaultDelayMs: 0,
    tagsPageSize: 3,
  });
});
afterEach(async () => {
  await sim.stop();
});

function adapters() {
  return createAcrAdapters({
    endpoint: sim.endpoint,
    regionalEndpoint: sim.regionalEndpoint,
    credential: new StaticTokenCredential('local-dev-token'),
    timeoutMs: 500,
    backoffBaseMs: 10,
    sleep: () => Promise.resolve(), // retries do not wait real time
  });
}

async function pushTags(repository: string, tags: string[]): Promise<PushRecord[]> {
  const pushes: PushRecord[] = [];
  for (const tag of tags) {
    pushes.push(sim.push({ repository, tag }));
    await new Promise((r) => setTimeout(r, 3)); // distinct push times
  }
  return pushes;
}

describe('AcrRegistryListing', () => {
  it('when tags span several pages, then it follows Link headers and returns them newest first', async () => {
    const { registryListing } = adapters();
    const pushes = await pushTags('team/my-app', [
      '1.0.0',
      '1.1.0',
      '1.2.0',
      '1.3.0',
      '1.4.0',
      '2.0.0',
      '2.1.0',
    ]);

    const listed = await registryListing.recentTags('team/my-app', 7);

    expect(listed).toEqual(
      [...pushes].reverse().map((p) => ({ tag: p.tag, digest: p.digest, updatedAt: p.pushedAt })),
    );
    expect(sim.requestCount('eastus', 'tags')).toBe(1 + 3); // one challenge, then pages of 3, 3, 1
  });

  it('when fewer tags are wanted than exist, then it stops paging once it has them', async () => {
    const { registryListing } = adapters();
    const pushes = await pushTags('my-app', ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const listed = await registryListing.recentTags('my-app', 4);
    expect(listed.map((t) => t.tag)).toEqual(['g', 'f', 'e', 'd']);
    expect(listed[0]?.digest).toBe(pushes[6]?.digest);
    expect(sim.requestCount('eastus', 'tags')).toBe(1 + 2);
  });

  it('when a tag is pushed again, then it is listed once, with the new digest', async () => {
    const { registryListing } = adapters();
    await pushTags('my-app', ['latest', 'v1']);
    const again = sim.push({ repository: 'my-app', tag: 'latest' });
    const listed = await registryListing.recentTags('my-app', 10);
    expect(listed.map((t) => t.tag)).toEqual(['latest', 'v1']);
    expect(listed[0]?.digest).toBe(again.digest);
  });

  it('when the repository does not exist, then it lists nothing', async () => {
    const { registryListing } = adapters();
    expect(await registryListing.recentTags('nothing-here', 5)).toEqual([]);
  });

  it('when the registry keeps failing, then it throws a clear error', async () => {
    const { registryListing } = adapters();
    await pushTags('my-app', ['v1']);
    sim.setFaults({ registry: { eastus: { kind: '503' } } });
    await expect(registryListing.recentTags('my-app', 5)).rejects.toThrow(/listing tags of my-app: HTTP 503/);
  });

  it('when the credential is refused, then it throws', async () => {
    const { registryListing } = createAcrAdapters({
      endpoint: sim.endpoint,
      credential: new StaticTokenCredential('wrong'),
    });
    await pushTags('my-app', ['v1']);
    await expect(registryListing.recentTags('my-app', 5)).rejects.toThrow(/exchange answered 401/);
  });

  it('when a paging link points at another host, then it throws instead of following it', async () => {
    const followed: string[] = [];
    const { registryListing } = createAcrAdapters({
      endpoint: sim.endpoint,
      credential: new StaticTokenCredential('local-dev-token'),
      fetchImpl: async (input, init) => {
        followed.push(input as string);
        const res = await fetch(input, init);
        if (!res.headers.has('link')) return res;
        const headers = new Headers(res.headers);
        headers.set('link', '<https://attacker.example/acr/v1/my-app/_tags?last=x>; rel="next"');
        return new Response(await res.text(), { status: res.status, headers });
      },
    });
    await pushTags('my-app', ['a', 'b', 'c', 'd']);
    await expect(registryListing.recentTags('my-app', 10)).rejects.toThrow(
      /paging link outside the registry/,
    );
    expect(followed.every((u) => u.startsWith(sim.url))).toBe(true);
  });

  it.each(['My-App', '../x', 'a//b', 'a?b=c', ''])(
    'when the repository is %j, then it throws before any request',
    async (repository) => {
      const { registryListing, stats } = adapters();
      await expect(registryListing.recentTags(repository, 5)).rejects.toThrow(/invalid repository/);
      expect(stats()).toEqual({ requests: 0, tokenRequests: 0 });
    },
  );

  it.each([
    ['</acr/v1/a/_tags?last=x&n=2>; rel="next"', '/acr/v1/a/_tags?last=x&n=2'],
    ['<https://r.io/acr/v1/a/_tags?last=x>; rel=next', 'https://r.io/acr/v1/a/_tags?last=x'],
    ['</a>; rel="prev", </acr/v1/a/_tags?last=y>; rel="next"', '/acr/v1/a/_tags?last=y'],
    ['</acr/v1/a/_tags?last=x>; rel="prev"', undefined],
    [null, undefined],
  ])('when the Link header is %j, then the next page is %j', (header, expected) => {
    expect(nextLink(header)).toBe(expected);
  });
});
