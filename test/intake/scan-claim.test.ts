// The tag scan goes through the same claim and write-out as the webhook (src/app/intake/
// pending-release.ts): a push it finds is claimed with its pending record and written out at
// once; a release the webhook claimed is written out from its record; a tag head that names a
// release neither written nor pending (a claim made without a record) gets its release from
// the sighting. On the in-memory store, with the registry's tag listing faked.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scanRegistry } from '../../src/app/intake/scan-registry';
import { receiveWebhook } from '../../src/app/intake/receive-webhook';
import { Logger, silentSink } from '../../src/app/platform/logger';
import { makeReleaseId } from '../../src/core/intake/release-id';
import { pushPayload } from '../support/acr-payloads';
import { testConfig } from '../support/config';
import { fakeDeps } from '../support/fakes';
import { MemoryRolloutStore } from '../support/memory-store';

const REGIONS = ['eastus', 'westeurope', 'southeastasia'];
const log = new Logger(silentSink);
const digestOf = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

/** A world whose scan has started watching my-app (so later tags are the scan's to find). */
async function setup() {
  const store = new MemoryRolloutStore();
  const config = testConfig();
  const { clock, registry, deps } = fakeDeps(config, store);
  await scanRegistry(deps, log);
  clock.advance(10);
  /** The registry now lists my-app:tag on digest, pushed `ago` seconds before the clock. */
  const list = (tag: string, digest: string, ago = 5) => {
    const updatedAt = new Date(clock.now().getTime() - ago * 1000).toISOString();
    registry.tags.set('my-app', [{ tag, digest, updatedAt }]);
    return updatedAt;
  };
  return { store, config, clock, deps, list };
}

describe('the tag scan claims and writes out like the webhook', () => {
  it('when the scan finds a push whose webhook was lost, then it claims it and writes its release out at once, leaving no pending record', async () => {
    const { store, deps, list } = await setup();
    const digest = digestOf('lost 1.0.0');
    list('1.0.0', digest);
    expect(await scanRegistry(deps, log)).toMatchObject({ releasesCreated: 1, errors: 0 });
    const [release] = store.allReleases();
    expect(release).toMatchObject({
      tag: '1.0.0',
      digest,
      source: 'registry-scan',
      verification: 'verified',
    });
    expect((await store.listRollouts(release!.id, REGIONS)).map((r) => r.region).sort()).toEqual(
      [...REGIONS].sort(),
    );
    expect(await store.listPendingReleases('my-app')).toEqual([]);
    expect(await store.getTagHead('my-app', '1.0.0')).toMatchObject({ digest, releaseId: release!.id });
    // Found again: the same release, nothing new.
    expect(await scanRegistry(deps, log)).toMatchObject({ releasesCreated: 0, errors: 0 });
    expect(store.allReleases()).toHaveLength(1);
  });

  it('when the scan meets a release the webhook claimed and nobody wrote out, then it writes it out from its record (its source stays webhook)', async () => {
    const { store, config, deps, list, clock } = await setup();
    const digest = digestOf('claimed 2.0.0');
    const res = await receiveWebhook(
      deps,
      {
        authorization: `Bearer ${config.webhookSecrets[0]}`,
        body: Buffer.from(
          JSON.stringify(
            pushPayload({ repository: 'my-app', tag: '2.0.0', digest, timestamp: clock.now().toISOString() }),
          ),
        ),
      },
      log,
    );
    const id = res.body.releases?.[0];
    expect(id).toBeDefined();
    expect(await store.getRelease(id!), 'claimed only').toBeUndefined();
    list('2.0.0', digest, 0);
    expect(await scanRegistry(deps, log)).toMatchObject({ releasesCreated: 0, errors: 0 });
    expect(await store.getRelease(id!)).toMatchObject({ source: 'webhook', tag: '2.0.0', status: 'active' });
    expect(await store.listPendingReleases('my-app')).toEqual([]);
  });

  it('when a tag head names a release that is neither written nor pending, then the scan writes that release out from its sighting', async () => {
    const { store, deps, list } = await setup();
    const digest = digestOf('headless 3.0.0');
    const pushedAt = list('3.0.0', digest);
    const releaseId = makeReleaseId({ repository: 'my-app', tag: '3.0.0', digest, pushedAt, generation: 1 });
    // A claim without a pending record, and nothing after it.
    const head = { repository: 'my-app', tag: '3.0.0', digest, releaseId, pushedAt, generation: 1 };
    expect(await store.claimTagHead(head)).toBe('ok');
    expect(await scanRegistry(deps, log)).toMatchObject({ releasesCreated: 0, errors: 0 });
    expect(await store.getRelease(releaseId)).toMatchObject({
      tag: '3.0.0',
      digest,
      pushedAt,
      source: 'registry-scan',
      status: 'active',
    });
    expect(await store.listRollouts(releaseId, REGIONS)).toHaveLength(REGIONS.length);
  });
});
