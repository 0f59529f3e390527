// No drift between the settings the app reads (SETTING_NAMES from src/app/config.ts), the app
// settings infra/app/*.bicep deploys, and local.settings.sample.json. Settings that are not read
// by the app are allowed only when listed below with the reason; a new setting on either side
// fails here until it is handled.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES, parseConfig, rolloutConfigSchema } from '../../src/app/config';
import { parseAksResourceId } from '../../src/core/names';
import { INFRA, ROOT, bicepFiles, objectVars, read, stripComments, topLevelKeys } from './bicep-text';

/** Read by the app, but never deployed: they exist for local runs only. */
const LOCAL_ONLY: Record<string, string> = {
  LOCAL_DEV_TOKEN: 'static token for loopback simulators; the config refuses it when any endpoint is remote',
  ROLLOUT_STORAGE:
    'connection string (Azurite); Azure uses ROLLOUT_STORAGE__tableServiceUri with the managed identity',
};

/** Deployed, not read by src/app/config.ts: read by the Functions host or the identity-connection convention. */
const HOST_ONLY: Record<string, string> = {
  RECONCILE_SCHEDULE: 'the timer binding reads it as %RECONCILE_SCHEDULE% (the local host likewise)',
  AzureWebJobsStorage__credential: 'Functions host storage, identity-based',
  AzureWebJobsStorage__clientId: 'Functions host storage: which user-assigned identity',
  AzureWebJobsStorage__blobServiceUri: 'Functions host storage: deployment package, keys, timer locks',
  AzureWebJobsStorage__queueServiceUri: 'Functions host storage: host queues',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'Functions host telemetry',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Entra ID telemetry (App Insights local auth is disabled)',
  ROLLOUT_STORAGE__credential:
    'Functions identity-connection convention for the ROLLOUT_STORAGE prefix; the app authenticates with AZURE_CLIENT_ID',
  ROLLOUT_STORAGE__clientId:
    'Functions identity-connection convention for the ROLLOUT_STORAGE prefix; the app authenticates with AZURE_CLIENT_ID',
};

/** In local.settings.sample.json only: what `func start` needs locally. */
const LOCAL_HOST_ONLY: Record<string, string> = {
  FUNCTIONS_WORKER_RUNTIME:
    'func start needs it locally; Flex Consumption sets the runtime in functionAppConfig and rejects this setting',
  AzureWebJobsStorage:
    'host storage connection string for Azurite; Azure uses the identity-based AzureWebJobsStorage__* settings',
  AZURITE_PORT:
    'npm run dev: table port of the Azurite it starts for UseDevelopmentStorage=true (empty = any free port)',
};

function infraSettings(): Map<string, string> {
  // key -> the file that sets it; app settings live in `var ...Settings = { ... }` blocks.
  const found = new Map<string, string>();
  for (const file of bicepFiles(join(INFRA, 'app'))) {
    for (const [name, block] of objectVars(read(file))) {
      if (!/settings$/i.test(name)) continue;
      for (const key of topLevelKeys(block)) found.set(key, file);
    }
  }
  return found;
}

function settingValue(key: string): string {
  const api = stripComments(read(join(INFRA, 'app', 'api.bicep')));
  const m = new RegExp(`^\\s*${key}\\s*:\\s*(.+)$`, 'm').exec(api);
  if (!m) throw new Error(`${key} is not set in api.bicep`);
  return m[1]!.trim();
}

const sample = JSON.parse(read(join(ROOT, 'local.settings.sample.json'))) as {
  Values: Record<string, string>;
};
const sampleKeys = Object.keys(sample.Values);

