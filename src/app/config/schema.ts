// The one configuration schema, composed of its sections (registry-, regions-, workloads- and
// policy-schema for ROLLOUT_CONFIG; storage-, webhook-, access-, reconcile- and notify-settings for
// the app settings). Parsed lazily, once, on first use: a throw at import would take down every
// function of the app, so nothing here runs at module load.
import { z } from 'zod';
import { errorMessage } from '../../core/platform';
import { tagPolicyOf, type RegionConfig, type RolloutPolicy, type Workload } from '../../core/model';
import { parseNotifyTargets, type NotifyTarget } from '../notify';
import { DEFAULT_ARM_ENDPOINT, accessSettings, easyAuthEnabled } from './access-settings';
import { ConfigError, formatIssues } from './config-error';
import { crossFieldProblems } from './cross-checks';
import { checkEndpoints } from './endpoint-checks';
import { CONFIG_PARSE_OPTIONS } from './messages';
import { notifySettings } from './notify-settings';
import { policySchema } from './policy-schema';
import { hostSettingsSchema, reconcileSettings } from './reconcile-settings';
import { regionSchema, regionsOf } from './regions-schema';
import { registryOf, registryOfRaw, registrySchema, type RegistryConfig } from './registry-schema';
import {
  queueOf,
  storageOf,
  storageSettings,
  type QueueConfig,
  type StorageConfig,
} from './storage-settings';
import { webhookSettings } from './webhook-settings';
import { workloadSchema } from './workloads-schema';

export { ConfigError } from './config-error';
export { easyAuthEnabled } from './access-settings';

// Problems between fields (home region, workload regions, approval waves, duplicates) are checked
// on the raw JSON by crossFieldProblems, so they come in the same run as any type error.
export const rolloutConfigSchema = z.strictObject({
  registry: registrySchema,
  regions: z.array(regionSchema).min(1),
  workloads: z.array(workloadSchema).min(1),
  policy: policySchema.default(policySchema.parse({})),
});

// Every setting the app reads, in the order its problems are told.
const settingsSchema = z.object({
  ROLLOUT_CONFIG: z
    .string({ message: 'is required (JSON, see docs/configuration.md)' })
    .min(1, 'is required (JSON, see docs/configuration.md)'),
  WEBHOOK_SECRETS: webhookSettings.shape.WEBHOOK_SECRETS,
  ROLLOUT_STORAGE: storageSettings.shape.ROLLOUT_STORAGE,
  ROLLOUT_STORAGE__tableServiceUri: storageSettings.shape.ROLLOUT_STORAGE__tableServiceUri,
  ROLLOUT_STORAGE__queueServiceUri: storageSettings.shape.ROLLOUT_STORAGE__queueServiceUri,
  ARM_ENDPOINT: accessSettings.shape.ARM_ENDPOINT,
  DRY_RUN: reconcileSettings.shape.DRY_RUN,
  LOCAL_DEV_TOKEN: accessSettings.shape.LOCAL_DEV_TOKEN,
  AZURE_CLIENT_ID: accessSettings.shape.AZURE_CLIENT_ID,
  ROLLOUT_TABLE_PREFIX: storageSettings.shape.ROLLOUT_TABLE_PREFIX,
  WEBHOOK_NUDGE_BUDGET_MS: webhookSettings.shape.WEBHOOK_NUDGE_BUDGET_MS,
  RECONCILE_BUDGET_SECONDS: reconcileSettings.shape.RECONCILE_BUDGET_SECONDS,
  RECONCILE_CONCURRENCY: reconcileSettings.shape.RECONCILE_CONCURRENCY,
  NOTIFY_TARGETS: notifySettings.shape.NOTIFY_TARGETS,
  STATUS_PAGE_URL: notifySettings.shape.STATUS_PAGE_URL,
  OPERATOR_ROLE: accessSettings.shape.OPERATOR_ROLE,
});

type Settings = z.infer<typeof settingsSchema>;
type RolloutConfig = z.infer<typeof rolloutConfigSchema>;

