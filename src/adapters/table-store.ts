// RolloutStore on Azure Table Storage. Layout (one concept per table):
//   <p>deliveries  PK = event day,                RK = delivery key            (audit log)
//   <p>releases    PK = 'release', RK = release id (newest first); PK = 'active', RK = <repository>~<id>
//   <p>regions     PK = region,                   RK = 'rollout~<id>' | 'ledger~<workload>'
//   <p>signals     PK = <repository>@<digest>,    RK = region                  (regional webhooks)
//   <p>heads       PK = <repository>,             RK = 'tag~<tag>' | '~watch'
// Rollouts and the ledger share the region partition so a start (rollout -> rolling-out plus the
// workload locks) and a finish (rollout -> succeeded plus the new ledger digests) are one atomic
// transaction. Active releases have their own partition, so a reconcile run costs what is active,
// not what is history.
import {
  TableClient,
  type TableEntity,
  type TableEntityResult,
  type TransactionAction,
} from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { encodeKey } from '../core/keys';
import { isPlainHttpLoopback } from '../core/loopback';
import type { LedgerEntry, ReadinessSignal, RegionRollout, RegionRolloutState, Release } from '../core/model';
import type {
  ActiveReleaseEntry,
  CommitResult,
  DeliveryRecord,
  ReleasePage,
  RolloutStore,
  TagHead,
  WriteResult,
} from '../core/store';

type Entity = TableEntity<Record<string, unknown>>;
type Stored = TableEntityResult<Record<string, unknown>>;

export type TableStoreConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; tableServiceUri: string; credential: TokenCredential };

/** Every table call is bounded: the SDK retries transient errors, this caps each try. */
const requestTimeoutPolicy = (ms: number): PipelinePolicy => ({
  name: 'rolloutRequestTimeout',
  sendRequest: (request, next) => {
    if (!request.timeout || request.timeout > ms) request.timeout = ms;
    return next(request);
  },
});

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; status?: number } | undefined;
  return e?.statusCode ?? e?.status;
}
const isConflict = (err: unknown) => statusOf(err) === 409 || statusOf(err) === 412;
const isNotFound = (err: unknown) => statusOf(err) === 404;

// Table string properties hold 32K UTF-16 characters; long text is split across columns.
const CHUNK = 30_000;
function putLongText(entity: Entity, name: string, text: string | undefined): void {
  if (text === undefined) return;
  const chunks = Math.max(1, Math.ceil(text.length / CHUNK));
  entity[`${name}Chunks`] = chunks;
  for (let i = 0; i < chunks; i++) entity[`${name}${i}`] = text.slice(i * CHUNK, (i + 1) * CHUNK);
}
function getLongText(e: Stored, name: string): string | undefined {
  const chunks = e[`${name}Chunks`];
  if (typeof chunks !== 'number') return undefined;
  let out = '';
  for (let i = 0; i < chunks; i++) {
    const part = e[`${name}${i}`];
    out += typeof part === 'string' ? part : '';
  }
  return out;
}

const str = (e: Stored, k: string): string | undefined => {
  const v = e[k];
  return typeof v === 'string' ? v : undefined;
};
const reqStr = (e: Stored, k: string): string => str(e, k) ?? '';
const json = <T>(e: Stored, k: string, fallback: T): T => {
  const v = str(e, k);
  if (v === undefined) return fallback;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
};
const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const rolloutRowKey = (releaseId: string) => `rollout~${releaseId}`;
const activeRowKey = (repository: string, releaseId: string) => `${encodeKey(repository)}~${releaseId}`;
const ledgerRowKey = (workload: string) => `ledger~${encodeKey(workload)}`;
const signalPartition = (repository: string, digest: string) => `${encodeKey(repository)}@${digest}`;

