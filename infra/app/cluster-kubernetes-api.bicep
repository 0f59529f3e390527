// Role assignments on one AKS cluster of a `kubernetes-api` region (deployed in the cluster's
// resource group): the workload data role on each workload namespace (Azure RBAC for Kubernetes)
// and, only where the app can use it, the Cluster User role for listClusterUserCredential (the app
// takes the API server URL and CA from that kubeconfig, src/adapters/clusters/kubernetes-api/credentials.ts):
//   - a cluster with managed Entra ID: the user kubeconfig holds no secret (a kubelogin exec entry);
//   - a cluster with local accounts only: that kubeconfig is admin-equivalent, and the app refuses it
//     unless the region sets allowLocalAccounts, so the role is granted only then.
// No Run Command permission and no RBAC Writer.

@minLength(1)
param principalId string
@minLength(1)
param clusterName string
@minLength(1)
@description('Workload namespaces of this cluster\'s region.')
param namespaces namespaceName[]
@minLength(36)
param workloadsRoleGuid string
@description('Grant Azure Kubernetes Service Cluster User Role (see the header).')
param grantClusterUser bool

@minLength(1)
type namespaceName = string

var aksClusterUserRoleId = '4abbcc35-e782-43d8-92c5-2d3f1bd2253f' // Azure Kubernetes Service Cluster User Role

resource cluster 'Microsoft.ContainerService/managedClusters@2025-10-01' existing = {
  name: clusterName
}

// AKS accepts <clusterId>/namespaces/<ns> as a role assignment scope for Azure RBAC for Kubernetes;
// the namespace is a scope, not an ARM resource with published types (as in the AKS baseline).
#disable-next-line BCP081
resource workloadNamespaces 'Microsoft.ContainerService/managedClusters/namespaces@2022-01-02-preview' existing = [
  for ns in namespaces: {
    parent: cluster
    name: ns
  }
]

// Condition-false here is still scoped to the real, named cluster: preflight validates it fine.
resource clusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantClusterUser) {
  name: guid(cluster.id, principalId, aksClusterUserRoleId)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksClusterUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource namespaceWorkloads 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (ns, i) in namespaces: {
    name: guid(cluster.id, ns, principalId, workloadsRoleGuid)
    scope: workloadNamespaces[i]
    properties: {
      // Custom role (aks-roles.bicep): workloads read+write, replicasets and pods read (data actions only).
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', workloadsRoleGuid)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
