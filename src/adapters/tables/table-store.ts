// RolloutStore on Azure Table Storage: one module per table under ./tables, composed here.
//   <p>deliveries  PK = event day,                RK = delivery key            (audit log)
//   <p>releases    PK = 'release', RK = release id (newest first); PK = 'active', RK = <repository>~<id>
//   <p>regions     PK = region,                   RK = 'rollout~<id>' | 'ledger~<workload>' | 'gate' | 'hold~<scope>'
//   <p>signals     PK = <repository>@<digest>,    RK = region                  (regional webhooks)
//   <p>heads       PK = <repository>,             RK = 'tag~<tag>' | 'digest~<tag>~<digest>' | 'pending~<id>' | '~watch'
//   <p>audit       PK = 'audit',                  RK = inverted time + random  (operator actions)
//   <p>holds       PK = 'hold',                   RK = hold id  (before holds moved to regions: migrated, then emptied)
//   <p>rejections  PK = <repository>,             RK = digest
// Every row read back is validated; a row that fails raises CorruptRecordError (never a default).
import type {
  LedgerEntry,
  ReadinessSignal,
  RegionRollout,
  Release,
  ReleaseStuck,
  ActiveReleaseEntry,
  AuditAppendOptions,
  AuditCompletion,
  CommitOptions,
  HoldPlacement,
  RegionGate,
  AuditPage,
  CommitResult,
  CorruptRecordError,
  DeliveryRecord,
  PendingRelease,
  ReleaseAmendment,
  ReleasePage,
  RolloutStore,
  TagHead,
  VerificationUpdate,
  WriteResult,
} from '../../core/model';
import type { OutboxEntry, OutboxStore } from '../../core/notify';
import type { AuditEntry, Hold, Rejection } from '../../core/operator';
import { AuditTable } from './audit-table';
import { DeliveriesTable } from './deliveries-table';
import { HoldsTable } from './holds-table';
import { RejectionsTable } from './rejections-table';
import { HeadsTable } from './heads-table';
import { OutboxTables } from './outbox-table';
import { RegionHolds } from './region-holds';
import { RegionTable } from './region-table';
import { ReleasesTable, type ReleaseQuery } from './releases-table';
import { SignalsTable } from './signals-table';
import { TableSet, type TableStoreConnection } from './table-set';

export type { TableStoreConnection } from './table-set';

export class TableRolloutStore implements RolloutStore, OutboxStore {
  private readonly set: TableSet;
  private readonly deliveries: DeliveriesTable;
  private readonly releases: ReleasesTable;
  private readonly regions: RegionTable;
  private readonly signals: SignalsTable;
  private readonly heads: HeadsTable;
  private readonly outbox: OutboxTables;
  private readonly audit: AuditTable;
  private readonly legacyHolds: HoldsTable;
  private readonly holds: RegionHolds;
  private legacyMoved: Promise<void> | undefined;
  private readonly rejections: RejectionsTable;

  constructor(connection: TableStoreConnection, prefix = 'rollout', requestTimeoutMs = 5000) {
    this.set = new TableSet(connection, prefix, requestTimeoutMs);
    this.deliveries = new DeliveriesTable(this.set.table('deliveries'));
    this.releases = new ReleasesTable(this.set.table('releases'));
    this.regions = new RegionTable(this.set.table('regions'));
    this.signals = new SignalsTable(this.set.table('signals'));
    this.heads = new HeadsTable(this.set.table('heads'));
    this.outbox = new OutboxTables(
      this.set.table('regions'),
      this.set.table('releases'),
      this.set.table('audit'),
    );
    this.audit = new AuditTable(this.set.table('audit'));
    this.legacyHolds = new HoldsTable(this.set.table('holds'));
    this.holds = new RegionHolds(this.set.table('regions'));
    this.rejections = new RejectionsTable(this.set.table('rejections'));
  }

  /** Table operations sent (one per call or listed page, retries not counted), for the benchmarks. */
  get operations(): number {
    return this.set.operations;
  }
  set operations(n: number) {
    this.set.operations = n;
  }

  getDelivery(day: string, key: string): Promise<DeliveryRecord | undefined> {
    return this.deliveries.get(day, key);
  }
  recordDelivery(d: DeliveryRecord) {
    return this.deliveries.record(d);
  }
  completeDelivery(d: DeliveryRecord): Promise<void> {
    return this.deliveries.complete(d);
  }

  recordSignal(s: ReadinessSignal): Promise<'created' | 'duplicate'> {
    return this.signals.record(s);
  }
  listSignals(repository: string, digest: string): Promise<ReadinessSignal[]> {
    return this.signals.list(repository, digest);
  }

  getTagHead(repository: string, tag: string): Promise<TagHead | undefined> {
    return this.heads.getTagHead(repository, tag);
  }
  putTagHead(head: TagHead): Promise<WriteResult> {
    return this.heads.putTagHead(head);
  }
  claimTagHead(head: TagHead, pending?: PendingRelease): Promise<WriteResult> {
    return this.heads.putTagHead(head, { withDigestRow: true, pending });
  }
  getPendingRelease(repository: string, releaseId: string): Promise<PendingRelease | undefined> {
    return this.heads.getPending(repository, releaseId);
  }
  listPendingReleases(repository: string): Promise<PendingRelease[]> {
    return this.heads.listPending(repository);
  }
  clearPendingRelease(repository: string, releaseId: string): Promise<void> {
    return this.heads.clearPending(repository, releaseId);
  }
  recordTagDigest(repository: string, tag: string, digest: string, releaseId: string): Promise<void> {
    return this.heads.recordTagDigest(repository, tag, digest, releaseId);
  }
  getTagDigestRelease(repository: string, tag: string, digest: string): Promise<string | undefined> {
    return this.heads.getTagDigestRelease(repository, tag, digest);
  }
  setWatchStartIfAbsent(repository: string, at: string): Promise<string> {
    return this.heads.setWatchStartIfAbsent(repository, at);
  }

