// Settings for the webhook intake on a fresh table prefix against the shared Azurite
// (test/support/global-setup.ts), the functions' deps over them (no process.env), the store on
// that prefix, and a count of every stored entity, to assert "nothing was stored".
import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { openTableRolloutStore, type TableRolloutStore } from '../../src/adapters/tables/table-store';
import { appDeps } from '../../src/app/composition';
import type { ResolveDeps } from '../../src/functions/platform/registration';
import { writeOutPending } from './write-out';

export const TABLES = ['deliveries', 'releases', 'regions', 'signals', 'heads'] as const;
export type TableName = (typeof TABLES)[number];
export type StoredCounts = Record<TableName, number> & { total: number };

export const REGIONS = ['eastus', 'westeurope', 'southeastasia'] as const;
export const HOME_REGION = 'eastus';
/** Two secrets: the current one and the rotated-in one. */
export const WEBHOOK_SECRET = 'intake-test-secret-current-0001';
export const ROTATED_SECRET = 'intake-test-secret-rotated-0002';
export const bearer = (secret = WEBHOOK_SECRET) => `Bearer ${secret}`;

/** Nothing listens here: connections are refused at once. */
export const CLOSED_LOOPBACK = 'http://127.0.0.1:1';

export const clusterId = (region: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${region}/providers/Microsoft.ContainerService/managedClusters/aks-${region}`;

export interface IntakeConfigOptions {
  registryEndpoint?: string;
  /** Template containing {region}. */
  regionalEndpoint?: string;
  loginServer?: string;
}

/** ROLLOUT_CONFIG: eastus (home), westeurope, southeastasia; my-app (all tags) and team/api (v*). */
export function intakeRolloutConfig(o: IntakeConfigOptions = {}): Record<string, unknown> {
  return {
    registry: {
      loginServer: o.loginServer ?? 'myregistry.azurecr.io',
      homeRegion: HOME_REGION,
      endpoint: o.registryEndpoint ?? `${CLOSED_LOOPBACK}/eastus`,
      regionalEndpoint: o.regionalEndpoint ?? `${CLOSED_LOOPBACK}/{region}`,
    },
    regions: REGIONS.map((name) => ({ name, cluster: clusterId(name), access: 'run-command' })),
    workloads: [
      {
        repository: 'my-app',
        tags: ['*'],
        namespace: 'default',
        kind: 'Deployment',
        name: 'my-app',
        container: 'my-app',
      },
      {
        repository: 'team/api',
        tags: ['v*'],
        namespace: 'team',
        kind: 'Deployment',
        name: 'api',
        container: 'api',
      },
    ],
    policy: { replicationTimeoutSeconds: 1800, rolloutTimeoutSeconds: 600, bakeSeconds: 0, maxAttempts: 3 },
  };
}

export interface IntakeEnvOptions extends IntakeConfigOptions {
  /** Table prefix; default a fresh `t<random>`. */
  prefix?: string;
  /** WEBHOOK_NUDGE_BUDGET_MS; default 0 (no inline reconcile). */
  nudgeBudgetMs?: number;
  /** ROLLOUT_STORAGE; default the shared Azurite of the test run. */
  connectionString?: string;
  armEndpoint?: string;
  /** Extra settings, applied last. */
  extra?: Record<string, string>;
}

export interface IntakeEnv {
  prefix: string;
  connectionString: string;
  /** The settings (also usable as local-host settings). */
  settings: Record<string, string>;
  /** The composition root over `settings`: what the triggers' factories take. */
  resolveDeps: ResolveDeps;
  /** A store on the same prefix, to read back what the intake wrote. */
  store: TableRolloutStore;
  /** Entities in each of the five tables (0 for a table not created yet). */
  storedCounts(): Promise<StoredCounts>;
  /**
   * What the first wake-up (or the timer) does next with the releases the webhook claimed: writes
   * them out (the product's own src/app/intake/pending-release.ts). How many it wrote.
   */
  writeOut(): Promise<number>;
}

export function freshPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export function sharedAzurite(): string {
  const cs = process.env.AZURITE_TABLE_CONNECTION;
  if (!cs) throw new Error('AZURITE_TABLE_CONNECTION is not set: run through vitest (global setup)');
  return cs;
}

/** The intake's settings for a prefix (pure; nothing is written). */
export function intakeSettings(opts: IntakeEnvOptions & { prefix: string; connectionString: string }) {
  return {
    ROLLOUT_STORAGE: opts.connectionString,
    WEBHOOK_SECRETS: `${WEBHOOK_SECRET},${ROTATED_SECRET}`,
    ROLLOUT_CONFIG: JSON.stringify(intakeRolloutConfig(opts)),
    ROLLOUT_TABLE_PREFIX: opts.prefix,
    WEBHOOK_NUDGE_BUDGET_MS: String(opts.nudgeBudgetMs ?? 0),
    ARM_ENDPOINT: opts.armEndpoint ?? CLOSED_LOOPBACK,
    LOCAL_DEV_TOKEN: 'local-dev-token',
    DRY_RUN: 'false',
    ...opts.extra,
  } satisfies Record<string, string>;
}

/** Counts the entities of the five tables of a prefix. */
export async function countStored(connectionString: string, prefix: string): Promise<StoredCounts> {
  const counts = { total: 0 } as StoredCounts;
  await Promise.all(
    TABLES.map(async (name) => {
      const client = TableClient.fromConnectionString(connectionString, `${prefix}${name}`, {
        allowInsecureConnection: true,
      });
      let n = 0;
      try {
        for await (const _ of client.listEntities({ queryOptions: { select: ['RowKey'] } })) n++;
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      }
      counts[name] = n;
    }),
  );
  counts.total = TABLES.reduce((sum, t) => sum + counts[t], 0);
  return counts;
}

/** Settings on a fresh prefix and the helpers; nothing global is written. */
export function setupIntakeEnv(opts: IntakeEnvOptions = {}): IntakeEnv {
  const prefix = opts.prefix ?? freshPrefix();
  const connectionString = opts.connectionString ?? sharedAzurite();
  const settings: Record<string, string> = intakeSettings({ ...opts, prefix, connectionString });
  const store = openTableRolloutStore({ kind: 'connectionString', connectionString }, prefix);
  return {
    prefix,
    connectionString,
    settings,
    resolveDeps: () => appDeps(settings),
    store,
    storedCounts: () => countStored(connectionString, prefix),
    writeOut: () => writeOutPending(appDeps(settings)),
  };
}
