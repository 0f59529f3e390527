// The one configuration schema. Parsed lazily, once, on first use: a throw at import would
// take down every function of the app, so nothing here runs at module load.
import { z } from 'zod';
import { endpointProblem, isLoopbackUrl } from '../../core/platform';
import {
  WORKLOAD_KINDS,
  isK8sLabel,
  isK8sSubdomain,
  isLoginServer,
  isRegion,
  isRepository,
  parseAksResourceId,
  REGION_ACCESS_MODES,
  type RegionConfig,
  type RolloutPolicy,
  type Workload,
  TABLE_PREFIX_PATTERN,
} from '../../core/model';
import { DEFAULT_STUCK_AFTER_SECONDS } from '../../core/notify';
import { parseNotifyTargets, statusPageUrlSchema, type NotifyTarget } from '../notify';
import { wakeQueueName } from '../../core/wakeups';
import { crossFieldProblems } from './cross-checks';
import { CONFIG_PARSE_OPTIONS } from './messages';
import { ncrontabProblem } from './ncrontab';

const region = z.string().refine(isRegion, { message: 'must be an Azure region name such as westeurope' });

const registrySchema = z.strictObject({
  loginServer: z
    .string()
    .refine(isLoginServer, { message: 'must be a host name such as myregistry.azurecr.io' }),
  homeRegion: region,
  endpoint: z.url({ message: 'must be an http(s) URL' }).optional(),
  /** `https://<registry>.{region}.geo.azurecr.io`: regional endpoints (Preview, Premium). */
  regionalEndpoint: z
    .url({ message: 'must be an http(s) URL template containing {region}' })
    .refine((v) => v.replaceAll('{region}', 'x').length > 0 && v.includes('{region}'), {
      message: 'must contain the {region} placeholder',
    })
    .optional(),
  /** How many recent tags the timer's scan reads per watched repository. */
  scanTags: z.number().int().min(1).max(1000).default(50),
});

const regionSchema = z.strictObject({
  name: region,
  wave: z.number().int().min(0).max(100).optional(),
  cluster: z.string().refine((v) => parseAksResourceId(v) !== undefined, {
    message:
      'must be an AKS resource id: /subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>',
  }),
  /** kubernetes-api (default): the cluster's API server; run-command: AKS Run Command via ARM. */
  access: z.enum(REGION_ACCESS_MODES).default('kubernetes-api'),
  /** Accept a local-accounts kubeconfig (admin-equivalent) on a kubernetes-api region. */
  allowLocalAccounts: z.boolean().default(false),
});

const tagGlob = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.*?-]+$/, { message: 'must be a tag glob of tag characters, * and ?' });

const workloadSchema = z.strictObject({
  repository: z.string().refine(isRepository, { message: 'must follow the OCI repository grammar' }),
  tags: z.array(tagGlob).min(1).default(['*']),
  namespace: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes namespace name' }),
  kind: z.enum(WORKLOAD_KINDS).default('Deployment'),
  name: z.string().refine(isK8sSubdomain, { message: 'must be a Kubernetes object name' }),
  container: z.string().refine(isK8sLabel, { message: 'must be a Kubernetes container name' }),
  regions: z.array(region).min(1).optional(),
});

const policySchema = z.strictObject({
  replicationTimeoutSeconds: z.number().int().min(1).default(1800),
  rolloutTimeoutSeconds: z.number().int().min(1).max(3600).default(600),
  bakeSeconds: z.number().int().min(0).default(0),
  maxAttempts: z.number().int().min(1).max(20).default(3),
  continueOnFailure: z.boolean().default(false),
  retryBaseSeconds: z.number().min(0).default(30),
  replicaCheckIntervalSeconds: z.number().min(0).default(15),
  rolloutPollIntervalSeconds: z.number().min(0).default(10),
  onFailure: z.enum(['stop', 'revert']).default('stop'),
  /** A waiting or rolling-out region without progress this long raises region.stuck. */
  stuckAfterSeconds: z.number().int().min(60).max(86_400).default(DEFAULT_STUCK_AFTER_SECONDS),
  /** Waves that wait (awaiting-approval) until POST /api/releases/{id}/approve opens them. */
  approvalWaves: z.array(z.number().int().min(0)).max(20).default([]),
  /** A new-revision pod stuck (ImagePullBackOff, CrashLoopBackOff, ...) this long fails the attempt. */
  failFastSeconds: z.number().min(0).max(3600).default(120),
});