  async ensureRelease(
    release: Release,
    rollouts: RegionRollout[],
    active: ActiveReleaseEntry,
  ): Promise<void> {
    // Order matters for crash safety: the rollouts and the active entry, then the release. An
    // existing release therefore means the rest exists too; a crash part-way is repaired by the
    // next ensureRelease. The first two go out together (one round trip less for the webhook's
    // answer): an active entry whose release is not written yet is skipped by the reconciler
    // (`release.missing`), as it was before between the active entry and the release.
    await Promise.all([
      ...rollouts.map((r) => this.regions.createRolloutIfAbsent(r)),
      this.releases.createActiveIfAbsent(active),
    ]);
    await this.releases.createReleaseIfAbsent(release);
  }
  getRelease(id: string): Promise<Release | undefined> {
    return this.releases.get(id);
  }
  markReleaseDone(
    release: Pick<Release, 'id' | 'repository'>,
    completedAt: string,
    outbox?: readonly OutboxEntry[],
  ): Promise<void> {
    return this.releases.markDone(release, completedAt, outbox);
  }
  markReleaseStuck(releaseId: string, stuck: ReleaseStuck): Promise<void> {
    return this.releases.markStuck(releaseId, stuck);
  }
  recordVerification(release: Pick<Release, 'id'>, update: VerificationUpdate): Promise<void> {
    return this.releases.recordVerification(release, update);
  }
  listActiveReleases(
    repository?: string,
    onCorrupt?: (err: CorruptRecordError) => void,
  ): Promise<ActiveReleaseEntry[]> {
    return this.releases.listActive(repository, onCorrupt);
  }
  listReleases(query: ReleaseQuery): Promise<ReleasePage> {
    return this.releases.list(query);
  }

  getRollout(releaseId: string, region: string): Promise<RegionRollout | undefined> {
    return this.regions.getRollout(releaseId, region);
  }
  listRollouts(releaseId: string, regions: readonly string[]): Promise<RegionRollout[]> {
    return this.regions.listRollouts(releaseId, regions);
  }
  listLedger(region: string): Promise<LedgerEntry[]> {
    return this.regions.listLedger(region);
  }
  commitRegion(
    rollout: RegionRollout,
    ledger: LedgerEntry[],
    outbox?: readonly OutboxEntry[],
    opts?: CommitOptions,
  ): Promise<CommitResult> {
    return this.regions.commit(rollout, ledger, outbox, opts);
  }

  listOutbox(regions: readonly string[]): Promise<OutboxEntry[]> {
    return this.outbox.listOutbox(regions);
  }
  putOutbox(entries: readonly OutboxEntry[]): Promise<void> {
    return this.outbox.putOutbox(entries);
  }
  updateOutbox(entry: OutboxEntry) {
    return this.outbox.updateOutbox(entry);
  }

  amendRelease(id: string, change: (r: Release) => ReleaseAmendment | undefined) {
    return this.releases.amend(id, change);
  }
  /**
   * Holds placed before they moved into the region partitions (the `holds` table) are moved
   * there once per process, before any hold is read or written: each becomes its scope's row
   * (unless the scope is held already), then leaves the old table. A failure is retried on the
   * next call; an empty old table costs one query per process.
   */
  private moveLegacyHolds(): Promise<void> {
    this.legacyMoved ??= (async () => {
      for (const hold of await this.legacyHolds.list()) {
        await this.holds.put(hold);
        await this.legacyHolds.delete(hold.id);
      }
    })().catch((err: unknown) => {
      this.legacyMoved = undefined;
      throw err;
    });
    return this.legacyMoved;
  }
  async putHold(hold: Hold): Promise<HoldPlacement> {
    await this.moveLegacyHolds();
    return this.holds.put(hold);
  }
  async listHolds(regions: readonly string[]): Promise<Hold[]> {
    await this.moveLegacyHolds();
    return this.holds.list(regions);
  }
  async readGate(region: string): Promise<RegionGate> {
    await this.moveLegacyHolds();
    return this.holds.read(region);
  }
  async deleteHold(hold: Pick<Hold, 'id' | 'region' | 'workload'>): Promise<boolean> {
    await this.moveLegacyHolds();
    return this.holds.delete(hold);
  }
  putRejection(r: Rejection): Promise<'created' | 'duplicate'> {
    return this.rejections.put(r);
  }
  getRejection(repository: string, digest: string): Promise<Rejection | undefined> {
    return this.rejections.get(repository, digest);
  }
  listRejections(): Promise<Rejection[]> {
    return this.rejections.list();
  }
  deleteRejection(repository: string, digest: string): Promise<Rejection | undefined> {
    return this.rejections.delete(repository, digest);
  }
  appendAudit(entry: AuditEntry, opts?: AuditAppendOptions): Promise<void> {
    return this.audit.append(entry, opts);
  }
  completeAudit(key: string, completion: AuditCompletion, outbox?: readonly OutboxEntry[]): Promise<void> {
    return this.audit.complete(key, completion, outbox);
  }
  listAudit(query: { limit: number; continuationToken?: string | undefined }): Promise<AuditPage> {
    return this.audit.list(query);
  }

  deleteOutbox(entry: OutboxEntry) {
    return this.outbox.deleteOutbox(entry);
  }
}
