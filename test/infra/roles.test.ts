// Every role the rollout identity gets is a documented built-in role with the id its comment
// claims, the set is exactly what the app needs, and the custom AKS role has exactly the three
// Run Command actions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INFRA, bicepFiles, blockAfter, read, stringItems, stripComments } from './bicep-text';

/**
 * Built-in role ids as published by Microsoft, "Azure built-in roles" reference
 * (learn.microsoft.com/azure/role-based-access-control/built-in-roles/<category>;
 * source: MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/*.md):
 * the JSON "name" of each role definition.
 */
const BUILT_IN_ROLES: Record<string, string> = {
  // built-in-roles/storage.md
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  // built-in-roles/security.md
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  // built-in-roles/monitor.md
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  // built-in-roles/containers.md
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  'Container Registry Repository Reader': 'b93aa761-3e63-49ed-ac28-beffa264f7ac',
  'Azure Kubernetes Service RBAC Writer': 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
  'Azure Kubernetes Service Cluster User Role': '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
};

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
/** Exactly what the kubernetes-api path calls (src/adapters/k8s-client.ts): no secrets, no exec. */
const WORKLOAD_DATA_ACTIONS = [
  'Microsoft.ContainerService/managedClusters/apps/deployments/read',
  'Microsoft.ContainerService/managedClusters/apps/deployments/write',
  'Microsoft.ContainerService/managedClusters/apps/statefulsets/read',
  'Microsoft.ContainerService/managedClusters/apps/statefulsets/write',
  'Microsoft.ContainerService/managedClusters/apps/daemonsets/read',
  'Microsoft.ContainerService/managedClusters/apps/daemonsets/write',
  'Microsoft.ContainerService/managedClusters/apps/replicasets/read',
  'Microsoft.ContainerService/managedClusters/pods/read',
];
const RUN_COMMAND_ACTIONS = [
  'Microsoft.ContainerService/managedClusters/read',
  'Microsoft.ContainerService/managedClusters/runcommand/action',
  'Microsoft.ContainerService/managedClusters/commandResults/read',
];

interface RoleVar {
  file: string;
  variable: string;
  id: string;
  claimed: string;
}

function roleVars(): RoleVar[] {
  const out: RoleVar[] = [];
  for (const file of bicepFiles()) {
    for (const m of read(file).matchAll(/^var\s+(\w+)\s*=\s*'([0-9a-fA-F-]{36})'\s*\/\/\s*(.+?)\s*$/gm)) {
      out.push({ file, variable: m[1]!, id: m[2]!.toLowerCase(), claimed: m[3]! });
    }
  }
  return out;
}

const rbac = read(join(INFRA, 'app', 'rbac.bicep'));
const rbacCode = stripComments(rbac);

describe('role definitions', () => {
  const vars = roleVars();

  it('when a role id is declared, then it is the documented id of the role named in its comment', () => {
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) {
      expect(BUILT_IN_ROLES[v.claimed], `${v.variable}: unknown role name "${v.claimed}"`).toBeDefined();
      expect(v.id, `${v.variable} claims ${v.claimed}`).toBe(BUILT_IN_ROLES[v.claimed]);
    }
  });

  it('when a GUID appears in the Bicep, then it is one of the declared role ids (no stray or guessed ids)', () => {
    const declared = new Set(vars.map((v) => v.id));
    for (const file of bicepFiles()) {
      const guids = [...stripComments(read(file)).matchAll(GUID)].map((m) => m[0].toLowerCase());
      for (const g of guids) expect(declared.has(g), `${file}: ${g}`).toBe(true);
    }
  });

  it('when the identity gets roles, then they are exactly the ones the app needs (nothing broader)', () => {
    expect(new Set(vars.map((v) => v.claimed))).toEqual(new Set(Object.keys(BUILT_IN_ROLES)));
  });

  it('when a role id is declared, then a role assignment uses it', () => {
    for (const v of vars) {
      expect(rbacCode).toMatch(
        new RegExp(
          `roleDefinitionId:\\s*subscriptionResourceId\\(\\s*'Microsoft\\.Authorization/roleDefinitions',\\s*${v.variable}\\s*\\)`,
        ),
      );
    }
  });

  it('when the custom AKS role is defined, then it has exactly the three Run Command actions and nothing else', () => {
    const role = stripComments(read(join(INFRA, 'app', 'aks-role.bicep')));
    expect(role).toMatch(/type:\s*'CustomRole'/);
    const permissions = blockAfter(role, /permissions\s*:/)!;
    expect(stringItems(blockAfter(permissions, /\bactions\s*:/)!)).toEqual(RUN_COMMAND_ACTIONS);
    expect(permissions).toMatch(/\bnotActions:\s*\[\]/);
    expect(permissions).toMatch(/\bdataActions:\s*\[\]/);
    expect(permissions).toMatch(/\bnotDataActions:\s*\[\]/);
    // No wildcard anywhere in the role.
    expect(permissions).not.toContain('*');
  });
});

describe('the kubernetes-api workload role', () => {
  it('when the custom workload role is defined, then it has exactly the data actions the app uses and no control-plane action', () => {
    const role = stripComments(read(join(INFRA, 'app', 'aks-data-role.bicep')));
    expect(role).toMatch(/type:\s*'CustomRole'/);
    const permissions = blockAfter(role, /permissions\s*:/)!;
    expect(stringItems(blockAfter(permissions, /\bdataActions\s*:/)!)).toEqual(WORKLOAD_DATA_ACTIONS);
    expect(permissions).toMatch(/\bactions:\s*\[\]/);
    expect(permissions).toMatch(/\bnotActions:\s*\[\]/);
    expect(permissions).toMatch(/\bnotDataActions:\s*\[\]/);
    expect(permissions).not.toContain('*');
    expect(permissions).not.toMatch(/secrets|exec|runcommand/i);
  });
});

