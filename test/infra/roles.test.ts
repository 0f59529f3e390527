// Every role the rollout identity gets, read from the compiled ARM JSON: custom roles with exactly
// the actions the app uses, built-in roles by their documented ids and nothing broader (no Owner,
// Contributor, access administrators, AKS RBAC Writer/Admin or Cluster Admin), each assignment to
// the identity as a service principal, at the narrowest scope, and never scoped to a name that can
// be empty (a condition-false resource is still validated in preflight).
import { describe, expect, it } from 'vitest';
import {
  SCENARIO_CONFIG,
  SUB_ACR,
  SUB_AKS,
  SUB_APP,
  guidsIn,
  scenario,
  template,
  type ArmResource,
  type ArmTemplate,
  type Deployed,
} from './arm';

/**
 * Built-in role ids as published by Microsoft ("Azure built-in roles" reference,
 * learn.microsoft.com/azure/role-based-access-control/built-in-roles/<category>): the JSON "name"
 * of each role definition.
 */
const BUILT_IN: Record<string, string> = {
  // storage
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  // security
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  // monitor
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  // containers
  '7f951dda-4ed3-4680-a7ca-43fe172d538d': 'AcrPull',
  'b93aa761-3e63-49ed-ac28-beffa264f7ac': 'Container Registry Repository Reader',
  '4abbcc35-e782-43d8-92c5-2d3f1bd2253f': 'Azure Kubernetes Service Cluster User Role',
};

/** Roles that must never appear: far broader than anything the app does. */
const FORBIDDEN: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb': 'Azure Kubernetes Service RBAC Writer (reads and writes secrets)',
  '3498e952-d568-435e-9b2c-8d77e338d7f7': 'Azure Kubernetes Service RBAC Admin',
  'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b': 'Azure Kubernetes Service RBAC Cluster Admin',
  '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8': 'Azure Kubernetes Service Cluster Admin Role',
  'ed7f3fbd-7b88-4dd4-9017-9adb7ce333f8': 'Azure Kubernetes Service Contributor Role',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '8311e382-0749-4cb8-b61a-304f252e45ec': 'AcrPush',
};

const SCENARIO = SCENARIO_CONFIG;

const WORKLOADS_READ_WRITE = [
  'Microsoft.ContainerService/managedClusters/apps/deployments/read',
  'Microsoft.ContainerService/managedClusters/apps/deployments/write',
  'Microsoft.ContainerService/managedClusters/apps/statefulsets/read',
  'Microsoft.ContainerService/managedClusters/apps/statefulsets/write',
  'Microsoft.ContainerService/managedClusters/apps/daemonsets/read',
  'Microsoft.ContainerService/managedClusters/apps/daemonsets/write',
];

/** Exactly what each custom role may do (by the start of its display name). */
const CUSTOM_ROLES: Record<string, { actions: string[]; dataActions: string[] }> = {
  // Start a Run Command and read its result (src/adapters/clusters/run-command/executor.ts: managedClusters.get,
  // runCommand, getCommandResult).
  'ACR geo rollout - AKS Run Command (': {
    actions: [
      'Microsoft.ContainerService/managedClusters/read',
      'Microsoft.ContainerService/managedClusters/runcommand/action',
      'Microsoft.ContainerService/managedClusters/commandResults/read',
    ],
    dataActions: [],
  },
  // What the Run Command script's kubectl does (src/adapters/clusters/rollout-command.ts: get, patch,
  // annotate, rollout status on Deployments, StatefulSets, DaemonSets).
  'ACR geo rollout - AKS Run Command workloads (': {
    actions: [],
    dataActions: WORKLOADS_READ_WRITE,
  },
  // The Kubernetes API path (src/adapters/clusters/kubernetes-api/client.ts): the fenced patch, progress, fail fast.
  'ACR geo rollout - AKS workloads (': {
    actions: [],
    dataActions: [
      ...WORKLOADS_READ_WRITE,
      'Microsoft.ContainerService/managedClusters/apps/replicasets/read',
      'Microsoft.ContainerService/managedClusters/pods/read',
    ],
  },
};