// Problems between fields (home region, workload regions, approval waves, duplicates) are checked
// on the raw JSON by crossFieldProblems, so they come in the same run as any type error.
export const rolloutConfigSchema = z.strictObject({
  registry: registrySchema,
  regions: z.array(regionSchema).min(1),
  workloads: z.array(workloadSchema).min(1),
  policy: policySchema.default(policySchema.parse({})),
});

const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''], {
    message: 'must be true or false (1/0 and yes/no are read too)',
  })
  .optional()
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const settingsSchema = z.object({
  ROLLOUT_CONFIG: z
    .string({ message: 'is required (JSON, see docs/configuration.md)' })
    .min(1, 'is required (JSON, see docs/configuration.md)'),
  WEBHOOK_SECRETS: z
    .string({ message: 'is required: one or more comma-separated secrets' })
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.replace(/^[ \t]+|[ \t]+$/g, ''))
        .filter((s) => s.length > 0),
    )
    .refine((v) => v.length > 0, 'is required: one or more comma-separated secrets')
    .refine((v) => v.every((s) => s.length >= 16), 'each secret must be at least 16 characters')
    // A header value cannot carry them reliably, so such a secret could never match (values not shown).
    .refine(
      (v) => v.every((s) => /^[\x21-\x7E]+$/.test(s)),
      'each secret must be printable ASCII without whitespace or control characters',
    ),
  ROLLOUT_STORAGE: z.string().optional(),
  ROLLOUT_STORAGE__tableServiceUri: z.url().optional(),
  /** The queue endpoint with managed identity (the wake-up queue; the trigger reads it too). */
  ROLLOUT_STORAGE__queueServiceUri: z.url().optional(),
  ARM_ENDPOINT: z.url().default(DEFAULT_ARM_ENDPOINT),
  DRY_RUN: bool,
  LOCAL_DEV_TOKEN: z.string().min(1).optional(),
  AZURE_CLIENT_ID: z.string().optional(),
  /** Prefix of the table names, so several installations can share one storage account. */
  ROLLOUT_TABLE_PREFIX: z
    .string()
    .regex(TABLE_PREFIX_PATTERN, 'must be a letter, then letters and digits, at most 40 characters')
    .default('rollout'),
  /** Wall-clock budget of the inline reconcile a webhook runs before answering. */
  WEBHOOK_NUDGE_BUDGET_MS: z.coerce.number().int().min(0).max(4000).default(2500),
  /** Wall-clock budget of one timer run. */
  RECONCILE_BUDGET_SECONDS: z.coerce.number().int().min(1).max(600).default(50),
  /** Releases advanced in parallel by one timer run. */
  RECONCILE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** Notification targets (JSON, see notify-config.ts); parsed there, so its errors never quote a URL. */
  NOTIFY_TARGETS: z.string().optional(),
  /** The status page messages link to. */
  STATUS_PAGE_URL: statusPageUrlSchema,
  /** The app role an operator action needs when App Service Authentication is on. */
  OPERATOR_ROLE: z
    .string()
    .regex(/^[\x21-\x7E]{1,120}$/, 'must be an app role value: 1-120 printable characters, no spaces')
    .default('Rollout.Operator'),
});

/** App Service sets WEBSITE_AUTH_ENABLED (`True`) when App Service Authentication is on; not a setting of ours. */
export function easyAuthEnabled(env: Record<string, string | undefined>): boolean {
  return env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true';
}
/**
 * Read by the Functions host, not by the app (so not in SETTING_NAMES), but checked with the rest:
 * an invalid timer schedule would otherwise only show as a function the host refused to load.
 */
