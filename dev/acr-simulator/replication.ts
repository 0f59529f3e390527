// The registry's content per region and the eventually-consistent replication between them:
// a push lands in the receiving region at once and in every other region after its delay.
// A tag moves per region as each push lands there, so replicas can disagree on a tag.
import { createHash, randomUUID } from 'node:crypto';
import { isDigest, isRepository, isTag } from '../../src/core/model/names';
import type { Prng } from './prng';
import type { DelaySpec, PushInput, PushRecord } from './types';

export const DEFAULT_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export interface StoredManifest {
  digest: string;
  mediaType: string;
  body: string;
  landedAt: Date;
}

export interface StoredTag {
  name: string;
  digest: string;
  createdTime: Date;
  lastUpdateTime: Date;
  /** Push time of the push that set it, so a late-landing older push cannot move it back. */
  pushedAt: Date;
}

class RegionStore {
  readonly manifests = new Map<string, Map<string, StoredManifest>>();
  readonly tags = new Map<string, Map<string, StoredTag>>();
}

export interface ReplicationHooks {
  onLand(region: string, push: PushRecord): void;
  onDelete(region: string, repository: string, digest: string, mediaType: string): void;
}

export class Replication {
  private readonly stores = new Map<string, RegionStore>();
  private readonly pushes: PushRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Landings held back because their region is stuck. */
  private parked: Array<{ region: string; push: PushRecord }> = [];
  private readonly waiters: Array<{ repository: string; digest: string; resolve: () => void }> = [];
  /** Who waits for a landing to come due in a stuck region (a test's "it did not land" signal). */
  private parkWaiters: Array<{ region: string; digest: string; resolve: () => void }> = [];
  private stuck = new Set<string>();
  private nonce = 0;

  constructor(
    readonly regions: readonly string[],
    readonly home: string,
    private readonly prng: Prng,
    private readonly delayFor: (region: string) => DelaySpec,
    private readonly hooks: ReplicationHooks,
  ) {
    for (const r of regions) this.stores.set(r, new RegionStore());
  }

