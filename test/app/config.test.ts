import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/app/config/schema';
import { testRolloutConfig } from '../support/config';

const base = (
  over: Record<string, string | undefined> = {},
  rollout: Record<string, unknown> = testRolloutConfig(),
) => ({
  ROLLOUT_CONFIG: JSON.stringify(rollout),
  WEBHOOK_SECRETS: 'first-secret-0123456789, second-secret-0123456789',
  ROLLOUT_STORAGE: 'UseDevelopmentStorage=true',
  ...over,
});

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('when settings are valid, then defaults are applied: home wave 0, others wave 1, endpoint from the login server', () => {
    const rollout = testRolloutConfig();
    delete (rollout.registry as Record<string, unknown>).endpoint;
    const c = parseConfig(base({}, rollout));
    expect(c.regions.map((r) => [r.name, r.wave])).toEqual([
      ['eastus', 0],
      ['westeurope', 1],
      ['southeastasia', 1],
    ]);
    expect(c.registry.endpoint).toBe('https://myregistry.azurecr.io');
    expect(c.webhookSecrets).toEqual(['first-secret-0123456789', 'second-secret-0123456789']);
    expect(c.armEndpoint).toBe('https://management.azure.com');
    expect(c.dryRun).toBe(false);
    expect(c.tablePrefix).toBe('rollout');
  });

  it('when regions name no access mode, then it is kubernetes-api without local accounts, and failFastSeconds is 120', () => {
    const rollout = testRolloutConfig();
    rollout.regions = (rollout.regions as Array<Record<string, unknown>>).map(({ access: _a, ...r }) => r);
    const c = parseConfig(base({}, rollout));
    expect(c.regions.map((r) => [r.access, r.allowLocalAccounts])).toEqual([
      ['kubernetes-api', false],
      ['kubernetes-api', false],
      ['kubernetes-api', false],
    ]);
    expect(c.policy.failFastSeconds).toBe(120);
  });

  it('when a region names an access mode that does not exist, then the setting is named', () => {
    const rollout = testRolloutConfig();
    (rollout.regions as Array<Record<string, unknown>>)[1]!.access = 'ssh';
    (rollout.regions as Array<Record<string, unknown>>)[2]!.allowLocalAccounts = 'yes';
    const problems = problemsOf(base({}, rollout));
    expect(problems.join('\n')).toMatch(
      /ROLLOUT_CONFIG\.regions\[1\]\.access: .*kubernetes-api.*run-command/,
    );
    expect(problems.join('\n')).toMatch(/ROLLOUT_CONFIG\.regions\[2\]\.allowLocalAccounts/);
  });

  it('when several things are wrong, then one error names every one of them', () => {
    const rollout = testRolloutConfig({
      workloads: [{ repository: 'Bad Repo', namespace: 'x_y', name: 'ok', container: 'ok', kind: 'Pod' }],
    });
    (rollout.regions as Array<Record<string, unknown>>)[1]!.cluster = '/subscriptions/x/resourceGroups/y';
    const problems = problemsOf(base({ WEBHOOK_SECRETS: 'short' }, rollout));
    const text = problems.join('\n');
    expect(text).toMatch(/WEBHOOK_SECRETS: each secret must be at least 16 characters/);
    expect(text).toMatch(/ROLLOUT_CONFIG\.regions\[1\]\.cluster: must be an AKS resource id/);
    expect(text).toMatch(
      /ROLLOUT_CONFIG\.workloads\[0\]\.repository: must follow the OCI repository grammar/,
    );
    expect(text).toMatch(/ROLLOUT_CONFIG\.workloads\[0\]\.namespace/);
    expect(text).toMatch(/ROLLOUT_CONFIG\.workloads\[0\]\.kind/);
  });

  it('when ROLLOUT_CONFIG is not JSON or missing, then it says so', () => {
    expect(problemsOf(base({ ROLLOUT_CONFIG: '{nope' })).join()).toMatch(/ROLLOUT_CONFIG: is not valid JSON/);
    expect(problemsOf(base({ ROLLOUT_CONFIG: undefined })).join()).toMatch(/ROLLOUT_CONFIG/);
  });

  it('when a setting is an empty string, then it counts as unset', () => {
    const c = parseConfig(base({ ROLLOUT_STORAGE__tableServiceUri: '', AZURE_CLIENT_ID: '', DRY_RUN: '' }));
    expect(c.storage.kind).toBe('connectionString');
  });

  it('when LOCAL_DEV_TOKEN is set but an endpoint is remote, then the app refuses to start', () => {
    const rollout = testRolloutConfig();
    (rollout.registry as Record<string, unknown>).endpoint = 'https://myregistry.azurecr.io';
    const text = problemsOf(base({ LOCAL_DEV_TOKEN: 't' }, rollout)).join('\n');
    expect(text).toMatch(
      /LOCAL_DEV_TOKEN: allowed only when every Azure endpoint is loopback; not loopback: .*registry\.endpoint.*ARM_ENDPOINT/,
    );
  });

  it('when a plain http endpoint is not loopback, then it is refused', () => {
    const text = problemsOf(base({ ARM_ENDPOINT: 'http://management.example.com' })).join('\n');
    expect(text).toMatch(/ARM_ENDPOINT: plain http:\/\/ is accepted only for loopback addresses/);
  });

  it('when a plain http endpoint is spelled with an upper-case scheme, then it is refused all the same (registry, ARM, storage, queue)', () => {
    const rollout = testRolloutConfig();
    const registry = rollout.registry as Record<string, unknown>;
    const text = problemsOf(
      base(
        {
          ARM_ENDPOINT: 'HTTP://management.example.com',
          ROLLOUT_STORAGE: undefined,
          ROLLOUT_STORAGE__tableServiceUri: 'Http://acct.table.core.windows.net',
          ROLLOUT_STORAGE__queueServiceUri: 'HTTP://acct.queue.core.windows.net',
        },
        { ...rollout, registry: { ...registry, endpoint: 'HTTP://myregistry.azurecr.io' } },
      ),
    ).join('\n');
    for (const name of [
      'ROLLOUT_CONFIG.registry.endpoint',
      'ARM_ENDPOINT',
      'ROLLOUT_STORAGE__tableServiceUri',
      'ROLLOUT_STORAGE__queueServiceUri',
    ])
      expect(text).toContain(`${name}: plain http:// is accepted only for loopback addresses`);
    // Loopback in any case is the local simulators: accepted.
    expect(() => parseConfig(base({ ARM_ENDPOINT: 'HTTP://127.0.0.1:5060' }))).not.toThrow();
  });

  it('when a storage connection string sends its key over plain http to a remote host, then it is refused', () => {
    const key = 'AccountKey=a2V5;';
    const named = problemsOf(
      base({
        ROLLOUT_STORAGE: `DefaultEndpointsProtocol=https;AccountName=a;${key}TableEndpoint=HTTP://a.table.example.com;`,
      }),
    ).join('\n');
    expect(named).toContain(
      'ROLLOUT_STORAGE (TableEndpoint): plain http:// is accepted only for loopback addresses',
    );
    expect(named).not.toContain('a2V5');
    const byProtocol = problemsOf(
      base({ ROLLOUT_STORAGE: `DefaultEndpointsProtocol=http;AccountName=acct;${key}` }),
    );
    expect(byProtocol.join('\n')).toContain('ROLLOUT_STORAGE (DefaultEndpointsProtocol): plain http://');
    // Azurite's own string (loopback endpoints) stays accepted.
    const azurite =
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;';
    expect(() => parseConfig(base({ ROLLOUT_STORAGE: azurite }))).not.toThrow();
  });

  it('when OPERATOR_ROLE is unset, then actions need Rollout.Operator; Easy Auth is on only when App Service says so', () => {
    expect(parseConfig(base()).operatorAccess).toEqual({ easyAuth: false, role: 'Rollout.Operator' });
    for (const v of ['true', 'True', 'TRUE'])
      expect(
        parseConfig(base({ WEBSITE_AUTH_ENABLED: v, OPERATOR_ROLE: 'Deploy.Admin' })).operatorAccess,
      ).toEqual({
        easyAuth: true,
        role: 'Deploy.Admin',
      });
    expect(parseConfig(base({ WEBSITE_AUTH_ENABLED: 'false' })).operatorAccess.easyAuth).toBe(false);
    expect(problemsOf(base({ OPERATOR_ROLE: 'Rollout Operator' })).join('\n')).toMatch(
      /OPERATOR_ROLE: must be an app role value/,
    );
  });

  it('when STATUS_PAGE_URL carries a function key or another credential, then it is refused without quoting it', () => {
    for (const url of [
      'https://app.example/api/dashboard?code=S3cretKey',
      'https://app.example/api/dashboard?CODE=S3cretKey',
      'https://app.example/api/dashboard?x=1&Code=S3cretKey',
      'https://app.example/api/dashboard?sig=S3cretKey',
      'https://app.example/api/dashboard?access_token=S3cretKey',
      'https://user:S3cretKey@app.example/api/dashboard',
    ]) {
      const text = problemsOf(base({ STATUS_PAGE_URL: url })).join('\n');
      expect(text, url).toMatch(/STATUS_PAGE_URL: must not carry/);
      expect(text, url).not.toContain('S3cretKey');
    }
    expect(
      parseConfig(base({ STATUS_PAGE_URL: 'https://app.example/api/dashboard?view=grid' })).notify
        .statusPageUrl,
    ).toBe('https://app.example/api/dashboard?view=grid');
  });

  it('when the home region, a workload region or a duplicate region is wrong, then it is named', () => {
    const rollout = testRolloutConfig({ home: 'northeurope' });
    expect(problemsOf(base({}, rollout)).join()).toMatch(/homeRegion: northeurope is not in regions/);
    const dup = testRolloutConfig({
      regions: ['eastus', 'eastus'],
      workloads: [{ repository: 'a', namespace: 'n', name: 'w', container: 'c', regions: ['mars'] }],
    });
    const text = problemsOf(base({}, dup)).join('\n');
    expect(text).toMatch(/region eastus is listed twice/);
    expect(text).toMatch(/region mars is not in regions/);
  });

  it('when identity-based storage is configured, then no connection string is needed', () => {
    const c = parseConfig(
      base({
        ROLLOUT_STORAGE: undefined,
        ROLLOUT_STORAGE__tableServiceUri: 'https://acct.table.core.windows.net',
      }),
    );
    expect(c.storage).toEqual({ kind: 'identity', tableServiceUri: 'https://acct.table.core.windows.net' });
  });

  it('when the functions entry point is imported with no settings at all, then nothing throws (config is lazy)', async () => {
    const saved = { ...process.env };
    for (const k of ['ROLLOUT_CONFIG', 'WEBHOOK_SECRETS', 'ROLLOUT_STORAGE']) delete process.env[k];
    try {
      await expect(import('../../src/functions/index.js')).resolves.toBeDefined();
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
