// Structural checks standing in for a Bicep compiler (none on these machines): modules exist and
// get the params they declare, registry modules are pinned, parameters line up with
// main.parameters.json, security settings are on, webhooks have the documented shape.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rolloutConfigSchema } from '../../src/app/config';
import { REGION_PATTERN } from '../../src/core/names';
import {
  INFRA,
  ROOT,
  bicepFiles,
  blockAfter,
  modules,
  outputs,
  params,
  read,
  stringItems,
  stripComments,
} from './bicep-text';

const mainFile = join(INFRA, 'main.bicep');
const main = read(mainFile);
const mainCode = stripComments(main);
const api = stripComments(read(join(INFRA, 'app', 'api.bicep')));
const webhooks = stripComments(read(join(INFRA, 'app', 'webhooks.bicep')));
const keyvault = stripComments(read(join(INFRA, 'app', 'keyvault.bicep')));

/** The params block of a module call in main.bicep. */
function moduleParams(symbol: string): string {
  return blockAfter(blockAfter(mainCode, new RegExp(`^module ${symbol} [^=]+=`, 'm'))!, /\bparams\s*:/)!;
}

/**
 * main.parameters.json after azd's ${VAR} substitution (azd passes "" for unset variables, or the
 * default of ${VAR=default}: azd substitutes with envsubst, which has that form).
 */
function substitutedParameters(env: Record<string, string>): {
  parameters: Record<string, { value: unknown }>;
} {
  const raw = read(join(INFRA, 'main.parameters.json'));
  const sub = (_: string, name: string, fallback: string | undefined) => env[name] ?? fallback ?? '';
  return JSON.parse(raw.replace(/\$\{([A-Z0-9_]+)(?:=([^}]*))?\}/g, sub)) as {
    parameters: Record<string, { value: unknown }>;
  };
}

