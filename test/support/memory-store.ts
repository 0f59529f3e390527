// An in-memory RolloutStore with the same ETag semantics as the Table store (create fails on
// existing, replace fails on a stale etag, commitRegion is all-or-nothing). Used where many
// thousands of property-test cases must run fast; the Table store runs the same cases on Azurite.
// It holds typed records, so it never has a corrupt row to report (that is test/store's concern).
import type { LedgerEntry, ReadinessSignal, RegionRollout, Release } from '../../src/core/model/records';
import {
  auditRowKey,
  byPlacement,
  type AuditEntry,
  type Hold,
  type Rejection,
} from '../../src/core/operator/controls';
import type {
  ActiveReleaseEntry,
  RegionGate,
  ReleasePage,
  RolloutStore,
  VerificationUpdate,
  WriteResult,
} from '../../src/core/model/store';
import type { DeliveryRecord, PendingRelease, TagHead } from '../../src/core/intake/store';
import type { CommitOptions, CommitResult } from '../../src/core/rollout/store';
import type {
  AuditAppendOptions,
  AuditCompletion,
  AuditPage,
  HoldPlacement,
  ReleaseAmendment,
} from '../../src/core/operator/store';

const clone = <T>(v: T): T => structuredClone(v);

export class MemoryRolloutStore implements RolloutStore {
  private seq = 0;
  private readonly deliveries = new Map<string, DeliveryRecord>();
  private readonly signals = new Map<string, ReadinessSignal>();
  private readonly heads = new Map<string, TagHead>();
  private readonly tagDigests = new Map<string, string>();
  private readonly pending = new Map<string, PendingRelease>();
  private readonly watches = new Map<string, string>();
  private readonly releases = new Map<string, Release>();
  /** The active index, each entry with its ETag (a retry's reactivation writes it anew). */
  private readonly active = new Map<string, { entry: ActiveReleaseEntry; etag: string }>();
  private readonly rollouts = new Map<string, RegionRollout>();
  private readonly ledger = new Map<string, LedgerEntry>();
  /** One hold per scope (`region|workload`, `region|*`), as the table's region partitions. */
  private readonly holds = new Map<string, Hold>();
  /** Each region's gate version: bumped by every hold placed there and every claim. */
  private readonly gates = new Map<string, number>();
  private readonly rejections = new Map<string, Rejection>();
  private readonly audit = new Map<string, AuditEntry>();
  operations = 0;
  /** Every ledger write, in order: lets tests prove a workload never moved to an older release. */
  readonly ledgerHistory: Array<{ before?: LedgerEntry | undefined; after: LedgerEntry }> = [];

  private etag(): string {
    return `W/"${++this.seq}"`;
  }
  private async tick(): Promise<void> {
    this.operations++;
    // Yield so concurrent callers interleave as they would over the network.
    await new Promise((r) => setImmediate(r));
  }

  async getDelivery(day: string, key: string) {
    await this.tick();
    const found = this.deliveries.get(`${day}|${key}`);
    return found ? clone(found) : undefined;
  }
  async recordDelivery(d: DeliveryRecord) {
    await this.tick();
    const k = `${d.day}|${d.key}`;
    const existing = this.deliveries.get(k);
    if (existing) return { result: 'duplicate' as const, existing: clone(existing) };
    this.deliveries.set(k, clone(d));
    return { result: 'created' as const };
  }
  async completeDelivery(d: DeliveryRecord) {
    await this.tick();
    this.deliveries.set(`${d.day}|${d.key}`, clone(d));
  }

  async recordSignal(s: ReadinessSignal) {
    await this.tick();
    const k = `${s.repository}@${s.digest}|${s.region}`;
    if (this.signals.has(k)) return 'duplicate' as const;
    this.signals.set(k, clone(s));
    return 'created' as const;
  }
  async listSignals(repository: string, digest: string) {
    await this.tick();
    return [...this.signals.values()]
      .filter((s) => s.repository === repository && s.digest === digest)
      .map(clone);
  }

