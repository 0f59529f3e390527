// The custom role the rollout identity holds on each workload namespace of a kubernetes-api
// region: exactly the Kubernetes data actions the app uses through the API server (Azure RBAC
// for Kubernetes authorization): read and write (patch) Deployments, StatefulSets and
// DaemonSets; read ReplicaSets (a Deployment's new revision) and Pods (fail fast on stuck pods).
// Nothing on secrets, no exec, no Run Command. Assigned per namespace in rbac.bicep.
targetScope = 'subscription'

@description('Display name; unique in the tenant.')
param roleName string

@description('Where the role may be assigned: the resource groups of the clusters.')
param assignableScopes array

resource workloadRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(tenant().tenantId, roleName)
  properties: {
    roleName: roleName
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

output roleGuid string = workloadRole.name