describe('app settings: code, infra and local.settings.sample.json agree', () => {
  const infra = infraSettings();

  it('when infra is read, then it declares app settings at all (the parser found the block)', () => {
    expect(infra.size).toBeGreaterThan(10);
  });

  it('when the app reads a setting, then infra sets it (unless it is local-only)', () => {
    const missing = SETTING_NAMES.filter((n) => !(n in LOCAL_ONLY) && !infra.has(n));
    expect(missing).toEqual([]);
  });

  it('when the app reads a setting, then local.settings.sample.json lists it', () => {
    expect(SETTING_NAMES.filter((n) => !sampleKeys.includes(n))).toEqual([]);
  });

  it('when infra sets a setting, then the app or the host reads it (explicit allow-list)', () => {
    const unread = [...infra.keys()].filter((k) => !SETTING_NAMES.includes(k) && !(k in HOST_ONLY));
    expect(unread).toEqual([]);
  });

  it('when the sample lists a setting, then the app reads it or it is a documented local host setting', () => {
    const unknown = sampleKeys.filter(
      (k) => !SETTING_NAMES.includes(k) && !(k in LOCAL_HOST_ONLY) && !(k in HOST_ONLY),
    );
    expect(unknown).toEqual([]);
  });

  it('when a setting is allow-listed, then the list is not stale', () => {
    for (const name of Object.keys(LOCAL_ONLY)) {
      expect(SETTING_NAMES, `${name} is no longer read by the app`).toContain(name);
      expect(infra.has(name), `${name} is local-only but infra sets it`).toBe(false);
    }
    for (const name of Object.keys(HOST_ONLY)) {
      expect(SETTING_NAMES, `${name} is read by the app now: drop it from HOST_ONLY`).not.toContain(name);
      expect(infra.has(name), `${name} is allow-listed but infra no longer sets it`).toBe(true);
    }
    for (const name of Object.keys(LOCAL_HOST_ONLY)) {
      expect(sampleKeys, `${name} is allow-listed but no longer in the sample`).toContain(name);
      expect(infra.has(name), `${name} must not be deployed`).toBe(false);
    }
  });

  it('when deployed on Flex Consumption, then no FUNCTIONS_* runtime setting is set (functionAppConfig carries it)', () => {
    expect([...infra.keys()].filter((k) => k.startsWith('FUNCTIONS_'))).toEqual([]);
  });

  it('when settings carry secrets or booleans, then they have the shape the app parses', () => {
    // The webhook secret comes from Key Vault, never inline.
    expect(settingValue('WEBHOOK_SECRETS')).toMatch(/^'@Microsoft\.KeyVault\(SecretUri=\$\{[A-Za-z]+\}\)'$/);
    // ARM string(true) is "True", which the app's boolean parser rejects: spell it out.
    expect(settingValue('DRY_RUN')).toBe("dryRun ? 'true' : 'false'");
    expect(settingValue('ROLLOUT_STORAGE__credential')).toBe("'managedidentity'");
    expect(settingValue('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settingValue('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identityClientId};Authorization=AAD'",
    );
    expect(settingValue('AZURE_CLIENT_ID')).toBe('identityClientId');
  });

  it('when ARM_ENDPOINT is computed, then it comes from environment().resourceManager without the trailing slash', () => {
    const main = stripComments(read(join(INFRA, 'main.bicep')));
    expect(main).toMatch(/var resourceManager = environment\(\)\.resourceManager/);
    expect(main).toMatch(
      /var armEndpoint = endsWith\(resourceManager, '\/'\) \? substring\(resourceManager, 0, length\(resourceManager\) - 1\) : resourceManager/,
    );
    expect(main).toMatch(/armEndpoint: armEndpoint/);
  });

  it('when the deployed settings are given to the app, then its config parser accepts them', () => {
    // The values infra produces for a real deployment, with the sample's rollout config.
    const deployed: Record<string, string> = {
      ROLLOUT_CONFIG: JSON.stringify(
        rolloutConfigSchema.parse(
          JSON.parse(sample.Values.ROLLOUT_CONFIG!, (k, v: unknown) =>
            k === 'endpoint' || k === 'regionalEndpoint' ? undefined : v,
          ),
        ),
      ),
      ROLLOUT_STORAGE__tableServiceUri: 'https://strolloutabc.table.core.windows.net/',
      ROLLOUT_STORAGE__credential: 'managedidentity',
      ROLLOUT_STORAGE__clientId: '11111111-1111-1111-1111-111111111111',
      ROLLOUT_TABLE_PREFIX: 'rollout',
      WEBHOOK_SECRETS: 'a'.repeat(48),
      AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
      ARM_ENDPOINT: 'https://management.azure.com',
      DRY_RUN: 'false',
      RECONCILE_SCHEDULE: '*/30 * * * * *',
      WEBHOOK_NUDGE_BUDGET_MS: '2500',
      RECONCILE_BUDGET_SECONDS: '50',
      RECONCILE_CONCURRENCY: '8',
    };
    const cfg = parseConfig(deployed);
    expect(cfg.storage).toEqual({
      kind: 'identity',
      tableServiceUri: deployed.ROLLOUT_STORAGE__tableServiceUri,
    });
    expect(cfg.dryRun).toBe(false);
    // During a rotation Key Vault holds "new,old".
    expect(
      parseConfig({ ...deployed, WEBHOOK_SECRETS: `${'n'.repeat(48)},${'o'.repeat(48)}` }).webhookSecrets,
    ).toHaveLength(2);
  });

  it('when Bicep splits a cluster id, then [2], [4] and [8] are the subscription, group and name the app parses', () => {
    const cfg = rolloutConfigSchema.parse(JSON.parse(sample.Values.ROLLOUT_CONFIG!));
    for (const r of cfg.regions) {
      const parts = r.cluster.split('/');
      expect(parseAksResourceId(r.cluster)).toEqual({
        subscriptionId: parts[2],
        resourceGroup: parts[4],
        name: parts[8],
      });
    }
  });
});
