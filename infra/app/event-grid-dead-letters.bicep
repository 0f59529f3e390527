// Where Event Grid puts an event it could not deliver within its retry policy (30 attempts over
// 24 h): one blob container in the app's storage account, and the system topic's identity's only
// role, Storage Blob Data Contributor on that container alone (the account keeps shared-key access
// off: Event Grid writes with its identity, `deadLetterWithResourceIdentity`). Deployed in the
// app's resource group; the topic itself is in the registry's (event-grid.bicep).

@minLength(3)
param storageAccountName string

@minLength(3)
@maxLength(63)
@description('Dead-letter container: lower-case letters, digits and hyphens.')
param containerName string

@minLength(1)
@description('Principal id of the system topic\'s system-assigned identity.')
param principalId string

var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: storage::blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, storageBlobDataContributorRoleId)
  scope: container
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output containerName string = container.name
