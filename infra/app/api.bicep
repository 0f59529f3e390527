// The Function App on the Flex Consumption plan (Linux, Node.js 22), declared directly (after
// Azure-Samples/azure-functions-flex-consumption-samples, IaC/bicep): user-assigned identity only,
// identity-based host storage and deployment storage, Key Vault references, Entra ID telemetry,
// one always-ready instance for the queue function `advance`, optional access restrictions.
// No function key is created here: the ACR webhook route is anonymous at the Functions level
// (its bearer secret is the check), and the operator and status routes use the host's default
// key, which the Functions runtime creates on first start (docs/deploy.md, "The keys infra creates").
// test/infra/settings.test.ts checks the app settings against what src/ reads.

@minLength(2)
param name string
param location string = resourceGroup().location
param tags object = {}
param serviceName string = 'api'
@minLength(1)
param planId string
@minLength(1)
param identityId string
@minLength(1)
param identityClientId string

@description('Storage endpoints of the app\'s account (primaryEndpoints).')
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string
@minLength(3)
param deploymentContainerName string

@description('Application Insights connection string (local auth is off: telemetry authenticates with the identity).')
param applicationInsightsConnectionString string

@allowed([2048, 4096])
param instanceMemoryMB int = 2048
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40
@minValue(0)
@maxValue(10)
@description('Always-ready instances of `advance` (billed while idle; 0 = scale from zero).')
param advanceAlwaysReady int = 1

@minLength(2)
@description('ROLLOUT_CONFIG, the JSON text as given.')
param rolloutConfig string
@description('Versioned URI of the Key Vault secret holding WEBHOOK_SECRETS.')
param webhookVaultReference string
@description('Versioned URI of the Key Vault secret holding NOTIFY_TARGETS.')
param notifyVaultReference string
param armEndpoint string
param dryRun bool = false
@description('Empty: every 30 s.')
param reconcileSchedule string = ''
param webhookNudgeBudgetMs int = 2500
param reconcileBudgetSeconds int = 50
param reconcileConcurrency int = 8
@description('Prefix of the app\'s table names (the storage account is this deployment\'s own).')
param tablePrefix string = 'rollout'
@description('STATUS_PAGE_URL: the dashboard notifications link to. Empty: no link.')
param statusPageUrl string = ''
@minLength(1)
@description('OPERATOR_ROLE: the Entra app role an operator needs for the actions when Easy Auth is on.')
param operatorRole string

@description('Subnet for regional VNet integration (private API servers); empty: none.')
param functionSubnetId string = ''

@description('Operator IP ranges (CIDR). Empty: no access restrictions. Else only these and the service tags of the intake (AzureContainerRegistry for webhooks, AzureEventGrid for Event Grid) reach the app.')
param operatorIpRanges string[] = []
@description('ACR webhooks call the app (intake webhook or both).')
param registryWebhooks bool = true
@description('Event Grid delivers to the app (intake event-grid or both).')
param eventGridDelivery bool = false

var appSettings = {
  // ---- Read by the app (src/app/config/schema.ts) ----
  ROLLOUT_CONFIG: rolloutConfig
  // Identity-based Table Storage and the wake-up queue (the Functions identity-connection
  // convention: <prefix>__tableServiceUri / __queueServiceUri / __credential / __clientId). The
  // queue trigger `advance` (connection ROLLOUT_STORAGE) reads the queue with the same identity.
  ROLLOUT_STORAGE__tableServiceUri: tableEndpoint
  ROLLOUT_STORAGE__queueServiceUri: queueEndpoint
  ROLLOUT_STORAGE__credential: 'managedidentity'
  ROLLOUT_STORAGE__clientId: identityClientId
  ROLLOUT_TABLE_PREFIX: tablePrefix
  WEBHOOK_SECRETS: '@Microsoft.KeyVault(SecretUri=${webhookVaultReference})'
  AZURE_CLIENT_ID: identityClientId
  ARM_ENDPOINT: armEndpoint
  DRY_RUN: dryRun ? 'true' : 'false' // string(true) is "True", which the app's parser rejects
  RECONCILE_SCHEDULE: empty(reconcileSchedule) ? '*/30 * * * * *' : reconcileSchedule
  WEBHOOK_NUDGE_BUDGET_MS: '${webhookNudgeBudgetMs}'
  RECONCILE_BUDGET_SECONDS: '${reconcileBudgetSeconds}'
  RECONCILE_CONCURRENCY: '${reconcileConcurrency}'
  NOTIFY_TARGETS: '@Microsoft.KeyVault(SecretUri=${notifyVaultReference})'
  STATUS_PAGE_URL: statusPageUrl
  OPERATOR_ROLE: operatorRole
  // ---- Read by the Functions host ----
  // Host storage: blobs only (locks, leases, the key store); no trigger of this app uses the
  // host's queues, so the host gets no queue endpoint and no account-wide queue role.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  // Read by the host and, for the exporter's credential, by src/app/platform/telemetry.ts.
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var restricted = !empty(operatorIpRanges)
var ipRules = [
  for (cidr, i) in operatorIpRanges: {
    name: 'operator-${i}'
    action: 'Allow'
    tag: 'Default'
    ipAddress: cidr
    priority: 100 + i
  }
]
// ACR sends webhooks from the AzureContainerRegistry service tag's addresses (Microsoft's "Service
// tags for Azure Container Registry"). It is shared by every registry, so it is a network filter,
// not an identity: the bearer secret stays the webhook's check.
var registryRule = {
  name: 'acr-webhooks'
  action: 'Allow'
  tag: 'ServiceTag'
  ipAddress: 'AzureContainerRegistry'
  priority: 300
}
// Event Grid delivers to the function's runtime endpoint from the AzureEventGrid service tag's
// addresses; as above, a network filter: the host checks the Event Grid system key it sends.
var eventGridRule = {
  name: 'event-grid'
  action: 'Allow'
  tag: 'ServiceTag'
  ipAddress: 'AzureEventGrid'
  priority: 310
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    // Key Vault references (WEBHOOK_SECRETS, NOTIFY_TARGETS) resolve with the user-assigned identity.
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(functionSubnetId) ? null : functionSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [for s in items(appSettings): { name: s.key, value: s.value }]
      ipSecurityRestrictionsDefaultAction: restricted ? 'Deny' : 'Allow'
      ipSecurityRestrictions: restricted
        ? concat(ipRules, registryWebhooks ? [registryRule] : [], eventGridDelivery ? [eventGridRule] : [])
        : []
      // The deployment endpoint (scm) keeps its own, open rules: azd deploys through it with
      // Entra ID, from wherever the deployer is.
      scmIpSecurityRestrictionsUseMain: false
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        // On Flex Consumption each queue function scales on its own instances: an always-ready
        // instance keeps the first wake-up after a quiet spell from waiting for a cold start.
        alwaysReady: advanceAlwaysReady > 0
          ? [
              {
                name: 'function:advance'
                instanceCount: advanceAlwaysReady
              }
            ]
          : []
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
