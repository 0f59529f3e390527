// The template as a whole, from the compiled ARM JSON: it compiles with no diagnostic, its
// parameters line up with main.parameters.json as azd substitutes it, what the deploy guide
// (docs/deploy.md) shows is what the template takes, no output carries a secret, and azure.yaml deploys this
// project to the Function App with the packaging hook and the after-provision summary.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rolloutConfigSchema } from '../../src/app/config/schema';
import { Ref, deploy } from './arm-eval';
import {
  INFRA,
  ROOT,
  SCENARIO_CONFIG,
  azdSubstitute,
  compiled,
  resourcesOf,
  scenario,
  scenarioParameters,
  template,
  type ArmTemplate,
} from './arm';

const read = (p: string) => readFileSync(p, 'utf8');
const parametersText = read(join(INFRA, 'main.parameters.json'));
const azdParameters = (env: Record<string, string>) =>
  (
    JSON.parse(
      azdSubstitute(parametersText, { AZURE_ENV_NAME: 'prod', AZURE_LOCATION: 'eastus', ...env }),
    ) as {
      parameters: Record<string, { value: unknown }>;
    }
  ).parameters;

/** The deploy guide, docs/deploy.md. */
function deploySection(): string {
  const guide = read(join(ROOT, 'docs', 'deploy.md'));
  expect(guide, 'docs/deploy.md is the deploy guide').toMatch(/^# Deploy\n/);
  return guide;
}

describe('compiling infra/main.bicep', () => {
  it('when the real Bicep CLI compiles it, then there is no error, warning or info', () => {
    const c = compiled();
    expect(c.compiler).toMatch(/^Bicep CLI version \d+\.\d+\.\d+/);
    expect(c.diagnostics).toEqual([]);
  });

  it('when azd deploys, then it targets the subscription and creates the resource group', () => {
    expect(template().$schema).toContain('subscriptionDeploymentTemplate.json');
    const d = scenario();
    expect(
      d.resources.filter((r) => r.type === 'Microsoft.Resources/resourceGroups').map((r) => r.name),
    ).toEqual(['rg-prod']);
  });

  it('when the template is compiled, then no resource is a Functions host key and no parameter asks for one', () => {
    const all = JSON.stringify(template());
    expect(all).not.toMatch(/Microsoft\.Web\/sites\/host\/functionKeys/i);
    expect(
      Object.keys(template().parameters ?? {}).filter((p) => /function.?key|host.?key/i.test(p)),
    ).toEqual([]);
    expect(parametersText).not.toMatch(/FUNCTION_KEY/);
  });
});

describe('main.parameters.json, as azd substitutes it', () => {
  const params = template().parameters!;
  const sampleConfig = (
    JSON.parse(read(join(ROOT, 'local.settings.sample.json'))) as { Values: { ROLLOUT_CONFIG: string } }
  ).Values.ROLLOUT_CONFIG;

  it('when nothing is set, then the substituted file is still JSON and names only declared parameters', () => {
    const file = azdParameters({});
    for (const key of Object.keys(file)) expect(params, key).toHaveProperty(key);
  });

  it('when a parameter has no default, then azd gets it from the file (asks for it by name when empty) or generates it', () => {
    const file = azdParameters({});
    for (const [name, p] of Object.entries(params)) {
      if ('defaultValue' in p) continue;
      const generated = (p.metadata?.azd as { type?: string } | undefined)?.type === 'generate';
      expect(name in file || generated, name).toBe(true);
      if (generated) expect(p.type, `${name} is generated, so secure`).toBe('securestring');
    }
  });

  it('when ROLLOUT_CONFIG is unset, then rolloutConfig is empty, which azd and ARM refuse naming the parameter', () => {
    expect(azdParameters({}).rolloutConfig!.value).toBe('');
    // No default: azd prompts for rolloutConfig (or, with --no-prompt, fails naming it); a direct
    // ARM deployment fails its minimum length, naming it too.
    expect(params.rolloutConfig).toMatchObject({ type: 'string', minLength: 2 });
    expect(params.rolloutConfig).not.toHaveProperty('defaultValue');
    expect(String(params.rolloutConfig!.metadata?.description)).toContain('ROLLOUT_CONFIG');
    expect(() => deploy(template(), scenarioParameters({ rolloutConfig: '' }))).toThrow(
      /parameter rolloutConfig is shorter than 2/,
    );
  });

  it('when ROLLOUT_CONFIG holds the app config JSON (quotes and all), then the file stays JSON and the app setting is that JSON', () => {
    const file = azdParameters({ ROLLOUT_CONFIG: sampleConfig });
    expect(JSON.parse(file.rolloutConfig!.value as string)).toEqual(JSON.parse(sampleConfig));
    const d = scenario({ rolloutConfig: file.rolloutConfig!.value });
    const site = d.resources.find((r) => r.type === 'Microsoft.Web/sites')!;
    const settings = (site.properties.siteConfig as { appSettings: Array<{ name: string; value: string }> })
      .appSettings;
    expect(settings.find((s) => s.name === 'ROLLOUT_CONFIG')!.value).toBe(sampleConfig);
  });

  it('when NOTIFY_TARGETS holds a JSON array, then the file stays JSON and Key Vault gets the array as given', () => {
    const targets = JSON.stringify([
      { name: 'ops', format: 'slack', url: 'https://hooks.slack.com/services/T0/B0/XYZ' },
    ]);
    const file = azdParameters({ NOTIFY_TARGETS: targets });
    expect(file.notifyTargets!.value).toBe(targets);
    const d = scenario({ notifyTargets: targets });
    expect(d.resources.find((r) => r.name.endsWith('/notify-targets'))!.properties.value).toBe(targets);
  });

  it('when optional variables are unset, then booleans and numbers take their defaults and strings are empty (azd then uses the Bicep default)', () => {
    const file = azdParameters({});
    expect(file.enableEasyAuth!.value).toBe(false);
    expect(file.maximumInstanceCount!.value).toBe(40);
    expect(file.advanceAlwaysReady!.value).toBe(1);
    for (const [name, { value }] of Object.entries(file)) {
      if (
        value !== '' ||
        name === 'rolloutConfig' ||
        name === 'registryResourceId' ||
        name === 'webhookSecret'
      )
        continue;
      expect(params[name], `${name}: an empty value needs a default or an allowed ''`).toHaveProperty(
        'defaultValue',
      );
    }
  });

  it('when the deploy guide documents azd variables, then it names every one the parameters file reads', () => {
    const deploy = deploySection();
    for (const m of parametersText.matchAll(/\$\{([A-Z0-9_]+)/g))
      if (!['AZURE_ENV_NAME', 'AZURE_LOCATION'].includes(m[1]!)) expect(deploy, m[1]).toContain(m[1]);
  });

  it('when the deploy guide shows a rollout config, then the app accepts it and the template deploys it', () => {
    const example = /```json\n([\s\S]*?)```/.exec(deploySection())![1]!;
    const cfg = rolloutConfigSchema.parse(JSON.parse(example));
    expect(cfg.regions.map((r) => r.name)).toContain(cfg.registry.homeRegion);
    const d = scenario({ rolloutConfig: JSON.stringify(JSON.parse(example)) });
    expect(
      d.resources.filter((r) => r.type === 'Microsoft.ContainerRegistry/registries/webhooks'),
    ).toHaveLength(cfg.regions.length);
  });

  it('when the scenario config is given, then the app accepts it too (the tests deploy what the app would run)', () => {
    expect(() => rolloutConfigSchema.parse(SCENARIO_CONFIG)).not.toThrow();
  });
});

describe('outputs', () => {
  const secrets = {
    webhookSecret: 'NewSecretValue0123456789abcdefNEW',
    webhookSecretPrevious: 'OldSecretValue0123456789abcdefOLD',
    notifyTargets: JSON.stringify([
      { name: 'ops', format: 'slack', url: 'https://hooks.slack.com/services/T0/B0/TOKENXYZ' },
    ]),
  };

  it('when azd reads the outputs, then they are UPPER_SNAKE and include what the deploy guide and the summary hook use', () => {
    const names = Object.keys(template().outputs ?? {});
    for (const n of names) expect(n).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(names).toEqual(
      expect.arrayContaining([
        'AZURE_LOCATION',
        'AZURE_TENANT_ID',
        'AZURE_RESOURCE_GROUP',
        'AZURE_FUNCTION_NAME',
        'ROLLOUT_FUNCTION_URL',
        'ROLLOUT_STATUS_PAGE_URL',
        'ROLLOUT_WEBHOOK_URLS',
        'ROLLOUT_STATUS_KEY_COMMAND',
        'ROLLOUT_IDENTITY_CLIENT_ID',
        'ROLLOUT_IDENTITY_PRINCIPAL_ID',
        'ROLLOUT_WEBHOOK_NAMES',
        'ROLLOUT_INTAKE',
        'ROLLOUT_EVENT_GRID_TOPIC_ID',
        'ROLLOUT_EVENT_GRID_SUBSCRIPTION',
        'ROLLOUT_DEAD_LETTER_CONTAINER',
      ]),
    );
  });

  it('when deployed with secrets, then no output carries one, and none reads a secure parameter in any module', () => {
    const d = scenario(secrets);
    const text = JSON.stringify(d.outputs, (_k, v: unknown) => (v instanceof Ref ? v.toString() : v));
    expect(text).not.toContain(secrets.webhookSecret);
    expect(text).not.toContain(secrets.webhookSecretPrevious);
    expect(text).not.toContain('TOKENXYZ');
    const check = (t: ArmTemplate, where: string) => {
      const secure = Object.entries(t.parameters ?? {})
        .filter(([, p]) => p.type.toLowerCase().startsWith('secure'))
        .map(([n]) => n);
      for (const [name, o] of Object.entries(t.outputs ?? {})) {
        const value = JSON.stringify(o);
        for (const s of secure)
          expect(value, `${where}${name} reads ${s}`).not.toContain(`parameters('${s}')`);
        expect(value, `${where}${name}`).not.toMatch(/list(Keys|Secrets)\(|secretValue/i);
      }
      for (const r of resourcesOf(t))
        if (r.properties?.template) check(r.properties.template, `${where}${r.symbol}/`);
    };
    check(template(), '');
  });

  it("when deployed, then the outputs give the status page, each region's webhook URL (no key) and the key command", () => {
    const o = scenario().outputs;
    const host = 'https://<ref:api/site.defaultHostName>';
    expect(o.ROLLOUT_STATUS_PAGE_URL).toBe(`${host}/api/dashboard`);
    expect(String(o.ROLLOUT_WEBHOOK_URLS).split(',')).toEqual(
      SCENARIO_CONFIG.regions.map((r) => `${r.name}=${host}/api/acr/events/${r.name}`),
    );
    expect(o.ROLLOUT_WEBHOOK_URLS).not.toMatch(/code=/);
    expect(o.ROLLOUT_STATUS_KEY_COMMAND).toBe(
      `az functionapp keys list -g rg-prod -n ${String(o.AZURE_FUNCTION_NAME)} --query functionKeys.default -o tsv`,
    );
  });
});

describe('azure.yaml', () => {
  const yaml = read(join(ROOT, 'azure.yaml'));

  it('when azd deploys the code, then the function service is this project, packaged by the prepackage hook into its dist folder', () => {
    expect(yaml).toMatch(
      /^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function\n {4}dist: \.deploy\/api$/m,
    );
    expect(yaml).toMatch(/^ {2}path: infra$/m);
    expect(yaml).toMatch(/prepackage:[\s\S]*?run: npm run package:app -- --out \.deploy\/api/);
  });

  it('when provisioning or deploying ends, then a hook prints the summary (status page, webhook URLs, key command)', () => {
    expect(yaml).toMatch(/postprovision:[\s\S]*?run: node infra\/hooks\/summary\.mjs/);
    expect(yaml).toMatch(/postdeploy:[\s\S]*?run: node infra\/hooks\/summary\.mjs/);
  });

  it('when deploying ends, then the Event Grid hook runs after the summary, and its failure fails the deploy', () => {
    // After deploy only: the subscription's AzureFunction destination needs the deployed function.
    expect(yaml).toMatch(
      /postdeploy:\n {4}shell: sh\n {4}run: node infra\/hooks\/summary\.mjs && node infra\/hooks\/event-grid\.mjs$/m,
    );
    expect(yaml).not.toMatch(/postprovision:\n {4}shell: sh\n {4}run: .*event-grid/);
  });
});
