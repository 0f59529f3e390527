// The custom role the rollout identity holds on each AKS cluster: read the cluster, start a Run
// Command, read its result. No built-in role lists commandResults/read, and the built-in Cluster
// Admin role would grant far more (reference/azure-facts.md). Assigned per cluster in rbac.bicep.
targetScope = 'subscription'

@description('Display name; unique in the tenant.')
param roleName string

@description('Where the role may be assigned: the resource groups of the clusters.')
param assignableScopes array

resource runCommandRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(tenant().tenantId, roleName)
  properties: {
    roleName: roleName
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

output roleGuid string = runCommandRole.name
