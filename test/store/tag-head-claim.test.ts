// The tag head and its tag->digest row are claimed in one transaction on Azurite: both or neither,
// and a stale ETag (another delivery moved the head) writes nothing.
import { describe, expect, it } from 'vitest';
import { storeOnFreshTables } from './support';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('claimTagHead', () => {
  it('when the head is claimed, then the head and the tag->digest row exist, in one table operation', async () => {
    const { store } = storeOnFreshTables();
    await store.getTagHead('my-app', 'warm'); // creates the tables
    const before = store.operations;
    const head = {
      repository: 'my-app',
      tag: '1.0',
      digest: digest('a'),
      releaseId: '8235000000000-0123456789ab',
      pushedAt: '2026-12-02T06:00:00.000Z',
      generation: 1,
    };
    expect(await store.claimTagHead(head)).toBe('ok');
    expect(store.operations - before).toBe(1);
    expect((await store.getTagHead('my-app', '1.0'))?.releaseId).toBe(head.releaseId);
    expect(await store.getTagDigestRelease('my-app', '1.0', digest('a'))).toBe(head.releaseId);
  });

  it('when the ETag is stale, then it is a conflict and neither the head nor the digest row changes', async () => {
    const { store } = storeOnFreshTables();
    const first = {
      repository: 'my-app',
      tag: '1.0',
      digest: digest('a'),
      releaseId: '8235000000000-0123456789ab',
      pushedAt: '2026-12-02T06:00:00.000Z',
      generation: 1,
    };
    expect(await store.claimTagHead(first)).toBe('ok');
    const current = (await store.getTagHead('my-app', '1.0'))!;
    expect(
      await store.claimTagHead({
        ...first,
        digest: digest('b'),
        releaseId: '8234999999999-0123456789ab',
        generation: 2,
        etag: current.etag,
      }),
    ).toBe('ok');
    const stale = {
      ...first,
      digest: digest('c'),
      releaseId: '8234999999998-0123456789ab',
      generation: 2,
      etag: current.etag,
    };
    expect(await store.claimTagHead(stale)).toBe('conflict');
    expect((await store.getTagHead('my-app', '1.0'))?.digest).toBe(digest('b'));
    expect(await store.getTagDigestRelease('my-app', '1.0', digest('c'))).toBeUndefined();
  });

  it('when the claim carries a pending release, then head, digest row and pending record are one operation, read back exactly, listed, and cleared', async () => {
    const { store } = storeOnFreshTables();
    await store.getTagHead("o'brien/app", 'warm'); // creates the tables
    const releaseId = '8235000000000-0123456789ab';
    const release = {
      id: releaseId,
      repository: "o'brien/app",
      tag: "it's",
      digest: digest('d'),
      pushedAt: '2026-12-02T06:00:00.000Z',
      source: 'webhook' as const,
      announcedBy: 'eastus',
      createdAt: '2026-12-02T06:00:01.000Z',
      status: 'active' as const,
      regions: ['eastus', 'westeurope'],
      verification: 'unverified' as const,
      verificationReason: 'registry did not answer in time',
    };
    const signal = {
      repository: release.repository,
      digest: release.digest,
      region: 'eastus',
      receivedAt: '2026-12-02T06:00:01.000Z',
      eventAt: '2026-12-02T06:00:00.500Z',
    };
    const targets = { eastus: ['default/Deployment/app/app'], westeurope: ['default/Deployment/app/app'] };
    const head = {
      repository: release.repository,
      tag: release.tag,
      digest: release.digest,
      releaseId,
      pushedAt: release.pushedAt,
      generation: 3,
      recentDigests: [digest('d'), digest('e')],
      digestsDropped: true,
      unverified: true,
    };
    const before = store.operations;
    expect(await store.claimTagHead(head, { release, targets, signal })).toBe('ok');
    expect(store.operations - before).toBe(1);
    expect(await store.getTagHead(release.repository, release.tag)).toMatchObject({
      recentDigests: head.recentDigests,
      digestsDropped: true,
      unverified: true,
    });
    expect(await store.getPendingRelease(release.repository, releaseId)).toEqual({
      release,
      targets,
      signal,
    });
    expect(await store.listPendingReleases(release.repository)).toEqual([{ release, targets, signal }]);
    // Not another repository's, and no tag head or digest row is listed as pending.
    expect(await store.listPendingReleases('o-brien/app')).toEqual([]);
    await store.clearPendingRelease(release.repository, releaseId);
    await store.clearPendingRelease(release.repository, releaseId); // absent: nothing to do
    expect(await store.listPendingReleases(release.repository)).toEqual([]);
    expect(await store.getTagDigestRelease(release.repository, release.tag, release.digest)).toBe(releaseId);
  });
});