/** The README's "Deploy" section (up to the next top-level section). */
function deploySection(): string {
  const readme = read(join(INFRA, '..', 'README.md'));
  const start = readme.indexOf('\n## Deploy\n');
  expect(start, 'README has a Deploy section').toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('modules', () => {
  const all = bicepFiles().flatMap((file) => modules(read(file), file).map((m) => ({ ...m, from: file })));

  it('when a local module is referenced, then its file exists', () => {
    const local = all.filter((m) => m.file);
    expect(local.length).toBeGreaterThanOrEqual(6);
    for (const m of local) expect(existsSync(m.file!), `${m.from}: ${m.path}`).toBe(true);
  });

  it('when a registry module is used, then it is an Azure Verified Module at a pinned x.y.z version', () => {
    const registry = all.filter((m) => !m.file);
    expect(registry.length).toBeGreaterThanOrEqual(6);
    for (const m of registry) expect(m.path).toMatch(/^br\/public:avm\/res\/[a-z-]+\/[a-z-]+:\d+\.\d+\.\d+$/);
  });

  it('when a local module is called, then every param passed is declared and every required param is passed', () => {
    for (const m of all.filter((x) => x.file)) {
      const declared = params(read(m.file!));
      const names = declared.map((p) => p.name);
      for (const key of m.paramKeys) expect(names, `${m.symbol} passes unknown param ${key}`).toContain(key);
      for (const p of declared.filter((d) => !d.hasDefault && !d.type.endsWith('?')))
        expect(m.paramKeys, `${m.symbol} misses required param ${p.name}`).toContain(p.name);
    }
  });

  it('when a module output is used, then the module declares it', () => {
    for (const file of bicepFiles()) {
      const text = stripComments(read(file));
      for (const m of modules(read(file), file).filter((x) => x.file)) {
        const declared = outputs(read(m.file!));
        for (const use of text.matchAll(
          new RegExp(`\\b${m.symbol}(?:\\[[^\\]]+\\])?\\.outputs\\.(\\w+)`, 'g'),
        ))
          expect(declared, `${file}: ${m.symbol}.outputs.${use[1]}`).toContain(use[1]);
      }
    }
  });
});

describe('main.bicep and main.parameters.json', () => {
  const declared = params(main);

  it('when azd deploys, then main.bicep targets the subscription and creates the resource group', () => {
    expect(mainCode).toMatch(/^targetScope = 'subscription'$/m);
    expect(mainCode).toMatch(/resource rg 'Microsoft\.Resources\/resourceGroups@/);
  });

  it('when main.parameters.json names a parameter, then main.bicep declares it', () => {
    const file = substitutedParameters({ ROLLOUT_CONFIG: '{}' });
    const names = declared.map((p) => p.name);
    for (const key of Object.keys(file.parameters)) expect(names).toContain(key);
  });

  it('when a main.bicep parameter has no default, then azd gets it from the parameters file or generates it', () => {
    const file = substitutedParameters({ ROLLOUT_CONFIG: '{}' });
    for (const p of declared.filter((d) => !d.hasDefault)) {
      const generated = /type:\s*'generate'/.test(p.decorators);
      expect(p.name in file.parameters || generated, p.name).toBe(true);
      if (generated) expect(p.decorators, `${p.name} is generated, so secure`).toMatch(/@secure\(\)/);
    }
  });

  it('when an azd variable is unset (azd passes ""), then the parameter accepts the empty string', () => {
    // azd itself always sets AZURE_ENV_NAME and AZURE_LOCATION.
    const file = substitutedParameters({
      ROLLOUT_CONFIG: '{}',
      AZURE_ENV_NAME: 'dev',
      AZURE_LOCATION: 'eastus',
    });
    for (const [name, { value }] of Object.entries(file.parameters)) {
      if (value !== '') continue;
      const p = declared.find((d) => d.name === name)!;
      expect(p.type, name).toBe('string');
      // azd generates a value for an empty parameter that asks for it (see the README's Deploy section).
      if (/type:\s*'generate'/.test(p.decorators)) continue;
      const allowed = /@allowed\(\[([\s\S]*?)\]\)/.exec(p.decorators);
      if (allowed) expect(stringItems(allowed[1]!), `${name} must allow ''`).toContain('');
      expect(p.decorators, `${name}: a required-length string cannot be empty`).not.toMatch(
        /@minLength\(\s*[1-9]/,
      );
    }
  });

  it('when ROLLOUT_CONFIG holds the app config JSON, then the parameters file carries it as an object', () => {
    const config = read(join(ROOT, 'local.settings.sample.json'));
    const rollout = (JSON.parse(config) as { Values: { ROLLOUT_CONFIG: string } }).Values.ROLLOUT_CONFIG;
    const file = substitutedParameters({
      ROLLOUT_CONFIG: rollout,
      AZURE_ENV_NAME: 'dev',
      AZURE_LOCATION: 'eastus',
    });
    expect(file.parameters.rolloutConfig!.value).toEqual(JSON.parse(rollout));
    expect(declared.find((p) => p.name === 'rolloutConfig')!.type).toBe('object');
    // The app setting is the same object serialised: one source of truth.
    expect(mainCode).toMatch(/rolloutConfigJson: string\(rolloutConfig\)/);
  });

  it('when secrets are parameters, then they are @secure and never outputs', () => {
    for (const name of ['webhookSecret', 'webhookSecretPrevious', 'webhookFunctionKey'])
      expect(declared.find((p) => p.name === name)!.decorators, name).toMatch(/@secure\(\)/);
    const secretValues =
      /\b(?:webhookSecret|webhookSecretPrevious|webhookSecrets|webhookFunctionKey|functionKey)\b/;
    for (const file of bicepFiles()) {
      for (const line of stripComments(read(file))
        .split('\n')
        .filter((l) => l.startsWith('output ')))
        expect(line.slice(line.indexOf('=')), `${file}: ${line}`).not.toMatch(secretValues);
    }
  });

  it('when azd reads the outputs, then they are UPPER_SNAKE and include what the deploy guide uses', () => {
    const names = outputs(main);
    for (const n of names) expect(n).toMatch(/^[A-Z][A-Z0-9_]*$/);
    for (const n of [
      'AZURE_LOCATION',
      'AZURE_TENANT_ID',
      'AZURE_RESOURCE_GROUP',
      'AZURE_FUNCTION_NAME',
      'ROLLOUT_FUNCTION_URL',
      'ROLLOUT_WEBHOOK_URL_TEMPLATE',
      'ROLLOUT_IDENTITY_CLIENT_ID',
      'ROLLOUT_WEBHOOK_NAMES',
    ])
      expect(names).toContain(n);
  });

  it('when the deploy guide shows a rollout config, then the app accepts it', () => {
    const deploy = deploySection();
    const example = /```json\n([\s\S]*?)```/.exec(deploy)![1]!;
    const cfg = rolloutConfigSchema.parse(JSON.parse(example));
    expect(cfg.regions.map((r) => r.name)).toContain(cfg.registry.homeRegion);
  });

  it('when the deploy guide documents azd variables, then it names every one the parameters file reads', () => {
    const raw = read(join(INFRA, 'main.parameters.json'));
    const deploy = deploySection();
    for (const m of raw.matchAll(/\$\{([A-Z0-9_]+)\}/g))
      if (!['AZURE_ENV_NAME', 'AZURE_LOCATION'].includes(m[1]!)) expect(deploy, m[1]).toContain(m[1]);
  });
});

describe('resources', () => {
  it('when storage is created, then shared keys are off, TLS 1.2 is the minimum and blobs are private', () => {
    const storage = moduleParams('storage');
    expect(storage).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(storage).toMatch(/minimumTlsVersion:\s*'TLS1_2'/);
    expect(storage).toMatch(/allowBlobPublicAccess:\s*false/);
    // The Flex Consumption deployment container, and the app uses the same name for its package.
    expect(storage).toMatch(/containers:\s*\[\s*\{\s*name:\s*deploymentStorageContainerName\s*\}/);
    expect(moduleParams('api')).toMatch(/deploymentStorageContainerName:\s*deploymentStorageContainerName/);
  });

  it('when monitoring is created, then App Insights has local auth disabled and a Log Analytics workspace', () => {
    const appi = moduleParams('monitoring');
    expect(appi).toMatch(/disableLocalAuth:\s*true/);
    expect(appi).toMatch(/workspaceResourceId:\s*logAnalytics\.outputs\.resourceId/);
  });

  it('when Key Vault is created, then it is in RBAC mode and the app reads the secret by versioned reference', () => {
    expect(keyvault).toMatch(/enableRbacAuthorization:\s*true/);
    expect(keyvault).not.toMatch(/accessPolicies/);
    expect(keyvault).toMatch(
      /output webhookSecretsUriWithVersion string = secret\.properties\.secretUriWithVersion/,
    );
    expect(api).toMatch(/keyVaultAccessIdentityResourceId:\s*identityId/);
  });

  it('when the Function App is created, then it is Flex Consumption, Node.js 22, user-assigned identity only', () => {
    expect(moduleParams('appServicePlan')).toMatch(/name:\s*'FC1'\s+tier:\s*'FlexConsumption'/);
    const runtime = blockAfter(api, /runtime\s*:/)!;
    expect(runtime).toMatch(/name:\s*'node'/);
    expect(runtime).toMatch(/version:\s*'22'/);
    expect(api).toMatch(/systemAssigned:\s*false/);
    expect(api).toMatch(/type:\s*'UserAssignedIdentity'/);
    expect(api).toMatch(/'azd-service-name': serviceName/);
    expect(api).toMatch(/appSettingsKeyValuePairs:\s*appSettings/);
  });

  it('when webhooks are created, then each replica region gets one with the region in the URL and a bearer header', () => {
    const hook = blockAfter(
      webhooks,
      /resource webhook 'Microsoft\.ContainerRegistry\/registries\/webhooks@[^']+' =/,
    )!;
    expect(hook).toMatch(/for \(region, i\) in regions:/);
    expect(hook).toMatch(/location:\s*region\b/);
    expect(hook).toContain(
      "serviceUri: 'https://${functionHostName}/api/acr/events/${region}?code=${functionKey}'",
    );
    expect(hook).toContain("Authorization: 'Bearer ${webhookSecret}'");
    expect(stringItems(blockAfter(hook, /actions\s*:/)!)).toEqual(['push', 'delete', 'quarantine']);
    expect(hook).toMatch(/scope:\s*webhookScope/);
    // Regions come from the config: the home region is one of them (the app checks it).
    expect(mainCode).toMatch(/var replicaRegions = map\(rolloutConfig\.regions, r => r\.name\)/);
    expect(moduleParams('webhooks')).toMatch(/regions:\s*replicaRegions/);
  });

  it('when webhook names are derived, then every region name gives 5-50 alphanumerics', () => {
    // Mirror of the Bicep expression, which the test pins.
    expect(mainCode).toContain(
      "var webhookNames = map(replicaRegions, r => take('rollout${take(resourceToken, 5)}${r}', 50))",
    );
    const resourceToken = 'abcdefghijklm'; // uniqueString(): 13 lowercase alphanumerics
    const name = (region: string) => `rollout${resourceToken.slice(0, 5)}${region}`.slice(0, 50);
    for (const region of ['eu', 'eastus', 'southeastasia', `a${'b'.repeat(39)}`]) {
      expect(REGION_PATTERN.test(region), region).toBe(true);
      expect(name(region)).toMatch(/^[a-zA-Z0-9]{5,50}$/);
    }
  });

  it('when the function key is created, then it is a host key the webhook URLs use', () => {
    expect(api).toMatch(/resource webhookKey 'Microsoft\.Web\/sites\/host\/functionKeys@[^']+'/);
    expect(api).toMatch(/name:\s*'\$\{name\}\/default\/\$\{webhookFunctionKeyName\}'/);
    expect(moduleParams('webhooks')).toMatch(/functionKey:\s*webhookFunctionKey/);
    expect(moduleParams('api')).toMatch(/webhookFunctionKey:\s*webhookFunctionKey/);
  });

  it('when clusters and the registry live elsewhere, then their modules are scoped to their resource groups', () => {
    expect(mainCode).toMatch(
      /module rbacRegistry[\s\S]*?scope: resourceGroup\(registrySubscriptionId, registryResourceGroup\)/,
    );
    expect(mainCode).toMatch(
      /module webhooks[\s\S]*?scope: resourceGroup\(registrySubscriptionId, registryResourceGroup\)/,
    );
    expect(mainCode).toMatch(
      /for \(c, i\) in clusters: \{[\s\S]*?scope: resourceGroup\(c\.subscriptionId, c\.resourceGroup\)/,
    );
  });

  it('when azd deploys the code, then azure.yaml points the function service at this project', () => {
    const yaml = read(join(ROOT, 'azure.yaml'));
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function$/m);
    expect(yaml).toMatch(/^ {2}path: infra$/m);
  });
});