export interface AppConfig {
  registry: RegistryConfig;
  regions: RegionConfig[];
  workloads: Workload[];
  policy: RolloutPolicy;
  webhookSecrets: string[];
  storage: StorageConfig;
  /**
   * The wake-up queue (`<prefix>-work`, poison `<prefix>-work-poison`) in the same account;
   * undefined when the storage names no queue endpoint (then the timer alone advances releases).
   */
  queue?: QueueConfig | undefined;
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

function parseRolloutConfig(text: string | undefined, problems: string[]): RolloutConfig | undefined {
  if (!text) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    problems.push(`ROLLOUT_CONFIG: is not valid JSON (${errorMessage(e)})`);
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

/**
 * Setting by setting, so the checks between settings still run on the ones that parsed. What
 * parsed; a refused setting is left out (already a problem), ARM_ENDPOINT then at its default.
 */
function parseSettings(
  env: Record<string, string | undefined>,
  problems: string[],
): { settings: Settings; ok: boolean } {
  const parsed: Record<string, unknown> = {};
  let ok = true;
  for (const [name, schema] of Object.entries({ ...settingsSchema.shape, ...hostSettingsSchema.shape })) {
    const one = schema.safeParse(env[name], CONFIG_PARSE_OPTIONS);
    if (one.success) parsed[name] = one.data;
    else {
      ok = false;
      problems.push(...formatIssues(name, one.error.issues));
    }
  }
  const settings = { ...parsed, ARM_ENDPOINT: parsed.ARM_ENDPOINT ?? DEFAULT_ARM_ENDPOINT } as Settings;
  return { settings, ok };
}

/** The workload, its version policy compiled here, once: matching a tag later compiles nothing. */
function withTagPolicy(w: Workload): Workload {
  tagPolicyOf(w);
  return w;
}

function appConfigOf(
  s: Settings,
  rollout: RolloutConfig,
  registry: RegistryConfig,
  storage: StorageConfig,
  notifyTargets: NotifyTarget[],
  easyAuth: boolean,
): AppConfig {
  return {
    registry,
    regions: regionsOf(rollout.regions, registry.homeRegion),
    workloads: rollout.workloads.map(withTagPolicy),
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
    notify: { targets: notifyTargets, statusPageUrl: s.STATUS_PAGE_URL },
    operatorAccess: { easyAuth, role: s.OPERATOR_ROLE },
  };
}

/** Each repository some workload watches, once (the scan and the pending write-outs go by them). */
export function watchedRepositories(config: Pick<AppConfig, 'workloads'>): string[] {
  return [...new Set(config.workloads.map((w) => w.repository))];
}

/** Parse and cross-check all settings; every problem is reported in one ConfigError. */
export function parseConfig(rawEnv: Record<string, string | undefined>): AppConfig {
  const problems: string[] = [];
  // An empty setting (as local.settings files and app settings often hold) means "not set".
  const env = Object.fromEntries(
    Object.entries(rawEnv).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const { settings: s, ok: settingsOk } = parseSettings(env, problems);
  const secrets = settingsSchema.shape.WEBHOOK_SECRETS.safeParse(env.WEBHOOK_SECRETS);
  const role = settingsSchema.shape.OPERATOR_ROLE.safeParse(env.OPERATOR_ROLE);
  const operatorAccess = { easyAuth: easyAuthEnabled(env), role: role.success ? role.data : undefined };
  const fail = () => new ConfigError(problems, secrets.success ? secrets.data : undefined, operatorAccess);

  const rollout = parseRolloutConfig(env.ROLLOUT_CONFIG, problems);
  const notify = parseNotifyTargets(env.NOTIFY_TARGETS);
  if (!notify.ok) problems.push(...notify.problems);
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
  const registry = rawRegistry && registryOf(rawRegistry);
  const regionNames = rollout?.regions.map((r) => r.name) ?? [];

  if (registry) checkEndpoints(s, registry, regionNames, problems);
  if (problems.length > 0 || !settingsOk || !rollout || !notify.ok || !storage || !registry) throw fail();
  return appConfigOf(s, rollout, registry, storage, notify.targets, operatorAccess.easyAuth);
}

/** Every setting the app reads (checked against infra and local.settings.sample.json). */
export const SETTING_NAMES = Object.keys(settingsSchema.shape);
