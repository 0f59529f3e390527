// What the template creates, read from the compiled ARM JSON deployed on paper (test/infra/arm-eval.ts):
// storage without shared keys, Entra-only telemetry, Key Vault in RBAC mode under a name that a
// re-created environment never shares with its soft-deleted self, the Flex Consumption app (Node 22,
// identity-only storage, the always-ready instance, no ftpsState, at least one instance), one
// webhook per replica region without a key in its URL, access restrictions and Easy Auth.
import { describe, expect, it } from 'vitest';
import { deploy } from './arm-eval';
import {
  SCENARIO_CONFIG,
  SUB_ACR,
  scenario,
  scenarioParameters,
  template,
  type Deployed,
  type Deployment,
} from './arm';

const d = scenario();
const one = (type: string, dep: Deployment = d): Deployed => {
  const found = dep.resources.filter((r) => r.type === type && !r.existing);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
const site = (dep: Deployment = d) => one('Microsoft.Web/sites', dep);
const siteConfig = (dep: Deployment = d) => site(dep).properties.siteConfig as Record<string, unknown>;
const appSettings = (dep: Deployment = d) =>
  Object.fromEntries(
    (siteConfig(dep).appSettings as Array<{ name: string; value: unknown }>).map((s) => [
      s.name,
      String(s.value),
    ]),
  );

describe('storage', () => {
  const storage = one('Microsoft.Storage/storageAccounts');

  it('when the account is created, then shared keys are off, TLS 1.2 is the minimum, blobs are private', () => {
    expect(storage.properties).toMatchObject({
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
      supportsHttpsTrafficOnly: true,
      defaultToOAuthAuthentication: true,
    });
    expect(storage.name).toMatch(/^[a-z0-9]{3,24}$/);
  });

  it("when containers and queues are created, then the host's, the deployment container, the wake-up queue and its poison queue", () => {
    const names = (type: string) =>
      d.resources.filter((r) => r.type === type && !r.existing).map((r) => r.name.split('/').at(-1));
    const containers = names('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers).toEqual([
      'azure-webjobs-hosts',
      'azure-webjobs-secrets',
      expect.stringMatching(/^app-package-/),
    ]);
    for (const c of containers) expect(c).toMatch(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/);
    expect(names('Microsoft.Storage/storageAccounts/queueServices/queues')).toEqual([
      'rollout-work',
      'rollout-work-poison',
    ]);
    // Flex Consumption deploys the package to that container, authenticated with the identity.
    const deployment = (
      site().properties.functionAppConfig as { deployment: { storage: Record<string, unknown> } }
    ).deployment.storage;
    expect(deployment).toEqual({
      type: 'blobContainer',
      value: `<ref:core/storage.primaryEndpoints.blob>${containers[2]}`,
      authentication: {
        type: 'UserAssignedIdentity',
        userAssignedIdentityResourceId: expect.stringMatching(
          /\/userAssignedIdentities\/id-rollout-[a-z0-9]{13}$/,
        ),
      },
    });
  });
});

describe('monitoring', () => {
  it('when Application Insights is created, then local auth is off and it sits on the Log Analytics workspace', () => {
    const appi = one('Microsoft.Insights/components');
    expect(appi.properties).toMatchObject({ DisableLocalAuth: true, Application_Type: 'web' });
    expect(String(appi.properties.WorkspaceResourceId)).toContain(
      'Microsoft.OperationalInsights/workspaces/log-rollout-',
    );
    expect(one('Microsoft.OperationalInsights/workspaces').properties).toMatchObject({ retentionInDays: 30 });
  });

  it('when the app exports telemetry, then it authenticates as the identity (Entra ID), as the exporter and the host read it', () => {
    expect(appSettings()).toMatchObject({
      APPLICATIONINSIGHTS_CONNECTION_STRING: '<ref:core/applicationInsights.ConnectionString>',
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=<ref:core/identity.clientId>;Authorization=AAD',
      AZURE_CLIENT_ID: '<ref:core/identity.clientId>',
    });
  });
});