export class TableRolloutStore implements RolloutStore {
  private readonly tables: Record<'deliveries' | 'releases' | 'regions' | 'signals' | 'heads', TableClient>;
  private ready: Promise<void> | undefined;
  /** Table operations sent (one per call, retries not counted), for the benchmarks. */
  operations = 0;

  constructor(connection: TableStoreConnection, prefix = 'rollout', requestTimeoutMs = 5000) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(prefix)) throw new Error(`invalid table prefix ${prefix}`);
    const options = {
      retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      additionalPolicies: [
        { policy: requestTimeoutPolicy(requestTimeoutMs), position: 'perRetry' as const },
        {
          policy: {
            name: 'rolloutOperationCounter',
            sendRequest: (request, next) => {
              this.operations++;
              return next(request);
            },
          } satisfies PipelinePolicy,
          position: 'perCall' as const,
        },
      ],
    };
    const make = (name: string): TableClient => {
      const table = `${prefix}${name}`;
      if (connection.kind === 'connectionString') {
        const insecure =
          /^UseDevelopmentStorage=true/i.test(connection.connectionString) ||
          isPlainHttpLoopback(/TableEndpoint=([^;]+)/i.exec(connection.connectionString)?.[1] ?? '');
        return TableClient.fromConnectionString(connection.connectionString, table, {
          ...options,
          allowInsecureConnection: insecure,
        });
      }
      return new TableClient(connection.tableServiceUri, table, connection.credential, {
        ...options,
        allowInsecureConnection: isPlainHttpLoopback(connection.tableServiceUri),
      });
    };
    this.tables = {
      deliveries: make('deliveries'),
      releases: make('releases'),
      regions: make('regions'),
      signals: make('signals'),
      heads: make('heads'),
    };
  }

  /** Tables are created on first use, once per process; a failed attempt is retried next call. */
  private async init(): Promise<void> {
    this.ready ??= Promise.all(
      Object.values(this.tables).map(async (t) => {
        await t.createTable();
      }),
    ).then(
      () => undefined,
      (err: unknown) => {
        this.ready = undefined;
        throw err;
      },
    );
    return this.ready;
  }

  private async table(name: keyof TableRolloutStore['tables']): Promise<TableClient> {
    await this.init();
    return this.tables[name];
  }

  private async tryGet(
    name: keyof TableRolloutStore['tables'],
    pk: string,
    rk: string,
  ): Promise<Stored | undefined> {
    const t = await this.table(name);
    try {
      return await t.getEntity<Record<string, unknown>>(pk, rk);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async list(
    name: keyof TableRolloutStore['tables'],
    filter: string,
    select?: string[],
  ): Promise<Stored[]> {
    const t = await this.table(name);
    const out: Stored[] = [];
    for await (const page of t
      .listEntities<Record<string, unknown>>({ queryOptions: { filter, select } })
      .byPage({ maxPageSize: 1000 })) {
      out.push(...page);
    }
    return out;
  }

  // ---- deliveries -------------------------------------------------------------------------

  private deliveryEntity(d: DeliveryRecord): Entity {
    const e: Entity = {
      partitionKey: d.day,
      rowKey: d.key,
      ...defined({
        region: d.region,
        eventId: d.eventId,
        action: d.action,
        repository: d.repository,
        tag: d.tag,
        digest: d.digest,
        mediaType: d.mediaType,
        eventAt: d.eventAt,
        receivedAt: d.receivedAt,
        outcome: d.outcome,
        reason: d.reason,
        releaseIds: JSON.stringify(d.releaseIds),
      }),
    };
    putLongText(e, 'payload', d.payload.slice(0, 60_000));
    return e;
  }

  private toDelivery(e: Stored): DeliveryRecord {
    return {
      key: e.rowKey ?? '',
      day: e.partitionKey ?? '',
      region: str(e, 'region'),
      eventId: reqStr(e, 'eventId'),
      action: reqStr(e, 'action'),
      repository: str(e, 'repository'),
      tag: str(e, 'tag'),
      digest: str(e, 'digest'),
      mediaType: str(e, 'mediaType'),
      eventAt: str(e, 'eventAt'),
      receivedAt: reqStr(e, 'receivedAt'),
      outcome: str(e, 'outcome') as DeliveryRecord['outcome'],
      reason: str(e, 'reason'),
      releaseIds: json<string[]>(e, 'releaseIds', []),
      payload: getLongText(e, 'payload') ?? '',
    };
  }

  async recordDelivery(
    d: DeliveryRecord,
  ): Promise<{ result: 'created' } | { result: 'duplicate'; existing: DeliveryRecord }> {
    const t = await this.table('deliveries');
    try {
      await t.createEntity(this.deliveryEntity(d));
      return { result: 'created' };
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const existing = await this.tryGet('deliveries', d.day, d.key);
      return { result: 'duplicate', existing: existing ? this.toDelivery(existing) : d };
    }
  }

  async completeDelivery(d: DeliveryRecord): Promise<void> {
    const t = await this.table('deliveries');
    await t.upsertEntity(this.deliveryEntity(d), 'Merge');
  }

  async listDeliveries(day: string): Promise<DeliveryRecord[]> {
    return (await this.list('deliveries', `PartitionKey eq '${day.replace(/'/g, "''")}'`)).map((e) =>
      this.toDelivery(e),
    );
  }

  // ---- readiness signals ------------------------------------------------------------------

  async recordSignal(s: ReadinessSignal): Promise<'created' | 'duplicate'> {
    const t = await this.table('signals');
    try {
      await t.createEntity({
        partitionKey: signalPartition(s.repository, s.digest),
        rowKey: s.region,
        repository: s.repository,
        digest: s.digest,
        receivedAt: s.receivedAt,
        eventAt: s.eventAt,
      });
      return 'created';
    } catch (err) {
      if (statusOf(err) === 409) return 'duplicate';
      throw err;
    }
  }

  async listSignals(repository: string, digest: string): Promise<ReadinessSignal[]> {
    const rows = await this.list('signals', `PartitionKey eq '${signalPartition(repository, digest)}'`);
    return rows.map((e) => ({
      repository,
      digest,
      region: e.rowKey ?? '',
      receivedAt: reqStr(e, 'receivedAt'),
      eventAt: reqStr(e, 'eventAt'),
    }));
  }

  // ---- tag heads and watches --------------------------------------------------------------

  async getTagHead(repository: string, tag: string): Promise<TagHead | undefined> {
    const e = await this.tryGet('heads', encodeKey(repository), `tag~${encodeKey(tag)}`);
    if (!e) return undefined;
    return {
      repository,
      tag,
      digest: reqStr(e, 'digest'),
      releaseId: reqStr(e, 'releaseId'),
      pushedAt: reqStr(e, 'pushedAt'),
      generation: typeof e.generation === 'number' ? e.generation : 0,
      etag: e.etag,
    };
  }

  async putTagHead(head: TagHead): Promise<WriteResult> {
    const t = await this.table('heads');
    const entity: Entity = {
      partitionKey: encodeKey(head.repository),
      rowKey: `tag~${encodeKey(head.tag)}`,
      repository: head.repository,
      tag: head.tag,
      digest: head.digest,
      releaseId: head.releaseId,
      pushedAt: head.pushedAt,
      generation: head.generation,
    };
    try {
      if (head.etag) await t.updateEntity(entity, 'Replace', { etag: head.etag });
      else await t.createEntity(entity);
      return 'ok';
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      throw err;
    }
  }

  async recordTagDigest(repository: string, tag: string, digest: string, releaseId: string): Promise<void> {
    const t = await this.table('heads');
    await t.upsertEntity(
      { partitionKey: encodeKey(repository), rowKey: `digest~${encodeKey(tag)}~${digest}`, releaseId },
      'Replace',
    );
  }

  async getTagDigestRelease(repository: string, tag: string, digest: string): Promise<string | undefined> {
    const e = await this.tryGet('heads', encodeKey(repository), `digest~${encodeKey(tag)}~${digest}`);
    return e ? str(e, 'releaseId') : undefined;
  }

  async getWatchStart(repository: string): Promise<string | undefined> {
    const e = await this.tryGet('heads', encodeKey(repository), '~watch');
    return e ? str(e, 'since') : undefined;
  }

  async setWatchStartIfAbsent(repository: string, at: string): Promise<string> {
    const t = await this.table('heads');
    try {
      await t.createEntity({ partitionKey: encodeKey(repository), rowKey: '~watch', since: at });
      return at;
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      return (await this.getWatchStart(repository)) ?? at;
    }
  }

  // ---- releases ---------------------------------------------------------------------------

  private releaseEntity(r: Release): Entity {
    return {
      partitionKey: 'release',
      rowKey: r.id,
      ...defined({
        repository: r.repository,
        tag: r.tag,
        digest: r.digest,
        pushedAt: r.pushedAt,
        mediaType: r.mediaType,
        source: r.source,
        announcedBy: r.announcedBy,
        createdAt: r.createdAt,
        status: r.status,
        completedAt: r.completedAt,
        regions: JSON.stringify(r.regions),
      }),
    };
  }

  private toRelease(e: Stored): Release {
    return {
      id: e.rowKey ?? '',
      repository: reqStr(e, 'repository'),
      tag: reqStr(e, 'tag'),
      digest: reqStr(e, 'digest'),
      pushedAt: reqStr(e, 'pushedAt'),
      mediaType: str(e, 'mediaType'),
      source: (str(e, 'source') ?? 'webhook') as Release['source'],
      announcedBy: str(e, 'announcedBy'),
      createdAt: reqStr(e, 'createdAt'),
      status: (str(e, 'status') ?? 'active') as Release['status'],
      completedAt: str(e, 'completedAt'),
      regions: json<string[]>(e, 'regions', []),
    };
  }

  async ensureRelease(
    release: Release,
    rollouts: RegionRollout[],
    active: ActiveReleaseEntry,
  ): Promise<void> {
    const createIgnoringExisting = async (table: TableClient, entity: Entity) => {
      try {
        await table.createEntity(entity);
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    };
    // Order matters for crash safety: rollouts, then the active entry that makes the reconciler
    // pick it up, then the release. An existing release therefore means the rest exists too;
    // a crash part-way is repaired by the next ensureRelease.
    const regions = await this.table('regions');
    await Promise.all(rollouts.map((r) => createIgnoringExisting(regions, this.rolloutEntity(r))));
    const releases = await this.table('releases');
    await createIgnoringExisting(releases, {
      partitionKey: 'active',
      rowKey: activeRowKey(active.repository, active.releaseId),
      releaseId: active.releaseId,
      repository: active.repository,
      tag: active.tag,
      digest: active.digest,
      pushedAt: active.pushedAt,
      targets: JSON.stringify(active.targets),
    });
    await createIgnoringExisting(releases, this.releaseEntity(release));
  }

  async getRelease(id: string): Promise<Release | undefined> {
    const e = await this.tryGet('releases', 'release', id);
    return e ? this.toRelease(e) : undefined;
  }

  async markReleaseDone(release: Pick<Release, 'id' | 'repository'>, completedAt: string): Promise<void> {
    const t = await this.table('releases');
    await t.upsertEntity(
      { partitionKey: 'release', rowKey: release.id, status: 'done', completedAt },
      'Merge',
    );
    try {
      await t.deleteEntity('active', activeRowKey(release.repository, release.id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async listActiveReleases(repository?: string): Promise<ActiveReleaseEntry[]> {
    const range = repository
      ? ` and RowKey gt '${encodeKey(repository)}~' and RowKey lt '${encodeKey(repository)}~~'`
      : '';
    const rows = await this.list('releases', `PartitionKey eq 'active'${range}`);
    return rows.map((e) => ({
      releaseId: reqStr(e, 'releaseId'),
      repository: reqStr(e, 'repository'),
      tag: reqStr(e, 'tag'),
      digest: reqStr(e, 'digest'),
      pushedAt: reqStr(e, 'pushedAt'),
      targets: json<Record<string, string[]>>(e, 'targets', {}),
    }));
  }

  async listReleases(query: {
    repository?: string | undefined;
    status?: 'active' | 'done' | undefined;
    limit: number;
    continuationToken?: string | undefined;
  }): Promise<ReleasePage> {
    const t = await this.table('releases');
    const esc = (v: string) => v.replace(/'/g, "''");
    let filter = "PartitionKey eq 'release'";
    if (query.repository) filter += ` and repository eq '${esc(query.repository)}'`;
    if (query.status) filter += ` and status eq '${esc(query.status)}'`;
    // A filtered page may come back short (or empty) with a token; read on with pages sized to
    // what still fits, so the returned token points exactly after the last release returned.
    const releases: Release[] = [];
    let token = query.continuationToken;
    do {
      const pages = t
        .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
        .byPage({ maxPageSize: query.limit - releases.length, continuationToken: token });
      const next = await pages.next();
      if (next.done) {
        token = undefined;
        break;
      }
      releases.push(...next.value.map((e) => this.toRelease(e)));
      token = next.value.continuationToken;
    } while (releases.length < query.limit && token);
    return { releases: releases.slice(0, query.limit), continuationToken: token };
  }

  // ---- region rollouts and the ledger ------------------------------------------------------

  private rolloutEntity(r: RegionRollout): Entity {
    const e: Entity = {
      partitionKey: r.region,
      rowKey: rolloutRowKey(r.releaseId),
      ...defined({
        kind: 'rollout',
        releaseId: r.releaseId,
        wave: r.wave,
        state: r.state,
        reason: r.reason,
        workloads: JSON.stringify(r.workloads),
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        replicaReadyAt: r.replicaReadyAt,
        replicaReadySource: r.replicaReadySource,
        lastCheckAt: r.lastCheckAt,
        lastCheckResult: r.lastCheckResult,
        attempts: r.attempts,
        throttled: r.throttled,
        nextCheckAt: r.nextCheckAt,
        attemptStartedAt: r.attemptStartedAt,
        handle: r.handle ? JSON.stringify(r.handle) : undefined,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt,
        lastError: r.lastError?.slice(0, 8000),
        command: r.command?.slice(0, 30_000),
        skippedWorkloads: r.skippedWorkloads ? JSON.stringify(r.skippedWorkloads) : undefined,
      }),
    };
    putLongText(e, 'logsTail', r.logsTail);
    return e;
  }

  private toRollout(e: Stored): RegionRollout {
    return {
      releaseId: reqStr(e, 'releaseId'),
      region: e.partitionKey ?? '',
      wave: typeof e.wave === 'number' ? e.wave : 0,
      state: reqStr(e, 'state') as RegionRolloutState,
      reason: reqStr(e, 'reason'),
      workloads: json<string[]>(e, 'workloads', []),
      createdAt: reqStr(e, 'createdAt'),
      updatedAt: reqStr(e, 'updatedAt'),
      replicaReadyAt: str(e, 'replicaReadyAt'),
      replicaReadySource: str(e, 'replicaReadySource') as RegionRollout['replicaReadySource'],
      lastCheckAt: str(e, 'lastCheckAt'),
      lastCheckResult: str(e, 'lastCheckResult') as RegionRollout['lastCheckResult'],
      attempts: typeof e.attempts === 'number' ? e.attempts : 0,
      throttled: typeof e.throttled === 'number' ? e.throttled : undefined,
      nextCheckAt: reqStr(e, 'nextCheckAt'),
      attemptStartedAt: str(e, 'attemptStartedAt'),
      handle: json<RegionRollout['handle']>(e, 'handle', undefined),
      startedAt: str(e, 'startedAt'),
      finishedAt: str(e, 'finishedAt'),
      lastError: str(e, 'lastError'),
      logsTail: getLongText(e, 'logsTail'),
      command: str(e, 'command'),
      skippedWorkloads: json<string[] | undefined>(e, 'skippedWorkloads', undefined),
      etag: e.etag,
    };
  }

  private ledgerEntity(l: LedgerEntry): Entity {
    return {
      partitionKey: l.region,
      rowKey: ledgerRowKey(l.workload),
      ...defined({
        kind: 'ledger',
        workload: l.workload,
        repository: l.repository,
        digest: l.digest,
        tag: l.tag,
        releaseId: l.releaseId,
        pushedAt: l.pushedAt,
        updatedAt: l.updatedAt,
        // Explicit empty strings clear a lock under Replace semantics.
        inFlightReleaseId: l.inFlightReleaseId ?? '',
        inFlightPushedAt: l.inFlightPushedAt ?? '',
      }),
    };
  }

  private toLedger(e: Stored): LedgerEntry {
    return {
      region: e.partitionKey ?? '',
      workload: reqStr(e, 'workload'),
      repository: reqStr(e, 'repository'),
      digest: reqStr(e, 'digest'),
      tag: reqStr(e, 'tag'),
      releaseId: reqStr(e, 'releaseId'),
      pushedAt: reqStr(e, 'pushedAt'),
      updatedAt: reqStr(e, 'updatedAt'),
      inFlightReleaseId: str(e, 'inFlightReleaseId') || undefined,
      inFlightPushedAt: str(e, 'inFlightPushedAt') || undefined,
      etag: e.etag,
    };
  }

  async getRollout(releaseId: string, region: string): Promise<RegionRollout | undefined> {
    const e = await this.tryGet('regions', region, rolloutRowKey(releaseId));
    return e ? this.toRollout(e) : undefined;
  }

  async listRollouts(releaseId: string, regions: readonly string[]): Promise<RegionRollout[]> {
    const found = await Promise.all(regions.map((region) => this.getRollout(releaseId, region)));
    return found.filter((r): r is RegionRollout => r !== undefined);
  }

  async listLedger(region: string): Promise<LedgerEntry[]> {
    const rows = await this.list(
      'regions',
      `PartitionKey eq '${region.replace(/'/g, "''")}' and RowKey ge 'ledger~' and RowKey lt 'ledger~~'`,
    );
    return rows.map((e) => this.toLedger(e));
  }

  async commitRegion(rollout: RegionRollout, ledger: LedgerEntry[]): Promise<CommitResult> {
    const t = await this.table('regions');
    if (ledger.some((l) => l.region !== rollout.region))
      throw new Error('ledger entries must be in the rollout region');
    const entity = this.rolloutEntity(rollout);
    try {
      if (ledger.length === 0) {
        const res = rollout.etag
          ? await t.updateEntity(entity, 'Replace', { etag: rollout.etag })
          : await t.createEntity(entity);
        return { outcome: 'ok', etag: res.etag };
      }
      const actions: TransactionAction[] = [
        rollout.etag ? ['update', entity, 'Replace', { etag: rollout.etag }] : ['create', entity],
        ...ledger.map((l): TransactionAction =>
          l.etag
            ? ['update', this.ledgerEntity(l), 'Replace', { etag: l.etag }]
            : ['create', this.ledgerEntity(l)],
        ),
      ];
      const res = await t.submitTransaction(actions);
      return { outcome: 'ok', etag: res.getResponseForEntity(entity.rowKey)?.etag };
    } catch (err) {
      if (isConflict(err)) return { outcome: 'conflict' };
      throw err;
    }
  }
}