  push(input: PushInput): PushRecord {
    if (!isRepository(input.repository))
      throw new Error(`invalid repository ${JSON.stringify(input.repository)}`);
    const tag = input.tag ?? '';
    if (tag !== '' && !isTag(tag)) throw new Error(`invalid tag ${JSON.stringify(tag)}`);
    if (input.digest !== undefined && !isDigest(input.digest))
      throw new Error(`invalid digest ${JSON.stringify(input.digest)}`);
    const receiving = input.receivingRegion ?? this.home;
    if (!this.stores.has(receiving)) throw new Error(`unknown region ${receiving}`);
    const mediaType = input.mediaType ?? DEFAULT_MEDIA_TYPE;
    const body = this.syntheticManifest(mediaType);
    const digest = input.digest ?? `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const pushedAt = new Date();
    const record: PushRecord = {
      id: randomUUID(),
      repository: input.repository,
      tag,
      digest,
      mediaType,
      size: Buffer.byteLength(body),
      receivingRegion: receiving,
      pushedAt: pushedAt.toISOString(),
      regions: {},
      ...(input.webhooks === false ? { webhooks: false as const } : {}),
    };
    this.pushes.push(record);
    bodies.set(record, body);
    for (const region of this.regions) {
      if (region === receiving) continue;
      const delay = Math.max(0, this.prng.delay(this.delayFor(region)));
      record.regions[region] = { dueAt: new Date(pushedAt.getTime() + delay).toISOString() };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.land(region, record);
      }, delay);
      this.timers.add(timer);
    }
    record.regions[receiving] = { dueAt: record.pushedAt };
    this.land(receiving, record);
    return record;
  }

  /** Deletes a manifest (and the tags on it) everywhere at once; fires delete per region. */
  deleteManifest(repository: string, digest: string): boolean {
    let found = false;
    for (const region of this.regions) {
      const store = this.stores.get(region)!;
      const m = store.manifests.get(repository)?.get(digest);
      if (!m) continue;
      found = true;
      store.manifests.get(repository)!.delete(digest);
      const tags = store.tags.get(repository);
      for (const [name, t] of tags ?? []) if (t.digest === digest) tags!.delete(name);
      this.hooks.onDelete(region, repository, digest, m.mediaType);
    }
    return found;
  }

  setStuck(regions: string[]): void {
    this.stuck = new Set(regions);
    const resume = this.parked.filter((p) => !this.stuck.has(p.region));
    this.parked = this.parked.filter((p) => this.stuck.has(p.region));
    for (const p of resume) this.land(p.region, p.push);
  }

  holds(region: string, repository: string, digest: string): boolean {
    return this.stores.get(region)?.manifests.get(repository)?.has(digest) ?? false;
  }

  replicatedAt(region: string, repository: string, digest: string): Date | undefined {
    return this.stores.get(region)?.manifests.get(repository)?.get(digest)?.landedAt;
  }

  manifest(region: string, repository: string, reference: string): StoredManifest | undefined {
    const store = this.stores.get(region);
    const digest = isDigest(reference) ? reference : store?.tags.get(repository)?.get(reference)?.digest;
    return digest ? store?.manifests.get(repository)?.get(digest) : undefined;
  }

  hasRepository(region: string, repository: string): boolean {
    return (this.stores.get(region)?.manifests.get(repository)?.size ?? 0) > 0;
  }

  tags(region: string, repository: string): StoredTag[] {
    return [...(this.stores.get(region)?.tags.get(repository)?.values() ?? [])];
  }

  /** Resolves once every region holds (repository, digest). */
  whenReplicated(repository: string, digest: string): Promise<void> {
    if (this.regions.every((r) => this.holds(r, repository, digest))) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ repository, digest, resolve }));
  }

  /** Resolves once a landing of `digest` came due in `region` and was held back (it is stuck). */
  whenParked(region: string, digest: string): Promise<void> {
    if (this.parked.some((p) => p.region === region && p.push.digest === digest)) return Promise.resolve();
    return new Promise((resolve) => this.parkWaiters.push({ region, digest, resolve }));
  }

  allPushes(): readonly PushRecord[] {
    return this.pushes;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.parked = [];
  }

  private land(region: string, push: PushRecord): void {
    if (this.stuck.has(region)) {
      record(push, region, undefined);
      this.parked.push({ region, push });
      const ready = this.parkWaiters.filter((w) => w.region === region && w.digest === push.digest);
      this.parkWaiters = this.parkWaiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
      return;
    }
    const store = this.stores.get(region)!;
    const now = new Date();
    let repo = store.manifests.get(push.repository);
    if (!repo) store.manifests.set(push.repository, (repo = new Map()));
    if (!repo.has(push.digest))
      repo.set(push.digest, {
        digest: push.digest,
        mediaType: push.mediaType,
        body: bodies.get(push)!,
        landedAt: now,
      });
    if (push.tag !== '') {
      let tags = store.tags.get(push.repository);
      if (!tags) store.tags.set(push.repository, (tags = new Map()));
      const current = tags.get(push.tag);
      const pushedAt = new Date(push.pushedAt);
      if (!current || current.pushedAt.getTime() <= pushedAt.getTime())
        tags.set(push.tag, {
          name: push.tag,
          digest: push.digest,
          createdTime: current?.createdTime ?? now,
          lastUpdateTime: pushedAt,
          pushedAt,
        });
    }
    record(push, region, now);
    this.hooks.onLand(region, push);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.regions.every((r) => this.holds(r, w.repository, w.digest))) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private syntheticManifest(mediaType: string): string {
    const salt = `${Date.now()}-${++this.nonce}-${this.prng.next()}`;
    const index = mediaType.includes('index') || mediaType.includes('list');
    return JSON.stringify(
      index
        ? { schemaVersion: 2, mediaType, manifests: [], annotations: { 'sim.salt': salt } }
        : {
            schemaVersion: 2,
            mediaType,
            config: {
              mediaType: 'application/vnd.oci.image.config.v1+json',
              size: 2,
              digest: `sha256:${'0'.repeat(64)}`,
            },
            layers: [],
            annotations: { 'sim.salt': salt },
          },
    );
  }
}

const bodies = new WeakMap<PushRecord, string>();

function record(push: PushRecord, region: string, landedAt: Date | undefined): void {
  const entry = push.regions[region] ?? {};
  if (landedAt) entry.landedAt = landedAt.toISOString();
  else entry.dueAt = undefined;
  push.regions[region] = entry;
}
