// Role assignments on one AKS cluster of a `run-command` region (deployed in the cluster's
// resource group): the Run Command custom role on the cluster, and, where the cluster uses Azure
// RBAC for Kubernetes, the Run Command workload data role on each workload namespace (the command
// runs as the identity). Never AKS RBAC Writer (it reads and writes secrets) and never the Cluster
// User role (this path does not call listClusterUserCredential).
// Namespaces are a loop (empty without Azure RBAC), not a condition: nothing here is ever scoped
// to an empty name.

@minLength(1)
param principalId string
@minLength(1)
param clusterName string
@description('Workload namespaces to grant the data role on: empty unless the cluster uses Azure RBAC.')
param namespaces namespaceName[]
@minLength(36)
param runCommandRoleGuid string
@minLength(36)
param runCommandWorkloadsRoleGuid string

@minLength(1)
type namespaceName = string

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

resource runCommand 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(cluster.id, principalId, runCommandRoleGuid)
  scope: cluster
  properties: {
    // Custom role (aks-roles.bicep): managedClusters/read, runcommand/action, commandResults/read.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', runCommandRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource namespaceWorkloads 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (ns, i) in namespaces: {
    name: guid(cluster.id, ns, principalId, runCommandWorkloadsRoleGuid)
    scope: workloadNamespaces[i]
    properties: {
      // Custom role (aks-roles.bicep): read and write of Deployments, StatefulSets, DaemonSets.
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', runCommandWorkloadsRoleGuid)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