  async getTagHead(repository: string, tag: string) {
    await this.tick();
    const h = this.heads.get(`${repository}:${tag}`);
    return h ? clone(h) : undefined;
  }
  async putTagHead(head: TagHead): Promise<WriteResult> {
    await this.tick();
    const k = `${head.repository}:${head.tag}`;
    const cur = this.heads.get(k);
    if (head.etag ? cur?.etag !== head.etag : cur !== undefined) return 'conflict';
    this.heads.set(k, { ...clone(head), etag: this.etag() });
    return 'ok';
  }
  /** As the table adapter: the head, its tag->digest row and the pending release, all or nothing. */
  async claimTagHead(head: TagHead, pending?: PendingRelease): Promise<WriteResult> {
    await this.tick();
    const k = `${head.repository}:${head.tag}`;
    const cur = this.heads.get(k);
    if (head.etag ? cur?.etag !== head.etag : cur !== undefined) return 'conflict';
    this.heads.set(k, { ...clone(head), etag: this.etag() });
    this.tagDigests.set(`${head.repository}:${head.tag}@${head.digest}`, head.releaseId);
    if (pending) this.pending.set(`${head.repository}|${pending.release.id}`, clone(pending));
    return 'ok';
  }
  async getPendingRelease(repository: string, releaseId: string) {
    await this.tick();
    const p = this.pending.get(`${repository}|${releaseId}`);
    return p ? clone(p) : undefined;
  }
  async listPendingReleases(repository: string) {
    await this.tick();
    return [...this.pending.values()].filter((p) => p.release.repository === repository).map(clone);
  }
  async clearPendingRelease(repository: string, releaseId: string) {
    await this.tick();
    this.pending.delete(`${repository}|${releaseId}`);
  }
  async recordTagDigest(repository: string, tag: string, digest: string, releaseId: string) {
    await this.tick();
    this.tagDigests.set(`${repository}:${tag}@${digest}`, releaseId);
  }
  async getTagDigestRelease(repository: string, tag: string, digest: string) {
    await this.tick();
    return this.tagDigests.get(`${repository}:${tag}@${digest}`);
  }
  async setWatchStartIfAbsent(repository: string, at: string) {
    await this.tick();
    if (!this.watches.has(repository)) this.watches.set(repository, at);
    return this.watches.get(repository)!;
  }