describe('Key Vault', () => {
  it('when the vault is created, then it is in RBAC mode with soft delete, holding the two secrets the app references', () => {
    const vault = one('Microsoft.KeyVault/vaults');
    expect(vault.properties).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true });
    expect(vault.properties).not.toHaveProperty('accessPolicies');
    const secrets = d.resources.filter((r) => r.type === 'Microsoft.KeyVault/vaults/secrets' && !r.existing);
    expect(secrets.map((s) => s.name.split('/')[1])).toEqual(['webhook-secrets', 'notify-targets']);
    expect(secrets[0]!.properties.value).toBe('S'.repeat(48));
    expect(appSettings()).toMatchObject({
      WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=<ref:vault/secret.secretUriWithVersion>)',
      NOTIFY_TARGETS: '@Microsoft.KeyVault(SecretUri=<ref:vault/notifySecret.secretUriWithVersion>)',
    });
    expect(String(site().properties.keyVaultReferenceIdentity)).toMatch(
      /\/userAssignedIdentities\/id-rollout-/,
    );
  });

  it('when a rotation is under way, then the secret holds "new,old"', () => {
    const rotating = scenario({ webhookSecretPrevious: 'P'.repeat(48) });
    const secret = rotating.resources.find((r) => r.name.endsWith('/webhook-secrets') && !r.existing)!;
    expect(secret.properties.value).toBe(`${'S'.repeat(48)},${'P'.repeat(48)}`);
  });

  it('when the environment is re-created after `azd down` (a new identity), then the vault gets a new name; re-provisioning keeps it', () => {
    const withIdentity = (principalId: string) =>
      one(
        'Microsoft.KeyVault/vaults',
        deploy(template(), scenarioParameters(), {
          known: { 'core/identity': { principalId, clientId: 'client', id: 'identity-id' } },
        }),
      ).name;
    expect(withIdentity('principal-1')).toBe(withIdentity('principal-1'));
    expect(withIdentity('principal-2')).not.toBe(withIdentity('principal-1'));
    for (const n of [withIdentity('principal-1'), withIdentity('principal-2')])
      expect(n).toMatch(/^kv-rollout-[a-z0-9]{13}$/);
    expect(one('Microsoft.KeyVault/vaults', scenario({ keyVaultName: 'kv-mine' })).name).toBe('kv-mine');
  });
});

describe('the Function App', () => {
  it('when the plan is created, then it is Flex Consumption (FC1) on Linux', () => {
    const plan = one('Microsoft.Web/serverfarms');
    expect(plan.raw.sku).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
    expect(plan.properties).toMatchObject({ reserved: true });
  });

  it("when the site is created, then Node.js 22, the user-assigned identity only, HTTPS only, azd's service tag, and no ftpsState (not supported on Flex)", () => {
    const s = site();
    expect(s.raw.kind).toBe('functionapp,linux');
    expect(s.raw.identity).toMatchObject({ type: 'UserAssigned' });
    expect(JSON.stringify(s.raw.tags)).toContain('azd-service-name');
    expect(s.properties.httpsOnly).toBe(true);
    const config = s.properties.functionAppConfig as {
      runtime: unknown;
      scaleAndConcurrency: Record<string, unknown>;
    };
    expect(config.runtime).toEqual({ name: 'node', version: '22' });
    expect(JSON.stringify(template())).not.toMatch(/ftpsState|alwaysOn/);
  });

  it('when scaling is configured, then at most 40 instances by default (at least 1 allowed) and one always-ready instance for `advance`', () => {
    const scale = (dep: Deployment) =>
      (site(dep).properties.functionAppConfig as { scaleAndConcurrency: Record<string, unknown> })
        .scaleAndConcurrency;
    expect(scale(d)).toEqual({
      instanceMemoryMB: 2048,
      maximumInstanceCount: 40,
      alwaysReady: [{ name: 'function:advance', instanceCount: 1 }],
    });
    expect(scale(scenario({ maximumInstanceCount: 1, advanceAlwaysReady: 0 }))).toMatchObject({
      maximumInstanceCount: 1,
      alwaysReady: [],
    });
    expect(() => scenario({ maximumInstanceCount: 0 })).toThrow(
      /maximumInstanceCount value 0 is out of range/,
    );
    expect(template().parameters?.maximumInstanceCount).toMatchObject({ minValue: 1, maxValue: 1000 });
  });

  it('when no operator IP ranges are given, then the app is reachable from anywhere (a first `azd up` works), scm too', () => {
    expect(siteConfig()).toMatchObject({
      ipSecurityRestrictionsDefaultAction: 'Allow',
      ipSecurityRestrictions: [],
      scmIpSecurityRestrictionsUseMain: false,
    });
  });

  it('when operator IP ranges are given, then only they and the AzureContainerRegistry service tag (the webhooks) reach the app', () => {
    const restricted = siteConfig(scenario({ operatorIpRanges: '203.0.113.0/24, 198.51.100.7/32' }));
    expect(restricted.ipSecurityRestrictionsDefaultAction).toBe('Deny');
    expect(restricted.ipSecurityRestrictions).toEqual([
      { name: 'operator-0', action: 'Allow', tag: 'Default', ipAddress: '203.0.113.0/24', priority: 100 },
      { name: 'operator-1', action: 'Allow', tag: 'Default', ipAddress: '198.51.100.7/32', priority: 101 },
      {
        name: 'acr-webhooks',
        action: 'Allow',
        tag: 'ServiceTag',
        ipAddress: 'AzureContainerRegistry',
        priority: 300,
      },
    ]);
  });

  it('when the subnet is given, then regional VNet integration (private API servers); else none', () => {
    expect(site().properties.virtualNetworkSubnetId).toBeNull();
    expect(
      site(
        scenario({
          functionSubnetId:
            '/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/v/subnets/s',
        }),
      ).properties.virtualNetworkSubnetId,
    ).toMatch(/\/subnets\/s$/);
  });
});