describe('role assignments', () => {
  const assignments = [
    ...rbacCode.matchAll(/^resource\s+(\w+)\s+'Microsoft\.Authorization\/roleAssignments@[^']+'/gm),
  ];

  it('when role assignments are made, then they all live in app/rbac.bicep (one module)', () => {
    for (const file of bicepFiles()) {
      if (file.endsWith(join('app', 'rbac.bicep'))) continue;
      expect(stripComments(read(file)), file).not.toContain('Microsoft.Authorization/roleAssignments');
    }
    expect(assignments.length).toBe(11);
  });

  it('when a role is assigned, then its name is a guid() of scope, principal and role, to a service principal', () => {
    for (const m of assignments) {
      const body = blockAfter(rbacCode.slice(m.index), /=/)!;
      expect(body, m[1]).toMatch(/\bname:\s*guid\(/);
      expect(body, m[1]).toMatch(/principalType:\s*'ServicePrincipal'/);
      expect(body, m[1]).toMatch(/principalId:\s*principalId\b/);
    }
  });

  it('when the registry uses ABAC, then Repository Reader is limited to the watched repositories, else AcrPull', () => {
    expect(rbacCode).toMatch(/registryPull '[^']+' = if \(onRegistry && !abac\)/);
    expect(rbacCode).toMatch(/registryRepositoryReader '[^']+' = if \(onRegistry && abac\)/);
    // The condition names both data actions of the role and the repository attribute.
    expect(rbac).toContain(
      "ActionMatches{\\'Microsoft.ContainerRegistry/registries/repositories/content/read\\'}",
    );
    expect(rbac).toContain(
      "ActionMatches{\\'Microsoft.ContainerRegistry/registries/repositories/metadata/read\\'}",
    );
    expect(rbac).toContain(
      '@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase',
    );
    expect(rbacCode).toMatch(/conditionVersion:[^\n]*'2\.0'/);
  });

  it('when a run-command cluster uses Azure RBAC, then RBAC Writer is scoped to each workload namespace, not the cluster', () => {
    const writer = blockAfter(rbacCode, /resource namespaceWriter [^=]+=/)!;
    expect(writer).toMatch(
      /for \(ns, i\) in clusterNamespaces: if \(onCluster && clusterAzureRbac && !viaKubernetesApi\)/,
    );
    expect(writer).toMatch(/scope:\s*workloadNamespaces\[i\]/);
    expect(rbacCode).toMatch(/'Microsoft\.ContainerService\/managedClusters\/namespaces@[^']+' existing/);
  });

  it('when Run Command is granted, then it is the custom role on the cluster itself, for run-command regions only', () => {
    const run = blockAfter(rbacCode, /resource runCommand [^=]+=/)!;
    expect(run).toMatch(/scope:\s*cluster\b/);
    expect(run).toMatch(/aksRunCommandRoleGuid/);
    expect(rbacCode).toMatch(/resource runCommand '[^']+' = if \(onCluster && !viaKubernetesApi\)/);
    expect(rbacCode).toMatch(/var viaKubernetesApi = clusterAccess == 'kubernetes-api'/);
  });

  it('when a region uses the Kubernetes API, then it gets the Cluster User Role on the cluster and the workload role on each workload namespace, and no RBAC Writer', () => {
    expect(rbacCode).toMatch(/resource clusterUser '[^']+' = if \(onCluster && viaKubernetesApi\)/);
    const user = blockAfter(rbacCode, /resource clusterUser [^=]+=/)!;
    expect(user).toMatch(/scope:\s*cluster\b/);
    expect(user).toMatch(/aksClusterUserRoleId/);
    const workloads = blockAfter(rbacCode, /resource namespaceWorkloads [^=]+=/)!;
    expect(workloads).toMatch(/for \(ns, i\) in clusterNamespaces: if \(onCluster && viaKubernetesApi\)/);
    expect(workloads).toMatch(/scope:\s*workloadNamespaces\[i\]/);
    expect(workloads).toMatch(/aksWorkloadRoleGuid/);
    expect(rbacCode).toMatch(
      /for \(ns, i\) in clusterNamespaces: if \(onCluster && clusterAzureRbac && !viaKubernetesApi\)/,
    );
    // main.bicep passes each region's access (default kubernetes-api) and the workload role.
    const main = stripComments(read(join(INFRA, 'main.bicep')));
    expect(main).toMatch(/access: r\.\?access \?\? 'kubernetes-api'/);
    expect(main).toMatch(/clusterAccess: c\.access/);
    expect(main).toMatch(/aksWorkloadRoleGuid: aksWorkloadRole\.outputs\.roleGuid/);
  });

  it('when the Function App must reach private API servers, then functionSubnetId turns on VNet integration (optional)', () => {
    const main = stripComments(read(join(INFRA, 'main.bicep')));
    expect(main).toMatch(/param functionSubnetId string = ''/);
    expect(main).toMatch(/functionSubnetId: functionSubnetId/);
    const api = stripComments(read(join(INFRA, 'app', 'api.bicep')));
    expect(api).toMatch(/virtualNetworkSubnetId: empty\(functionSubnetId\) \? null : functionSubnetId/);
  });
});
