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
});