const hostSettingsSchema = z.object({
  RECONCILE_SCHEDULE: z
    .string()
    .superRefine((v, ctx) => {
      const problem = ncrontabProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export interface AppConfig {
  registry: {
    loginServer: string;
    homeRegion: string;
    endpoint: string;
    regionalEndpoint?: string | undefined;
    scanTags: number;
  };
  regions: RegionConfig[];
  workloads: Workload[];
  policy: RolloutPolicy;
  webhookSecrets: string[];
  storage:
    { kind: 'connectionString'; connectionString: string } | { kind: 'identity'; tableServiceUri: string };
  /**
   * The wake-up queue (`<prefix>-work`, poison `<prefix>-work-poison`) in the same account;
   * undefined when the storage names no queue endpoint (then the timer alone advances releases).
   */
  queue?:
    | { kind: 'connectionString'; connectionString: string; queueName: string }
    | { kind: 'identity'; queueServiceUri: string; queueName: string }
    | undefined;
  armEndpoint: string;
  dryRun: boolean;
  localDevToken?: string | undefined;
  azureClientId?: string | undefined;
  nudgeBudgetMs: number;
  reconcileBudgetSeconds: number;
  reconcileConcurrency: number;
  tablePrefix: string;
  notify: { targets: NotifyTarget[]; statusPageUrl?: string | undefined };
  /** Operator actions: under Easy Auth they need `role` (OPERATOR_ROLE) in the principal's claims. */
  operatorAccess: { easyAuth: boolean; role: string };
}

export class ConfigError extends Error {
  // Private (never serialized or logged): lets a caller be authenticated before any problem is shown.
  readonly #webhookSecrets: readonly string[] | undefined;
  readonly #operatorAccess: { easyAuth: boolean; role?: string | undefined };
  constructor(
    readonly problems: string[],
    webhookSecrets?: readonly string[],
    operatorAccess: { easyAuth: boolean; role?: string | undefined } = { easyAuth: false },
  ) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.#webhookSecrets = webhookSecrets;
    this.#operatorAccess = operatorAccess;
  }

  /** WEBHOOK_SECRETS when that setting itself is valid, whatever else is wrong. */
  webhookSecrets(): readonly string[] | undefined {
    return this.#webhookSecrets;
  }

  /** How operator actions are authorized, whatever else is wrong (role undefined: OPERATOR_ROLE is invalid). */
  operatorAccess(): { easyAuth: boolean; role?: string | undefined } {
    return this.#operatorAccess;
  }
}

function formatIssues(prefix: string, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `${prefix}${path}`.replace(/^\./, '') + `: ${i.message}`;
  });
}

function tableEndpointOf(connectionString: string): string | undefined {
  if (/UseDevelopmentStorage=true/i.test(connectionString)) return 'http://127.0.0.1:10002';
  return /TableEndpoint=([^;]+)/i.exec(connectionString)?.[1];
}

/** The endpoints a connection string sends its key to: those it names, else the account's by its protocol. */
function connectionStringEndpoints(connectionString: string): Array<[string, string]> {
  const field = (name: string) =>
    new RegExp(`(?:^|;)\\s*${name}=([^;]*)`, 'i').exec(connectionString)?.[1]?.trim();
  const named = [...connectionString.matchAll(/(?:^|;)\s*(\w+Endpoint)=([^;]+)/gi)].map(
    (m): [string, string] => [`ROLLOUT_STORAGE (${m[1]})`, m[2]!.trim()],
  );
  const account = field('AccountName');
  const protocol = field('DefaultEndpointsProtocol');
  if (named.length > 0 || !account || !protocol) return named;
  const suffix = field('EndpointSuffix') ?? 'core.windows.net';
  return [['ROLLOUT_STORAGE (DefaultEndpointsProtocol)', `${protocol}://${account}.table.${suffix}`]];
}

/**
 * The queue beside the tables: a connection string has one unless it lists explicit endpoints
 * without a QueueEndpoint (a table-only emulator); with identity, ROLLOUT_STORAGE__queueServiceUri.
 */
function queueOf(s: Settings): AppConfig['queue'] {
  const queueName = wakeQueueName(s.ROLLOUT_TABLE_PREFIX);
  if (s.ROLLOUT_STORAGE) {
    const cs = s.ROLLOUT_STORAGE;
    if (/(^|;)\s*TableEndpoint=/i.test(cs) && !/(^|;)\s*QueueEndpoint=/i.test(cs)) return undefined;
    return { kind: 'connectionString', connectionString: cs, queueName };
  }
  if (s.ROLLOUT_STORAGE__queueServiceUri)
    return { kind: 'identity', queueServiceUri: s.ROLLOUT_STORAGE__queueServiceUri, queueName };
  return undefined;
}

type Settings = z.infer<typeof settingsSchema>;

function parseRolloutConfig(
  text: string | undefined,
  problems: string[],
): z.infer<typeof rolloutConfigSchema> | undefined {
  if (!text) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(`ROLLOUT_CONFIG: is not valid JSON (${(e as Error).message})`);
    return undefined;
  }
  const parsed = rolloutConfigSchema.safeParse(json, CONFIG_PARSE_OPTIONS);
  const issues = parsed.success ? [] : parsed.error.issues;
  problems.push(...formatIssues('ROLLOUT_CONFIG', issues));
  // A field the schema already refused is not told about twice (e.g. a home region of bad syntax).
  const refused = new Set(issues.map((i) => i.path.join('.')));
  const cross = crossFieldProblems(json).filter((c) => !refused.has(c.path.join('.')));
  problems.push(
    ...formatIssues(
      'ROLLOUT_CONFIG',
      cross.map((c) => ({ code: 'custom', path: c.path, message: c.message, input: undefined })),
    ),
  );
  return parsed.success && cross.length === 0 ? parsed.data : undefined;
}