  async ensureRelease(release: Release, rollouts: RegionRollout[], active: ActiveReleaseEntry) {
    await this.tick();
    for (const r of rollouts) {
      const k = `${r.region}|${r.releaseId}`;
      if (!this.rollouts.has(k)) this.rollouts.set(k, { ...clone(r), etag: this.etag() });
    }
    if (!this.releases.has(release.id)) this.releases.set(release.id, clone(release));
    if (this.releases.get(release.id)?.status === 'active' && !this.active.has(active.releaseId))
      this.active.set(active.releaseId, { entry: clone(active), etag: this.etag() });
  }
  async getRelease(id: string) {
    await this.tick();
    const r = this.releases.get(id);
    return r ? clone(r) : undefined;
  }
  async recordVerification({ id }: { id: string }, update: VerificationUpdate) {
    await this.tick();
    const r = this.releases.get(id);
    // As the table adapter: a final verdict stands.
    if (r && r.verification !== 'verified' && r.verification !== 'rejected')
      this.releases.set(id, { ...r, ...clone(update) });
  }
  async markReleaseStuck(id: string, stuck: { reason: string; at: string }) {
    await this.tick();
    const r = this.releases.get(id);
    if (r) this.releases.set(id, { ...r, stuck: { ...stuck } });
  }
  /**
   * As the table adapter, in the same steps: the active entry read, the completion written unless
   * a retry was counted since the caller read the release, the entry deleted unless it changed.
   */
  async markReleaseDone(
    release: Pick<Release, 'id' | 'retrySeq'>,
    completedAt: string,
  ): Promise<WriteResult> {
    await this.tick();
    const seen = this.active.get(release.id)?.etag;
    await this.tick();
    const r = this.releases.get(release.id);
    if (r && r.status !== 'done') {
      if ((r.retrySeq ?? 0) !== (release.retrySeq ?? 0)) return 'conflict';
      this.releases.set(release.id, { ...r, status: 'done', completedAt });
    }
    await this.tick();
    if (seen !== undefined && this.active.get(release.id)?.etag === seen) this.active.delete(release.id);
    return 'ok';
  }
  /** As the table adapter: the release reactivated and its retry counted, then its entry written anew. */
  async reopenRelease(id: string, active: ActiveReleaseEntry) {
    const reopened = await this.amendRelease(id, (r) => ({
      status: 'active',
      completedAt: undefined,
      retrySeq: (r.retrySeq ?? 0) + 1,
    }));
    if (!reopened) return undefined;
    await this.tick();
    this.active.set(id, { entry: clone(active), etag: this.etag() });
    return reopened;
  }
  async listActiveReleases(repository?: string) {
    await this.tick();
    return [...this.active.values()]
      .map((a) => a.entry)
      .filter((a) => !repository || a.repository === repository)
      .map(clone);
  }
  async listReleases(q: {
    repository?: string;
    status?: 'active' | 'done';
    limit: number;
    continuationToken?: string;
  }): Promise<ReleasePage> {
    await this.tick();
    const all = [...this.releases.values()]
      .filter((r) => (!q.repository || r.repository === q.repository) && (!q.status || r.status === q.status))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const start = q.continuationToken ? Number(q.continuationToken) : 0;
    const page = all.slice(start, start + q.limit);
    return {
      releases: page.map(clone),
      continuationToken: start + q.limit < all.length ? String(start + q.limit) : undefined,
    };
  }
  allReleases(): Release[] {
    return [...this.releases.values()].map(clone);
  }

  async getRollout(releaseId: string, region: string) {
    await this.tick();
    const r = this.rollouts.get(`${region}|${releaseId}`);
    return r ? clone(r) : undefined;
  }
  async listRollouts(releaseId: string, regions: readonly string[]) {
    await this.tick();
    return regions
      .map((g) => this.rollouts.get(`${g}|${releaseId}`))
      .filter((r): r is RegionRollout => !!r)
      .map(clone);
  }
  allRollouts(): RegionRollout[] {
    return [...this.rollouts.values()].map(clone);
  }
  async listLedger(region: string) {
    await this.tick();
    return [...this.ledger.values()].filter((l) => l.region === region).map(clone);
  }

  async commitRegion(
    rollout: RegionRollout,
    ledger: LedgerEntry[],
    _outbox?: unknown,
    opts: CommitOptions = {},
  ): Promise<CommitResult> {
    await this.tick();
    const rk = `${rollout.region}|${rollout.releaseId}`;
    const cur = this.rollouts.get(rk);
    if (rollout.etag ? cur?.etag !== rollout.etag : cur !== undefined) return { outcome: 'conflict' };
    for (const l of ledger) {
      const c = this.ledger.get(`${l.region}|${l.workload}`);
      if (l.etag ? c?.etag !== l.etag : c !== undefined) return { outcome: 'conflict' };
    }
    let gateVersion: string | undefined;
    if (opts.gate) {
      // As the table's gate row: the claim guards on the version it was decided on, then moves it.
      const version = this.gates.get(rollout.region);
      if (opts.gate.version !== (version === undefined ? undefined : String(version)))
        return { outcome: 'conflict' };
      const next = ++this.seq;
      this.gates.set(rollout.region, next);
      gateVersion = String(next);
    }
    const etag = this.etag();
    this.rollouts.set(rk, { ...clone(rollout), etag });
    for (const l of ledger) {
      const entry: LedgerEntry = { ...clone(l), etag: this.etag() };
      this.ledgerHistory.push({
        before: clone(this.ledger.get(`${l.region}|${l.workload}`)),
        after: clone(entry),
      });
      if (!entry.inFlightReleaseId) delete entry.inFlightReleaseId;
      if (!entry.inFlightPushedAt) delete entry.inFlightPushedAt;
      this.ledger.set(`${l.region}|${l.workload}`, entry);
    }
    return { outcome: 'ok', etag, gateVersion };
  }

