// Every role assignment of the rollout identity, in one module. main.bicep deploys it once per
// resource group that holds something the identity needs (the app's group, the registry's group,
// each cluster's group); each deployment creates only the assignments whose target it was given.
// Names are guid(scope, principal, role) so re-deploys are idempotent.
// Role ids: Microsoft's "Azure built-in roles" pages (Storage, Security, Monitor, Containers);
// test/infra/roles.test.ts checks each id against the name in its comment.

@description('Principal id (object id) of the user-assigned identity.')
param principalId string

// App resource group
param storageAccountName string = ''
param appInsightsName string = ''
param keyVaultName string = ''

// Registry resource group
param registryName string = ''
@allowed([
  'LegacyRegistryPermissions'
  'AbacRepositoryPermissions'
])
param registryRoleAssignmentMode string = 'LegacyRegistryPermissions'
@description('Repositories the app reads; ABAC mode limits the role assignment to them (at least one: the config requires a workload).')
param registryRepositories array = []

// Cluster resource group (one cluster per deployment)
param clusterName string = ''
@description('The region this cluster serves; its workload namespaces are the namespaces of the workloads deployed there.')
param clusterRegion string = ''
@description('rolloutConfig.workloads; a workload without regions runs in every region.')
param workloads array = []
@description('The cluster uses Azure RBAC for Kubernetes authorization.')
param clusterAzureRbac bool = false
@description('Name (guid) of the custom role from aks-role.bicep.')
param aksRunCommandRoleGuid string = ''
@description('regions[].access of this cluster: kubernetes-api (default) or run-command.')
@allowed([
  'kubernetes-api'
  'run-command'
])
param clusterAccess string = 'kubernetes-api'
@description('Name (guid) of the custom workload data-action role from aks-data-role.bicep.')
param aksWorkloadRoleGuid string = ''

// Built-in role definition ids (documented ids; nothing broader than needed).
var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d' // AcrPull
var containerRegistryRepositoryReaderRoleId = 'b93aa761-3e63-49ed-ac28-beffa264f7ac' // Container Registry Repository Reader
var aksRbacWriterRoleId = 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb' // Azure Kubernetes Service RBAC Writer
var aksClusterUserRoleId = '4abbcc35-e782-43d8-92c5-2d3f1bd2253f' // Azure Kubernetes Service Cluster User Role

var onAppGroup = !empty(storageAccountName)
var onRegistry = !empty(registryName)
var onCluster = !empty(clusterName)
var viaKubernetesApi = clusterAccess == 'kubernetes-api'
var abac = registryRoleAssignmentMode == 'AbacRepositoryPermissions'

// ABAC condition (format from the ACR "ABAC repository permissions" docs): the two data actions
// of Container Registry Repository Reader apply only to the watched repositories.
var repositoryClauses = map(
  registryRepositories,
  repo => '@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase \'${repo}\''
)
var repositoryCondition = '((!(ActionMatches{\'Microsoft.ContainerRegistry/registries/repositories/content/read\'}) AND !(ActionMatches{\'Microsoft.ContainerRegistry/registries/repositories/metadata/read\'})) OR (${join(repositoryClauses, ' OR ')}))'

// Workload namespaces of this cluster's region.
var clusterNamespaces = union(
  map(filter(workloads, w => contains(w.?regions ?? [clusterRegion], clusterRegion)), w => w.namespace),
  []
)

// ---- App resource group: host storage, the app's tables, the webhook secret, telemetry ----
resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = if (onAppGroup) {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = if (onAppGroup) {
  name: appInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = if (onAppGroup) {
  name: keyVaultName
}

// Functions host (AzureWebJobsStorage): deployment package, keys, timer and singleton locks.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onAppGroup) {
  name: guid(storageAccount.id, principalId, storageBlobDataOwnerRoleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Functions host (AzureWebJobsStorage__queueServiceUri) and the app's wake-up queue
// (ROLLOUT_STORAGE__queueServiceUri: send, the `advance` trigger's receive/delete/update, the
// poison queue it writes and the timer peeks). Contributor, not the narrower documented trigger
// roles: those cannot release a failed message or write the poison queue.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onAppGroup) {
  name: guid(storageAccount.id, principalId, storageQueueDataContributorRoleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// The app's own state (ROLLOUT_STORAGE__tableServiceUri): deliveries, releases, region rollouts, ledger.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onAppGroup) {
  name: guid(storageAccount.id, principalId, storageTableDataContributorRoleId)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// WEBHOOK_SECRETS is a Key Vault reference resolved with this identity.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onAppGroup) {
  name: guid(keyVault.id, principalId, keyVaultSecretsUserRoleId)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights has local auth disabled: telemetry is sent with Entra ID.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onAppGroup) {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Registry: manifest HEAD on regional endpoints and the _tags listing, nothing else ----
resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (onRegistry) {
  name: registryName
}

// RBAC-only registries: AcrPull (registries/pull/read) is the narrowest built-in role with data
// access; it covers reading manifests and tags. It is not honoured in ABAC mode.
resource registryPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onRegistry && !abac) {
  name: guid(registry.id, principalId, acrPullRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// ABAC-enabled registries: repositories/content/read (manifest HEAD) and
// repositories/metadata/read (_tags), limited by condition to the watched repositories.
resource registryRepositoryReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onRegistry && abac) {
  name: guid(registry.id, principalId, containerRegistryRepositoryReaderRoleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      containerRegistryRepositoryReaderRoleId
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
    condition: repositoryCondition
    conditionVersion: '2.0'
  }
}

// ---- Cluster, run-command regions: Run Command (custom role) and, with Azure RBAC, namespace-scoped writes ----
// ---- Cluster, kubernetes-api regions: Cluster User Role (listClusterUserCredential) and the
// ---- workload data-action role on each workload namespace; no Run Command permission ----
resource cluster 'Microsoft.ContainerService/managedClusters@2024-05-01' existing = if (onCluster) {
  name: clusterName
}

resource runCommand 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onCluster && !viaKubernetesApi) {
  name: guid(cluster.id, principalId, aksRunCommandRoleGuid)
  scope: cluster
  properties: {
    // Custom role (aks-role.bicep): managedClusters/read, runcommand/action, commandResults/read.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksRunCommandRoleGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// AKS accepts <clusterId>/namespaces/<ns> as a role assignment scope for Azure RBAC for
// Kubernetes; the namespace is not an ARM resource we create, only a scope (as in the AKS
// baseline reference implementation).
#disable-next-line BCP081
resource workloadNamespaces 'Microsoft.ContainerService/managedClusters/namespaces@2022-01-02-preview' existing = [
  for ns in clusterNamespaces: if (onCluster && (clusterAzureRbac || viaKubernetesApi)) {
    parent: cluster
    name: ns
  }
]

resource namespaceWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (ns, i) in clusterNamespaces: if (onCluster && clusterAzureRbac && !viaKubernetesApi) {
    name: guid(cluster.id, ns, principalId, aksRbacWriterRoleId)
    scope: workloadNamespaces[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksRbacWriterRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// kubernetes-api: the kubeconfig's server and CA come from listClusterUserCredential.
resource clusterUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onCluster && viaKubernetesApi) {
  name: guid(cluster.id, principalId, aksClusterUserRoleId)
  scope: cluster
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksClusterUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// kubernetes-api: exactly the data actions the app uses (aks-data-role.bicep), per namespace.
resource namespaceWorkloads 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (ns, i) in clusterNamespaces: if (onCluster && viaKubernetesApi) {
    name: guid(cluster.id, ns, principalId, aksWorkloadRoleGuid)
    scope: workloadNamespaces[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksWorkloadRoleGuid)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