const deployed = scenario();
const of = (type: string, d = deployed) => d.resources.filter((r) => r.type === type && !r.existing);
const definitions = () => of('Microsoft.Authorization/roleDefinitions');
const assignments = (d = deployed) => of('Microsoft.Authorization/roleAssignments', d);

/** A role assignment's role: the built-in role's name, or the custom role's display name. */
function roleName(a: Deployed): string {
  const id = String(a.properties.roleDefinitionId);
  const guid = id.split('/').at(-1)!;
  if (BUILT_IN[guid]) return BUILT_IN[guid];
  const custom = definitions().find((d) => d.name === guid);
  if (custom) return String(custom.properties.roleName).replace(/ \(.*\)$/, '');
  throw new Error(`${a.module}/${a.symbol}: unknown role ${id}`);
}

/** Where: the scope relative to its subscription, for readable expectations. */
const where = (a: Deployed) => a.scope!.replace(/^\/subscriptions\/[^/]+/, '');
const summary = (d = deployed) =>
  assignments(d)
    .map((a) => `${roleName(a)} @ ${where(a)}`)
    .sort();

describe('custom role definitions', () => {
  it("when the roles are compiled, then there are exactly the three custom AKS roles, in the clusters' subscription", () => {
    expect(definitions().map((d) => String(d.properties.roleName).replace(/\(.*\)$/, '('))).toEqual(
      Object.keys(CUSTOM_ROLES),
    );
    for (const d of definitions()) expect(d.at.subscriptionId).toBe(SUB_AKS);
  });

  it('when a custom role is defined, then its actions and data actions are exactly what the app does, nothing else', () => {
    for (const d of definitions()) {
      const p = d.properties as { roleName: string; type: string; permissions: unknown };
      const want = CUSTOM_ROLES[p.roleName.replace(/\(.*\)$/, '(')]!;
      expect(p.type).toBe('CustomRole');
      expect(p.permissions, p.roleName).toEqual([
        { actions: want.actions, notActions: [], dataActions: want.dataActions, notDataActions: [] },
      ]);
      expect(JSON.stringify(p.permissions)).not.toMatch(/\*|secrets|exec|listClusterAdminCredential/i);
    }
  });

  it("when a custom role may be assigned, then only in the clusters' resource groups", () => {
    for (const d of definitions())
      expect(d.properties.assignableScopes).toEqual(
        ['rg-aks-eus', 'rg-aks-weu', 'rg-aks-sea', 'rg-aks-cus'].map(
          (rg) => `/subscriptions/${SUB_AKS}/resourceGroups/${rg}`,
        ),
      );
  });

  it('when no region uses Run Command, then the Run Command roles are not created (and vice versa)', () => {
    const onlyApi = scenario({
      rolloutConfig: JSON.stringify({
        ...SCENARIO,
        regions: SCENARIO.regions.filter((r) => r.access !== 'run-command'),
      }),
      azureRbacRegions: '',
    });
    expect(
      of('Microsoft.Authorization/roleDefinitions', onlyApi).map((d) =>
        String(d.properties.roleName).replace(/\(.*\)$/, '('),
      ),
    ).toEqual(['ACR geo rollout - AKS workloads (']);
  });
});