  async amendRelease(id: string, change: (r: Release) => ReleaseAmendment | undefined) {
    await this.tick();
    const r = this.releases.get(id);
    if (!r) return undefined;
    const patch = change(clone(r));
    if (!patch) return clone(r);
    const next = { ...r, ...clone(patch) };
    for (const k of Object.keys(next) as (keyof Release)[]) if (next[k] === undefined) delete next[k];
    this.releases.set(id, next);
    return clone(next);
  }
  async putHold(hold: Hold): Promise<HoldPlacement> {
    await this.tick();
    const k = `${hold.region}|${hold.workload ?? '*'}`;
    const existing = this.holds.get(k);
    if (existing) return { created: false, existing: clone(existing) };
    this.holds.set(k, clone(hold));
    this.gates.set(hold.region, ++this.seq);
    return { created: true };
  }
  async listHolds(regions: readonly string[]) {
    await this.tick();
    return [...this.holds.values()]
      .filter((h) => regions.includes(h.region))
      .sort(byPlacement)
      .map(clone);
  }
  async readGate(region: string): Promise<RegionGate> {
    await this.tick();
    const version = this.gates.get(region);
    const holds = [...this.holds.values()].filter((h) => h.region === region);
    return {
      holds: holds.sort(byPlacement).map(clone),
      version: version === undefined ? undefined : String(version),
    };
  }
  async deleteHold(hold: Pick<Hold, 'id' | 'region' | 'workload'>) {
    await this.tick();
    const k = `${hold.region}|${hold.workload ?? '*'}`;
    if (this.holds.get(k)?.id !== hold.id) return false;
    this.holds.delete(k);
    return true;
  }
  async putRejection(r: Rejection) {
    await this.tick();
    const k = `${r.repository}@${r.digest}`;
    if (this.rejections.has(k)) return 'duplicate' as const;
    this.rejections.set(k, clone(r));
    return 'created' as const;
  }
  async getRejection(repository: string, digest: string) {
    await this.tick();
    const r = this.rejections.get(`${repository}@${digest}`);
    return r ? clone(r) : undefined;
  }
  async listRejections() {
    await this.tick();
    return [...this.rejections.values()].map(clone);
  }
  async deleteRejection(repository: string, digest: string) {
    await this.tick();
    const k = `${repository}@${digest}`;
    const r = this.rejections.get(k);
    this.rejections.delete(k);
    return r ? clone(r) : undefined;
  }
  /** No outbox here (notifications are the Table store's): the rows are not kept. */
  async appendAudit(entry: AuditEntry, opts?: AuditAppendOptions) {
    await this.tick();
    this.audit.set(opts?.key ?? auditRowKey(entry.at, String(++this.seq).padStart(12, '0')), clone(entry));
  }
  async completeAudit(key: string, completion: AuditCompletion) {
    await this.tick();
    const e = this.audit.get(key);
    if (!e) throw new Error(`no audit entry ${key}`);
    // As the table's Merge: an undefined field leaves the stored one.
    const set = Object.fromEntries(Object.entries(completion).filter(([, v]) => v !== undefined));
    this.audit.set(key, { ...e, ...clone(set) });
  }
  async listAudit(q: { limit: number; continuationToken?: string | undefined }): Promise<AuditPage> {
    await this.tick();
    // Same order as the table: inverted time, then the row's random part (here a counter).
    const all = [...this.audit.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, e]) => e);
    const start = q.continuationToken ? Number(q.continuationToken) : 0;
    return {
      entries: all.slice(start, start + q.limit).map(clone),
      continuationToken: start + q.limit < all.length ? String(start + q.limit) : undefined,
    };
  }
}
