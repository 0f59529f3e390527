// The custom roles the rollout identity holds on the AKS clusters, each with exactly what the app
// does (reference/azure-facts.md; test/infra/roles.test.ts pins every action):
//   runCommand          managedClusters/read, runcommand/action, commandResults/read: start the
//                       Run Command and read its result (no built-in role lists commandResults/read;
//                       Cluster Admin would grant far more)
//   runCommandWorkloads on each workload namespace of a run-command cluster with Azure RBAC: what the
//                       script's kubectl does there (get, patch, annotate, rollout status = read and
//                       write of Deployments, StatefulSets, DaemonSets). Nothing on secrets, no exec.
//   apiWorkloads        on each workload namespace of a kubernetes-api cluster: the same, plus read of
//                       ReplicaSets (a Deployment's new revision) and Pods (fail fast on stuck pods)
// Role names are passed in (main.bicep derives them), so the assignments can name the role before
// this deployment has run.
targetScope = 'subscription'

@description('Where the roles may be assigned: the resource groups of the clusters.')
param assignableScopes string[]

param runCommandRoleName string
param runCommandWorkloadsRoleName string
param apiWorkloadsRoleName string

@description('Create the Run Command roles (some region uses access: run-command).')
param createRunCommandRoles bool
@description('Create the kubernetes-api workload role (some region uses access: kubernetes-api).')
param createApiRole bool

// Literal lists (not computed), so the compiled template states each role's actions verbatim.
resource runCommand 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (createRunCommandRoles) {
  name: guid(tenant().tenantId, runCommandRoleName)
  properties: {
    roleName: runCommandRoleName
    description: 'Run kubectl through AKS Run Command and read its result (ACR geo-replication-aware rollouts).'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.ContainerService/managedClusters/read'
          'Microsoft.ContainerService/managedClusters/runcommand/action'
          'Microsoft.ContainerService/managedClusters/commandResults/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource runCommandWorkloads 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (createRunCommandRoles) {
  name: guid(tenant().tenantId, runCommandWorkloadsRoleName)
  properties: {
    roleName: runCommandWorkloadsRoleName
    description: 'Read and patch the Deployments, StatefulSets and DaemonSets the Run Command script of ACR geo-replication-aware rollouts changes.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.ContainerService/managedClusters/apps/deployments/read'
          'Microsoft.ContainerService/managedClusters/apps/deployments/write'
          'Microsoft.ContainerService/managedClusters/apps/statefulsets/read'
          'Microsoft.ContainerService/managedClusters/apps/statefulsets/write'
          'Microsoft.ContainerService/managedClusters/apps/daemonsets/read'
          'Microsoft.ContainerService/managedClusters/apps/daemonsets/write'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

resource apiWorkloads 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (createApiRole) {
  name: guid(tenant().tenantId, apiWorkloadsRoleName)
  properties: {
    roleName: apiWorkloadsRoleName
    description: 'Read and patch the workloads ACR geo-replication-aware rollouts change, and read their ReplicaSets and Pods.'
    type: 'CustomRole'
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: [
          'Microsoft.ContainerService/managedClusters/apps/deployments/read'
          'Microsoft.ContainerService/managedClusters/apps/deployments/write'
          'Microsoft.ContainerService/managedClusters/apps/statefulsets/read'
          'Microsoft.ContainerService/managedClusters/apps/statefulsets/write'
          'Microsoft.ContainerService/managedClusters/apps/daemonsets/read'
          'Microsoft.ContainerService/managedClusters/apps/daemonsets/write'
          'Microsoft.ContainerService/managedClusters/apps/replicasets/read'
          'Microsoft.ContainerService/managedClusters/pods/read'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}