describe('role assignments', () => {
  it('when any role is named anywhere in the template, then it is none of the broad roles', () => {
    const text = JSON.stringify(template()).toLowerCase();
    for (const [id, name] of Object.entries(FORBIDDEN)) expect(text.includes(id), name).toBe(false);
    // Every GUID in the template is a known built-in role id (no stray or guessed ids).
    for (const g of guidsIn(JSON.stringify(template()))) expect(BUILT_IN[g], g).toBeDefined();
  });

  it('when the scenario is deployed, then the identity gets exactly these roles at exactly these scopes', () => {
    const st = '/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/';
    const account = deployed.resources.find((r) => r.type === 'Microsoft.Storage/storageAccounts')!.name;
    const vault = deployed.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults')!.name;
    const container = deployed.resources
      .find((r) => r.symbol === 'deploymentContainer' && !r.existing)!
      .name.split('/')[2];
    const aks = (rg: string, name: string) =>
      `/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}`;
    expect(summary()).toEqual(
      [
        // The Functions host: its two containers; Flex Consumption: the deployment container.
        `Storage Blob Data Owner @ ${st}${account}/blobServices/default/containers/azure-webjobs-hosts`,
        `Storage Blob Data Owner @ ${st}${account}/blobServices/default/containers/azure-webjobs-secrets`,
        `Storage Blob Data Contributor @ ${st}${account}/blobServices/default/containers/${container}`,
        // The wake-up queue and its poison queue, not the account's queues.
        `Storage Queue Data Contributor @ ${st}${account}/queueServices/default/queues/rollout-work`,
        `Storage Queue Data Contributor @ ${st}${account}/queueServices/default/queues/rollout-work-poison`,
        // The app creates its tables on first use (a service-level request): the account.
        `Storage Table Data Contributor @ ${st}${account}`,
        `Key Vault Secrets User @ /resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/${vault}/secrets/webhook-secrets`,
        `Key Vault Secrets User @ /resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/${vault}/secrets/notify-targets`,
        `Monitoring Metrics Publisher @ /resourceGroups/rg-prod/providers/Microsoft.Insights/components/${deployed.outputs.APPLICATIONINSIGHTS_NAME as string}`,
        'AcrPull @ /resourceGroups/rg-acr/providers/Microsoft.ContainerRegistry/registries/myregistry',
        // kubernetes-api, Entra ID cluster: Cluster User (server and CA) + the workload role per namespace.
        `Azure Kubernetes Service Cluster User Role @ ${aks('rg-aks-eus', 'aks-eus')}`,
        `ACR geo rollout - AKS workloads @ ${aks('rg-aks-eus', 'aks-eus')}/namespaces/shop`,
        `ACR geo rollout - AKS workloads @ ${aks('rg-aks-eus', 'aks-eus')}/namespaces/batch`,
        // kubernetes-api, local accounts only, allowLocalAccounts off: no Cluster User (its
        // kubeconfig would be admin-equivalent, and the app refuses that cluster anyway).
        `ACR geo rollout - AKS workloads @ ${aks('rg-aks-weu', 'aks-weu')}/namespaces/shop`,
        // run-command with Azure RBAC: Run Command on the cluster + the script's data role per namespace.
        `ACR geo rollout - AKS Run Command @ ${aks('rg-aks-sea', 'aks-sea')}`,
        `ACR geo rollout - AKS Run Command workloads @ ${aks('rg-aks-sea', 'aks-sea')}/namespaces/shop`,
        `ACR geo rollout - AKS Run Command workloads @ ${aks('rg-aks-sea', 'aks-sea')}/namespaces/batch`,
        // run-command with Kubernetes RBAC: Run Command only (the user binds the identity in-cluster).
        `ACR geo rollout - AKS Run Command @ ${aks('rg-aks-cus', 'aks-cus')}`,
      ].sort(),
    );
    // Each lands in the right subscription.
    for (const a of assignments()) {
      const sub = a.scope!.split('/')[2];
      expect(sub, `${roleName(a)} @ ${a.scope}`).toBe(
        a.scope!.includes('ContainerService')
          ? SUB_AKS
          : a.scope!.includes('ContainerRegistry')
            ? SUB_ACR
            : SUB_APP,
      );
    }
  });

  it('when a region sets allowLocalAccounts, then its local-accounts cluster gets the Cluster User role (the user accepted it)', () => {
    const config = {
      ...SCENARIO,
      regions: SCENARIO.regions.map((r) =>
        r.name === 'westeurope' ? { ...r, allowLocalAccounts: true } : r,
      ),
    };
    expect(summary(scenario({ rolloutConfig: JSON.stringify(config) }))).toContain(
      'Azure Kubernetes Service Cluster User Role @ /resourceGroups/rg-aks-weu/providers/Microsoft.ContainerService/managedClusters/aks-weu',
    );
  });

  it('when the registry uses ABAC, then Container Registry Repository Reader with a condition naming exactly the watched repositories', () => {
    const abac = assignments(scenario({ registryRoleAssignmentMode: 'AbacRepositoryPermissions' })).filter(
      (a) => a.scope!.includes('ContainerRegistry'),
    );
    expect(abac.map(roleName)).toEqual(['Container Registry Repository Reader']);
    expect(abac[0]!.properties.conditionVersion).toBe('2.0');
    expect(abac[0]!.properties.condition).toBe(
      "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}) AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})) OR " +
        "(@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase 'shop/web' OR @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase 'shop/worker'))",
    );
    const legacy = assignments().filter((a) => a.scope!.includes('ContainerRegistry'));
    expect(legacy[0]!.properties.condition).toBeNull();
  });

  it('when a role is assigned, then to the app identity, as a service principal, under a name derived from scope, principal and role', () => {
    const names = new Set<string>();
    for (const a of assignments()) {
      expect(String(a.properties.principalId), a.scope).toBe('<ref:core/identity.principalId>');
      expect(a.properties.principalType, a.scope).toBe('ServicePrincipal');
      expect(a.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      names.add(a.name);
    }
    expect(names.size).toBe(assignments().length);
    // Deterministic: a second provisioning makes the same assignments (no duplicates).
    expect(assignments(scenario()).map((a) => a.name)).toEqual(assignments().map((a) => a.name));
  });

  it('when a role is assigned, then its scope (also of an assignment whose condition is false) names no empty segment', () => {
    // A condition-false resource is still validated in preflight: look at every declared
    // assignment, deployed or not, with both values of every condition (the Cluster User role).
    const all = [
      ...assignments(),
      ...assignments(
        scenario({
          rolloutConfig: JSON.stringify({
            ...SCENARIO,
            regions: SCENARIO.regions.map((r) => ({ ...r, allowLocalAccounts: true })),
          }),
        }),
      ),
    ];
    for (const a of all) {
      expect(a.scope, `${a.module}/${a.symbol}`).toMatch(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//,
      );
      expect(
        a
          .scope!.split('/')
          .slice(1)
          .every((seg) => seg.length > 0),
        a.scope,
      ).toBe(true);
    }
    // Every name parameter such a scope is built from is required and non-empty: ARM refuses an
    // empty value at parameter validation, before it could build a scope from it.
    const t = template();
    const modules = [
      'appRoles',
      'registryRoles',
      'runCommandClusterRoles',
      'apiClusterRoles',
      'eventGridDeadLetters',
    ];
    for (const m of modules) {
      const mod = (t.resources as Record<string, { properties: { template: ArmTemplate } }>)[m]!;
      const tpl = mod.properties.template;
      for (const r of Object.values(tpl.resources as Record<string, ArmResource>)) {
        if (r.type !== 'Microsoft.Authorization/roleAssignments') continue;
        for (const p of [...String(r.scope).matchAll(/parameters\('([^']+)'\)/g)].map((x) => x[1]!)) {
          const def = tpl.parameters![p]!;
          expect(def.defaultValue, `${m}: ${p}`).toBeUndefined();
          const min =
            def.type === 'array'
              ? tpl.definitions?.[def.items!.$ref!.replace('#/definitions/', '')]?.minLength
              : def.minLength;
          expect(min, `${m}: ${p}`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('when a run-command region uses Azure RBAC, then its namespaces get the Run Command workload role, never AKS RBAC Writer', () => {
    const sea = assignments().filter((a) => a.scope!.includes('aks-sea'));
    expect(sea.map(roleName).sort()).toEqual([
      'ACR geo rollout - AKS Run Command',
      'ACR geo rollout - AKS Run Command workloads',
      'ACR geo rollout - AKS Run Command workloads',
    ]);
  });
});
