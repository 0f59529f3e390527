// The rollout identity's roles in the app's own resource group, each at the narrowest scope that
// serves (docs/deploy.md, "What it creates"):
//   azure-webjobs-hosts, azure-webjobs-secrets   Storage Blob Data Owner        the Functions host: locks, leases, its key store
//   the deployment container                     Storage Blob Data Contributor  Flex Consumption writes and reads the package
//   the wake-up queue and its poison queue       Storage Queue Data Contributor the app sends; `advance` receives, releases, poisons
//   the storage account's tables                 Storage Table Data Contributor the app's state (it creates its tables on first use)
//   the two Key Vault secrets                    Key Vault Secrets User         WEBHOOK_SECRETS and NOTIFY_TARGETS references
//   Application Insights                         Monitoring Metrics Publisher   telemetry with Entra ID (local auth is off)
// Every scope is an `existing` resource named by a required, non-empty parameter.
// Role ids: Microsoft's "Azure built-in roles" reference; test/infra/roles.test.ts checks them.

@minLength(1)
param principalId string
@minLength(3)
param storageAccountName string
@description('The host\'s containers (azure-webjobs-hosts, azure-webjobs-secrets).')
param hostContainerNames storageName[]
@minLength(3)
param deploymentContainerName string
@description('The wake-up queue and its poison queue.')
param queueNames storageName[]
@minLength(3)
param keyVaultName string
@description('The Key Vault secrets the app settings reference.')
param secretNames resourceName[]
@minLength(1)
param applicationInsightsName string

@minLength(1)
type resourceName = string

@minLength(3)
type storageName = string

var storageBlobDataOwnerRoleId = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var storageQueueDataContributorRoleId = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
var keyVaultSecretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
var monitoringMetricsPublisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }

  resource queueService 'queueServices' existing = {
    name: 'default'
  }
}

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for name in hostContainerNames: {
    parent: storage::blobService
    name: name
  }
]

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = {
  parent: storage::blobService
  name: deploymentContainerName
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' existing = [
  for name in queueNames: {
    parent: storage::queueService
    name: name
  }
]

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2025-05-01' existing = [
  for name in secretNames: {
    parent: vault
    name: name
  }
]

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The host creates these containers if missing (they exist: core.bicep) and takes leases in them;
// Microsoft documents Blob Data Owner as the host storage role.
resource hostBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in hostContainerNames: {
    name: guid(hostContainers[i].id, principalId, storageBlobDataOwnerRoleId)
    scope: hostContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwnerRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// Flex Consumption deployment storage authenticated with this identity.
resource deploymentBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deploymentContainer.id, principalId, storageBlobDataContributorRoleId)
  scope: deploymentContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Contributor, not the narrower documented trigger roles: those cannot release a failed message
// or write the poison queue. Per queue, not on the account.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in queueNames: {
    name: guid(queues[i].id, principalId, storageQueueDataContributorRoleId)
    scope: queues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributorRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// On the account: the app creates its tables on first use (Create Table is a request to the
// table service, not to one table), and the account holds no other party's tables.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, storageTableDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault references (WEBHOOK_SECRETS, NOTIFY_TARGETS) resolve with this identity, per secret.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in secretNames: {
    name: guid(secrets[i].id, principalId, keyVaultSecretsUserRoleId)
    scope: secrets[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUserRoleId)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, monitoringMetricsPublisherRoleId)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisherRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