describe('ACR webhooks', () => {
  const hooks = d.resources.filter((r) => r.type === 'Microsoft.ContainerRegistry/registries/webhooks');

  it('when created, then one per replica region (home included), in that region, on the registry, in its resource group', () => {
    expect(hooks.map((h) => (h.raw.location === undefined ? '' : h))).toHaveLength(
      SCENARIO_CONFIG.regions.length,
    );
    const webhookTemplate = (
      template().resources as Record<
        string,
        { properties: { template: { resources: Record<string, { location: string }> } } }
      >
    ).webhooks!.properties.template.resources.webhook!;
    expect(webhookTemplate.location).toBe("[parameters('regions')[copyIndex()]]");
    for (const [i, h] of hooks.entries()) {
      expect(h.at).toEqual({ subscriptionId: SUB_ACR, resourceGroup: 'rg-acr' });
      expect(h.name.split('/')[0]).toBe('myregistry');
      expect(h.name.split('/')[1]).toMatch(/^[a-zA-Z0-9]{5,50}$/);
      expect(h.properties.serviceUri).toBe(
        `https://<ref:api/site.defaultHostName>/api/acr/events/${SCENARIO_CONFIG.regions[i]!.name}`,
      );
    }
  });

  it('when ACR calls, then the URL carries no key and the bearer secret goes in the Authorization header', () => {
    for (const h of hooks) {
      expect(String(h.properties.serviceUri)).not.toMatch(/[?&]code=|\?/);
      expect(h.properties.customHeaders).toEqual({ Authorization: `Bearer ${'S'.repeat(48)}` });
      expect(h.properties.actions).toEqual(['push', 'delete', 'quarantine']);
      expect(h.properties.status).toBe('enabled');
    }
  });

  it('when the scope is derived, then several watched repositories mean every repository (the app filters); one means <repo>:*', () => {
    expect(new Set(hooks.map((h) => h.properties.scope))).toEqual(new Set(['']));
    const single = scenario({
      rolloutConfig: JSON.stringify({ ...SCENARIO_CONFIG, workloads: SCENARIO_CONFIG.workloads.slice(0, 1) }),
    });
    const scopes = single.resources
      .filter((r) => r.type === 'Microsoft.ContainerRegistry/registries/webhooks')
      .map((h) => h.properties.scope);
    expect(new Set(scopes)).toEqual(new Set(['shop/web:*']));
    expect(scenario({ webhookScope: 'x:*' }).outputs.ROLLOUT_WEBHOOK_SCOPE).toBe('x:*');
  });

  it('when two environments share one registry, then their webhook names differ', () => {
    const names = (env: string) =>
      scenario({ environmentName: env })
        .resources.filter((r) => r.type === 'Microsoft.ContainerRegistry/registries/webhooks')
        .map((h) => h.name);
    expect(names('prod')).not.toEqual(names('staging'));
    // The longest region name still gives a valid webhook name.
    const long = `a${'b'.repeat(39)}`;
    const cfg = {
      ...SCENARIO_CONFIG,
      registry: { ...SCENARIO_CONFIG.registry, homeRegion: long },
      regions: [{ ...SCENARIO_CONFIG.regions[0]!, name: long }],
      workloads: SCENARIO_CONFIG.workloads.slice(0, 1),
    };
    const [hook] = scenario({ rolloutConfig: JSON.stringify(cfg) }).resources.filter(
      (r) => r.type === 'Microsoft.ContainerRegistry/registries/webhooks',
    );
    expect(hook!.name.split('/')[1]).toMatch(/^[a-zA-Z0-9]{5,50}$/);
  });
});

