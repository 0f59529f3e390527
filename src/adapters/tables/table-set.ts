// The TableClients of one table prefix, sharing one pipeline setup: a per-try timeout, bounded
// SDK retries and the operation counter the benchmarks read. Also the error mapping every table
// module uses (409/412 = lost a race, 404 = absent).
import { TableClient, type TableEntityResult } from '@azure/data-tables';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { isPlainHttpLoopback, memoUntilRejected } from '../../core/platform';
import { TABLE_PREFIX_PATTERN } from '../../core/model';

export type TableStoreConnection =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; tableServiceUri: string; credential: TokenCredential };

export const TABLE_NAMES = [
  'deliveries',
  'releases',
  'regions',
  'signals',
  'heads',
  'audit',
  'holds',
  'rejections',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** A row as the SDK returns it (system properties plus untyped custom properties). */
export type Row = TableEntityResult<Record<string, unknown>>;

export function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: number; status?: number } | undefined;
  return e?.statusCode ?? e?.status;
}
export const isConflict = (err: unknown) => statusOf(err) === 409 || statusOf(err) === 412;
export const isAlreadyThere = (err: unknown) => statusOf(err) === 409;
export const isNotFound = (err: unknown) => statusOf(err) === 404;

/** Every table call is bounded: the SDK retries transient errors, this caps each try. */
const requestTimeoutPolicy = (ms: number): PipelinePolicy => ({
  name: 'rolloutRequestTimeout',
  sendRequest: (request, next) => {
    if (!request.timeout || request.timeout > ms) request.timeout = ms;
    return next(request);
  },
});

/** One table of the set: its client (tables created first) and the name errors report. */
export interface StoreTable {
  /** Full table name, e.g. `rolloutregions`. */
  readonly name: string;
  client(): Promise<TableClient>;
}

export class TableSet {
  /** Table operations sent (one per call or listed page, retries not counted), for the benchmarks. */
  operations = 0;
  private readonly clients: Record<TableName, TableClient>;
  private readonly ready = new Map<'tables', Promise<void>>();

  constructor(
    private readonly connection: TableStoreConnection,
    private readonly prefix: string,
    requestTimeoutMs: number,
  ) {
    if (!TABLE_PREFIX_PATTERN.test(prefix)) throw new Error(`invalid table prefix ${prefix}`);
    const counter: PipelinePolicy = {
      name: 'rolloutOperationCounter',
      sendRequest: (request, next) => {
        this.operations++;
        return next(request);
      },
    };
    const options = {
      retryOptions: { maxRetries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      additionalPolicies: [
        { policy: requestTimeoutPolicy(requestTimeoutMs), position: 'perRetry' as const },
        { policy: counter, position: 'perCall' as const },
      ],
    };
    this.clients = Object.fromEntries(
      TABLE_NAMES.map((name) => [name, this.makeClient(`${prefix}${name}`, options)]),
    ) as Record<TableName, TableClient>;
  }

  table(name: TableName): StoreTable {
    return { name: `${this.prefix}${name}`, client: () => this.client(name) };
  }

  private async client(name: TableName): Promise<TableClient> {
    await this.init();
    return this.clients[name];
  }

  /** Tables are created on first use, once per process; a failed attempt is retried next call. */
  private init(): Promise<void> {
    return memoUntilRejected(this.ready, 'tables', async () => {
      await Promise.all(Object.values(this.clients).map((t) => t.createTable()));
    });
  }

  private makeClient(
    table: string,
    options: {
      retryOptions: object;
      additionalPolicies: { policy: PipelinePolicy; position: 'perCall' | 'perRetry' }[];
    },
  ): TableClient {
    const c = this.connection;
    if (c.kind === 'connectionString') {
      const insecure =
        /^UseDevelopmentStorage=true/i.test(c.connectionString) ||
        isPlainHttpLoopback(/TableEndpoint=([^;]+)/i.exec(c.connectionString)?.[1] ?? '');
      return TableClient.fromConnectionString(c.connectionString, table, {
        ...options,
        allowInsecureConnection: insecure,
      });
    }
    return new TableClient(c.tableServiceUri, table, c.credential, {
      ...options,
      allowInsecureConnection: isPlainHttpLoopback(c.tableServiceUri),
    });
  }
}

/** A point read; undefined when the row does not exist. */
export async function tryGet(table: StoreTable, pk: string, rk: string): Promise<Row | undefined> {
  const t = await table.client();
  try {
    return await t.getEntity<Record<string, unknown>>(pk, rk);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every row matching filter (build it with the SDK's `odata` template, never by hand). */
export async function listAll(table: StoreTable, filter: string): Promise<Row[]> {
  const t = await table.client();
  const out: Row[] = [];
  for await (const page of t
    .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
    .byPage({ maxPageSize: 1000 })) {
    out.push(...page);
  }
  return out;
}

/** Creates the row unless one with the same keys exists (idempotent creation). */
export async function createIfAbsent(
  table: StoreTable,
  entity: { partitionKey: string; rowKey: string } & Record<string, unknown>,
): Promise<void> {
  const t = await table.client();
  try {
    await t.createEntity(entity);
  } catch (err) {
    if (!isAlreadyThere(err)) throw err;
  }
}