function storageOf(s: Settings, problems: string[]): AppConfig['storage'] | undefined {
  if (s.ROLLOUT_STORAGE) return { kind: 'connectionString', connectionString: s.ROLLOUT_STORAGE };
  if (s.ROLLOUT_STORAGE__tableServiceUri)
    return { kind: 'identity', tableServiceUri: s.ROLLOUT_STORAGE__tableServiceUri };
  problems.push(
    'ROLLOUT_STORAGE: set a connection string, or ROLLOUT_STORAGE__tableServiceUri for managed identity',
  );
  return undefined;
}

function checkEndpoints(
  s: Settings,
  registry: { endpoint: string; regionalEndpoint?: string | undefined },
  regionNames: string[],
  problems: string[],
): void {
  // Plain http is for loopback test servers only; LOCAL_DEV_TOKEN only when nothing is remote.
  const endpoints: Array<[string, string]> = [
    ['ROLLOUT_CONFIG.registry.endpoint', registry.endpoint],
    ['ARM_ENDPOINT', s.ARM_ENDPOINT],
  ];
  if (registry.regionalEndpoint)
    endpoints.push([
      'ROLLOUT_CONFIG.registry.regionalEndpoint',
      registry.regionalEndpoint.replaceAll('{region}', regionNames[0] ?? 'x'),
    ]);
  if (s.ROLLOUT_STORAGE__tableServiceUri)
    endpoints.push(['ROLLOUT_STORAGE__tableServiceUri', s.ROLLOUT_STORAGE__tableServiceUri]);
  if (s.ROLLOUT_STORAGE__queueServiceUri)
    endpoints.push(['ROLLOUT_STORAGE__queueServiceUri', s.ROLLOUT_STORAGE__queueServiceUri]);
  const tableEndpoint = s.ROLLOUT_STORAGE ? tableEndpointOf(s.ROLLOUT_STORAGE) : undefined;
  // A connection string's own endpoints too (the account key would travel over them).
  const stringEndpoints = s.ROLLOUT_STORAGE ? connectionStringEndpoints(s.ROLLOUT_STORAGE) : [];
  for (const [name, url] of [...endpoints, ...stringEndpoints]) {
    const problem = endpointProblem(url);
    if (problem) problems.push(`${name}: ${problem} (${url})`);
  }
  if (s.LOCAL_DEV_TOKEN) {
    const remote = endpoints.filter(([, url]) => !isLoopbackUrl(url)).map(([n]) => n);
    if (tableEndpoint && !isLoopbackUrl(tableEndpoint)) remote.push('ROLLOUT_STORAGE');
    if (remote.length > 0)
      problems.push(
        `LOCAL_DEV_TOKEN: allowed only when every Azure endpoint is loopback; not loopback: ${remote.join(', ')}`,
      );
  }
}

/**
 * The registry part of a ROLLOUT_CONFIG that did not parse as a whole, when its own fields did
 * (its endpoints are then still checked in the same run).
 */