describe('App Service Authentication (enableEasyAuth)', () => {
  const auth = (dep: Deployment) => dep.resources.filter((r) => r.type === 'Microsoft.Web/sites/config');

  it('when off (the default), then no authsettings are deployed and OPERATOR_ROLE still names the role', () => {
    expect(template().parameters?.enableEasyAuth).toMatchObject({ type: 'bool', defaultValue: false });
    expect(auth(d)).toEqual([]);
    expect(appSettings().OPERATOR_ROLE).toBe('Rollout.Operator');
    expect(d.outputs.ROLLOUT_EASY_AUTH).toBe('off (function keys only)');
  });

  it('when on, then Entra ID sign-in on every route but the webhook routes and the Event Grid endpoint, with the authorization policy', () => {
    const on = scenario({
      enableEasyAuth: true,
      easyAuthClientId: 'app-client-id',
      easyAuthAllowedPrincipals: 'obj-1, obj-2',
      easyAuthAllowedApplications: 'client-9',
      operatorRole: 'Rollouts.Admin',
    });
    const [cfg] = auth(on);
    expect(cfg!.name).toMatch(/\/authsettingsV2$/);
    const p = cfg!.properties as {
      globalValidation: Record<string, unknown>;
      identityProviders: { azureActiveDirectory: Record<string, Record<string, unknown>> };
    };
    expect(p.globalValidation).toEqual({
      requireAuthentication: true,
      unauthenticatedClientAction: 'RedirectToLoginPage',
      redirectToProvider: 'azureactivedirectory',
      excludedPaths: [
        '/api/acr/events',
        ...SCENARIO_CONFIG.regions.map((r) => `/api/acr/events/${r.name}`),
        '/runtime/webhooks/eventgrid',
      ],
    });
    const aad = p.identityProviders.azureActiveDirectory;
    expect(aad.registration).toEqual({
      openIdIssuer: 'https://login.microsoftonline.com/tenant-id/v2.0',
      clientId: 'app-client-id',
    });
    expect(aad.validation).toEqual({
      allowedAudiences: ['api://app-client-id', 'app-client-id'],
      defaultAuthorizationPolicy: {
        allowedPrincipals: { identities: ['obj-1', 'obj-2'] },
        allowedApplications: ['client-9'],
      },
    });
    expect(appSettings(on).OPERATOR_ROLE).toBe('Rollouts.Admin');
    expect(on.outputs.ROLLOUT_EASY_AUTH).toBe('on (app role Rollouts.Admin required for operator actions)');
  });

  it('when on without allowed principals or applications, then the policy restricts nothing by itself (the app role decides)', () => {
    const [cfg] = auth(scenario({ enableEasyAuth: true, easyAuthClientId: 'app-client-id' }));
    const aad = (
      cfg!.properties.identityProviders as { azureActiveDirectory: { validation: Record<string, unknown> } }
    ).azureActiveDirectory;
    expect(aad.validation.defaultAuthorizationPolicy).toEqual({});
  });

  it('when on without a client id, then the deployment is refused naming the parameter', () => {
    expect(() => scenario({ enableEasyAuth: true })).toThrow(/clientId is shorter than 1/);
  });
});
