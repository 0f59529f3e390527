// No drift between the settings src/ reads and the app settings the compiled template deploys.
// What src/ reads is derived from src/ itself: the config schema (SETTING_NAMES), the binding
// expressions (%NAME%), every `env.NAME` / `process.env.NAME`, and the Functions identity-connection
// convention for each trigger connection (<CONNECTION>__credential / __clientId). A new setting on
// either side fails here until infra sets it or it is listed below with the reason.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES, parseConfig, rolloutConfigSchema } from '../../src/app/config/schema';
import { ADVANCE_QUEUE_CONNECTION } from '../../src/functions/wakeups/advance';
import { parseAksResourceId } from '../../src/core/model/names';
import { ROOT, SCENARIO_CONFIG, scenario } from './arm';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every setting name src/ reads, with where it was found. */
function settingsReadBySrc(): Map<string, string> {
  const found = new Map<string, string>();
  for (const n of SETTING_NAMES) found.set(n, 'src/app/config/schema.ts (schema)');
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const rel = file.slice(ROOT.length + 1);
    for (const m of text.matchAll(/'%([A-Za-z_][A-Za-z0-9_]*)%'/g)) found.set(m[1]!, `${rel} (binding)`);
    for (const m of text.matchAll(/\benv\??\.([A-Z][A-Za-z0-9_]*)\b/g)) found.set(m[1]!, `${rel} (env)`);
    for (const m of text.matchAll(/\benv\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\]/g))
      found.set(m[1]!, `${rel} (env)`);
  }
  // The queue trigger's identity connection: the host reads these for connection ROLLOUT_STORAGE.
  for (const suffix of ['credential', 'clientId'])
    found.set(
      `${ADVANCE_QUEUE_CONNECTION}__${suffix}`,
      'src/functions/wakeups/advance.ts (trigger connection)',
    );
  return found;
}

/** Read by src/, never deployed: local runs only. */
const LOCAL_ONLY: Record<string, string> = {
  LOCAL_DEV_TOKEN: 'static token for loopback simulators; the config refuses it when any endpoint is remote',
  ROLLOUT_STORAGE:
    'connection string (Azurite); Azure uses ROLLOUT_STORAGE__tableServiceUri with the managed identity',
};

/** Read by src/, set by the platform rather than the template. */
const PLATFORM_SET: Record<string, string> = {
  WEBSITE_AUTH_ENABLED: 'App Service sets it when authentication (Easy Auth) is on',
};

/** Deployed for the Functions host (src/ does not read them). */
const HOST_ONLY: Record<string, string> = {
  AzureWebJobsStorage__credential: 'host storage, identity-based',
  AzureWebJobsStorage__clientId: 'host storage: which user-assigned identity',
  AzureWebJobsStorage__blobServiceUri: 'host storage: locks, leases, the key store',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'host telemetry (the worker reads it too when it starts telemetry)',
};