function registryOfRaw(text: string | undefined): z.infer<typeof registrySchema> | undefined {
  try {
    const registry = (JSON.parse(text ?? '') as { registry?: unknown }).registry;
    const parsed = registrySchema.safeParse(registry);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Parse and cross-check all settings; every problem is reported in one ConfigError. */
/** Each repository some workload watches, once (the scan and the pending write-outs go by them). */
export function watchedRepositories(config: Pick<AppConfig, 'workloads'>): string[] {
  return [...new Set(config.workloads.map((w) => w.repository))];
}

export function parseConfig(rawEnv: Record<string, string | undefined>): AppConfig {
  const problems: string[] = [];
  // An empty setting (as local.settings files and app settings often hold) means "not set".
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  // Setting by setting, so the checks between settings below still run on the ones that parsed.
  const parsedSettings: Record<string, unknown> = {};
  let settingsOk = true;
  for (const [name, schema] of Object.entries({ ...settingsSchema.shape, ...hostSettingsSchema.shape })) {
    const one = schema.safeParse(env[name], CONFIG_PARSE_OPTIONS);
    if (one.success) parsedSettings[name] = one.data;
    else {
      settingsOk = false;
      problems.push(...formatIssues(name, one.error.issues));
    }
  }
  const secrets = settingsSchema.shape.WEBHOOK_SECRETS.safeParse(env.WEBHOOK_SECRETS);
  const role = settingsSchema.shape.OPERATOR_ROLE.safeParse(env.OPERATOR_ROLE);
  const operatorAccess = { easyAuth: easyAuthEnabled(env), role: role.success ? role.data : undefined };
  const fail = () => new ConfigError(problems, secrets.success ? secrets.data : undefined, operatorAccess);

  const rollout = parseRolloutConfig(env.ROLLOUT_CONFIG, problems);
  const notify = parseNotifyTargets(env.NOTIFY_TARGETS);
  if (!notify.ok) problems.push(...notify.problems);
  // What parsed; a refused setting is left out (already a problem), ARM_ENDPOINT then checked at its default.
  const s = {
    ...parsedSettings,
    ARM_ENDPOINT: parsedSettings.ARM_ENDPOINT ?? DEFAULT_ARM_ENDPOINT,
  } as Settings;

  // A table URI that is set but refused is its own problem, not "no storage".
  const storage = storageOf(
    {
      ...s,
      ROLLOUT_STORAGE__tableServiceUri:
        s.ROLLOUT_STORAGE__tableServiceUri ?? env.ROLLOUT_STORAGE__tableServiceUri,
    },
    problems,
  );

  const rawRegistry = rollout?.registry ?? registryOfRaw(env.ROLLOUT_CONFIG);
  const registry = rawRegistry && {
    loginServer: rawRegistry.loginServer,
    homeRegion: rawRegistry.homeRegion,
    endpoint: (rawRegistry.endpoint ?? `https://${rawRegistry.loginServer}`).replace(/\/+$/, ''),
    regionalEndpoint: rawRegistry.regionalEndpoint?.replace(/\/+$/, ''),
    scanTags: rawRegistry.scanTags,
  };
  const regionNames = rollout?.regions.map((r) => r.name) ?? [];

  if (registry) checkEndpoints(s, registry, regionNames, problems);
  if (problems.length > 0 || !settingsOk || !rollout || !notify.ok || !storage || !registry) throw fail();

  const regions: RegionConfig[] = rollout.regions.map((r) => ({
    name: r.name,
    cluster: r.cluster,
    wave: r.wave ?? (r.name === registry.homeRegion ? 0 : 1),
    access: r.access,
    allowLocalAccounts: r.allowLocalAccounts,
  }));
  return {
    registry,
    regions,
    workloads: rollout.workloads,
    policy: rollout.policy,
    webhookSecrets: s.WEBHOOK_SECRETS,
    storage,
    queue: queueOf(s),
    armEndpoint: s.ARM_ENDPOINT.replace(/\/+$/, ''),
    dryRun: s.DRY_RUN,
    localDevToken: s.LOCAL_DEV_TOKEN,
    azureClientId: s.AZURE_CLIENT_ID,
    nudgeBudgetMs: s.WEBHOOK_NUDGE_BUDGET_MS,
    reconcileBudgetSeconds: s.RECONCILE_BUDGET_SECONDS,
    reconcileConcurrency: s.RECONCILE_CONCURRENCY,
    tablePrefix: s.ROLLOUT_TABLE_PREFIX,
    notify: { targets: notify.targets, statusPageUrl: s.STATUS_PAGE_URL },
    operatorAccess: { easyAuth: operatorAccess.easyAuth, role: s.OPERATOR_ROLE },
  };
}

/** Every setting the app reads (checked against infra and local.settings.sample.json). */
export const SETTING_NAMES = Object.keys(settingsSchema.shape);
