// The Function App on the Flex Consumption plan (Node.js 22), after
// Azure-Samples/functions-quickstart-typescript-azd, and the host key used in webhook URLs.
// Every app setting is in `appSettings` below; test/infra/settings.test.ts checks that it matches
// what src/app/config.ts reads (SETTING_NAMES) plus an explicit list of host-only settings.

param name string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
param appServicePlanId string
param storageAccountName string
param deploymentStorageContainerName string
param applicationInsightsName string
param identityId string
param identityClientId string
param instanceMemoryMB int = 2048
param maximumInstanceCount int = 40

@description('ROLLOUT_CONFIG as a JSON string.')
param rolloutConfigJson string
@description('Versioned URI of the Key Vault secret holding WEBHOOK_SECRETS.')
param webhookSecretsUri string
param armEndpoint string
param dryRun bool = false
@description('Empty: the app default (every 30 s).')
param reconcileSchedule string = ''
param webhookNudgeBudgetMs int = 2500
param reconcileBudgetSeconds int = 50
param reconcileConcurrency int = 8
@description('Prefix of the app\'s table names (the storage account is this deployment\'s own).')
param tablePrefix string = 'rollout'

@description('Versioned URI of the Key Vault secret holding NOTIFY_TARGETS.')
param notifyTargetsUri string
@description('STATUS_PAGE_URL: the dashboard notifications link to. Empty: no link.')
param statusPageUrl string = ''

@secure()
@description('Host-level function key ACR webhooks put in ?code=.')
param webhookFunctionKey string
param webhookFunctionKeyName string = 'acrwebhooks'
@description('Subnet for regional VNet integration (private API servers); empty: none.')
param functionSubnetId string = ''

resource stg 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

var appSettings = {
  // ---- Read by src/app/config.ts ----
  ROLLOUT_CONFIG: rolloutConfigJson
  // Identity-based Table Storage: the Functions identity-connection convention
  // (<prefix>__tableServiceUri / __credential / __clientId); the app uses the URI.
  ROLLOUT_STORAGE__tableServiceUri: stg.properties.primaryEndpoints.table
  ROLLOUT_STORAGE__credential: 'managedidentity'
  ROLLOUT_STORAGE__clientId: identityClientId
  // The wake-up queue `<prefix>-work` in the same account: the app sends to it, and the queue
  // trigger `advance` (connection ROLLOUT_STORAGE) reads it with the same identity.
  ROLLOUT_STORAGE__queueServiceUri: stg.properties.primaryEndpoints.queue
  ROLLOUT_TABLE_PREFIX: tablePrefix
  WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=${webhookSecretsUri})'
  AZURE_CLIENT_ID: identityClientId
  ARM_ENDPOINT: armEndpoint
  DRY_RUN: dryRun ? 'true' : 'false'
  RECONCILE_SCHEDULE: empty(reconcileSchedule) ? '*/30 * * * * *' : reconcileSchedule
  WEBHOOK_NUDGE_BUDGET_MS: '${webhookNudgeBudgetMs}'
  RECONCILE_BUDGET_SECONDS: '${reconcileBudgetSeconds}'
  RECONCILE_CONCURRENCY: '${reconcileConcurrency}'
  NOTIFY_TARGETS: '@Microsoft.KeyVault(SecretUri=${notifyTargetsUri})'
  STATUS_PAGE_URL: statusPageUrl
  // ---- Read by the Functions host ----
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: stg.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: stg.properties.primaryEndpoints.queue
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

module api 'br/public:avm/res/web/site:0.9.0' = {
  name: '${serviceName}-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    serverFarmResourceId: appServicePlanId
    httpsOnly: true
    managedIdentities: {
      systemAssigned: false
      userAssignedResourceIds: [
        identityId
      ]
    }
    // Key Vault references (WEBHOOK_SECRETS) resolve with the user-assigned identity.
    keyVaultAccessIdentityResourceId: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stg.properties.primaryEndpoints.blob}${deploymentStorageContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // On Flex Consumption each queue function scales on its own instances: one always-ready
        // instance keeps the first wake-up after a quiet spell from waiting for a cold start.
        alwaysReady: [
          {
            name: 'function:advance'
            instanceCount: 1
          }
        ]
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    appSettingsKeyValuePairs: appSettings
    virtualNetworkSubnetId: empty(functionSubnetId) ? null : functionSubnetId
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: name
}

// A host-level function key (valid for every function with authLevel "function"); its value is
// generated by azd and reused, so the webhook URLs stay stable across deployments.
resource webhookKey 'Microsoft.Web/sites/host/functionKeys@2024-04-01' = {
  name: '${name}/default/${webhookFunctionKeyName}'
  properties: {
    name: webhookFunctionKeyName
    value: webhookFunctionKey
  }
  dependsOn: [
    api
  ]
}

output name string = api.outputs.name
output defaultHostName string = site.properties.defaultHostName
output tableServiceUri string = stg.properties.primaryEndpoints.table