const deployed = scenario();
const site = deployed.resources.find((r) => r.type === 'Microsoft.Web/sites')!;
const settings = Object.fromEntries(
  (site.properties.siteConfig as { appSettings: Array<{ name: string; value: unknown }> }).appSettings.map(
    (s) => [s.name, String(s.value)],
  ),
);
const sample = JSON.parse(readFileSync(join(ROOT, 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};

describe('app settings: what src/ reads and what the template deploys agree', () => {
  const read = settingsReadBySrc();

  it('when src/ is read, then the derivation finds the settings (the schema, bindings, env reads)', () => {
    expect(read.get('RECONCILE_SCHEDULE')).toMatch(/binding/);
    expect(read.get('APPLICATIONINSIGHTS_CONNECTION_STRING')).toMatch(/telemetry\.ts/);
    expect(read.size).toBeGreaterThan(15);
  });

  it('when src/ reads a setting, then the template sets it (unless local-only or set by the platform)', () => {
    const missing = [...read.keys()].filter(
      (n) => !(n in LOCAL_ONLY) && !(n in PLATFORM_SET) && !(n in settings),
    );
    expect(missing.map((n) => `${n} (${read.get(n)})`)).toEqual([]);
  });

  it('when the template sets a setting, then src/ or the host reads it (explicit allow-list)', () => {
    const unread = Object.keys(settings).filter((k) => !read.has(k) && !(k in HOST_ONLY));
    expect(unread).toEqual([]);
  });

  it('when a setting is allow-listed, then the list is not stale', () => {
    for (const name of Object.keys(LOCAL_ONLY)) {
      expect(read.has(name), `${name} is no longer read`).toBe(true);
      expect(settings, `${name} is local-only but deployed`).not.toHaveProperty(name);
    }
    for (const name of Object.keys(HOST_ONLY))
      expect(settings, `${name} is no longer deployed`).toHaveProperty(name);
  });

  it('when deployed on Flex Consumption, then no FUNCTIONS_* runtime setting is set (functionAppConfig carries it)', () => {
    expect(Object.keys(settings).filter((k) => k.startsWith('FUNCTIONS_'))).toEqual([]);
  });

  it("when src/ reads a setting, then local.settings.sample.json lists it (or it is the platform's or the telemetry's)", () => {
    const notInSample = [...read.keys()].filter(
      (n) =>
        !(n in sample.Values) &&
        !(n in PLATFORM_SET) &&
        !n.startsWith('APPLICATIONINSIGHTS_') &&
        !n.startsWith(`${ADVANCE_QUEUE_CONNECTION}__`),
    );
    expect(notInSample).toEqual([]);
  });

  it('when settings carry secrets, booleans or identities, then they have the shape the app and the host parse', () => {
    expect(settings.WEBHOOK_SECRETS).toMatch(
      /^@Microsoft\.KeyVault\(SecretUri=<ref:vault\/secret\.secretUriWithVersion>\)$/,
    );
    expect(settings.DRY_RUN).toBe('false'); // ARM string(true) is "True", which the app's parser rejects
    expect(
      scenario({ dryRun: 'true' }).resources.some((r) =>
        JSON.stringify(r.properties).includes('"name":"DRY_RUN","value":"true"'),
      ),
    ).toBe(true);
    expect(settings.ROLLOUT_STORAGE__credential).toBe('managedidentity');
    expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(settings.ARM_ENDPOINT).toBe('https://management.azure.com');
    expect(settings.RECONCILE_SCHEDULE).toBe('*/30 * * * * *');
    expect(settings.ROLLOUT_TABLE_PREFIX).toBe('rollout');
    // The host's storage is blobs only: no queue endpoint, so no account-wide queue role is needed.
    expect(settings).not.toHaveProperty('AzureWebJobsStorage__queueServiceUri');
  });

  it('when the deployed settings are given to the app, then its config parser accepts them', () => {
    const values = {
      ...settings,
      ROLLOUT_STORAGE__tableServiceUri: 'https://strolloutabc.table.core.windows.net/',
      ROLLOUT_STORAGE__queueServiceUri: 'https://strolloutabc.queue.core.windows.net/',
      WEBHOOK_SECRETS: 'a'.repeat(48),
      NOTIFY_TARGETS: '[]',
      AZURE_CLIENT_ID: '11111111-1111-1111-1111-111111111111',
    };
    const cfg = parseConfig(values);
    expect(cfg.storage).toEqual({
      kind: 'identity',
      tableServiceUri: values.ROLLOUT_STORAGE__tableServiceUri,
    });
    expect(cfg.dryRun).toBe(false);
    expect(
      parseConfig({ ...values, WEBHOOK_SECRETS: `${'n'.repeat(48)},${'o'.repeat(48)}` }).webhookSecrets,
    ).toHaveLength(2);
  });

  it('when the template splits a cluster id, then it finds the subscription, group and name the app parses', () => {
    const cfg = rolloutConfigSchema.parse(SCENARIO_CONFIG);
    const clusters = deployed.resources.filter(
      (r) => r.type === 'Microsoft.ContainerService/managedClusters',
    );
    for (const r of cfg.regions) {
      const id = parseAksResourceId(r.cluster)!;
      expect(
        clusters.some(
          (c) =>
            c.id ===
            `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${id.name}`,
        ),
        r.cluster,
      ).toBe(true);
    }
  });
});
