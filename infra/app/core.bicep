// What the Function App stands on, in the app's resource group, declared directly (after
// Azure-Samples/azure-functions-flex-consumption-samples, IaC/bicep): the user-assigned identity,
// the Flex Consumption (FC1) plan, the storage account (no shared keys) with the blob containers,
// queues and services the host and the app use, Log Analytics and Application Insights (Entra
// ID only). Role assignments on these are in app-roles.bicep, each at the narrowest scope.

param location string = resourceGroup().location
param tags object = {}

@minLength(1)
param identityName string
@minLength(1)
param planName string
@minLength(3)
@maxLength(24)
param storageAccountName string
@minLength(4)
@maxLength(63)
param logAnalyticsName string
@minLength(1)
param applicationInsightsName string

@minLength(3)
@maxLength(63)
@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('The wake-up queue and its poison queue (the app sends to the first; the Functions host moves a message to the second after maxDequeueCount failures).')
param queueNames queueName[]

@minLength(3)
@maxLength(63)
type queueName = string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: identityName
  location: location
  tags: tags
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity only: no account keys, no connection strings
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

// The Functions host's own containers (timer and singleton locks, host id leases; the key store
// that holds the default host key) are declared here rather than left for the host to create,
// so its role can be scoped to exactly these containers (app-roles.bicep).
var hostContainerNames = [
  'azure-webjobs-hosts'
  'azure-webjobs-secrets'
]

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for name in hostContainerNames: {
    parent: blobService
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for name in queueNames: {
    parent: queueService
    name: name
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true // telemetry only with Entra ID (Monitoring Metrics Publisher)
  }
}

output identityId string = identity.id
output identityName string = identity.name
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output planId string = plan.id
output storageAccountName string = storage.name
output storageAccountId string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output hostContainerNames string[] = [for (name, i) in hostContainerNames: hostContainers[i].name]
output deploymentContainerName string = deploymentContainer.name
output queueNames string[] = [for (name, i) in queueNames: queues[i].name]
output tableServiceName string = tableService.name
output applicationInsightsName string = applicationInsights.name
output applicationInsightsId string = applicationInsights.id
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsId string = logAnalytics.id
