// Geo-replication-aware rollouts from ACR to AKS: everything `azd up` creates.
// Layout after Azure-Samples/functions-quickstart-typescript-azd. The registry and the AKS
// clusters already exist (possibly in other resource groups and subscriptions of the same
// tenant); this template only adds role assignments and webhooks to them.
// One source of truth: regions, clusters and namespaces are derived from rolloutConfig, the
// same object the app reads from its ROLLOUT_CONFIG setting (schema: src/app/config.ts).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used for the resource group name and a unique hash in resource names.')
param environmentName string

@minLength(1)
@description('Region of the Function App, its storage, Key Vault and monitoring (Flex Consumption must be available there).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('The app configuration (ROLLOUT_CONFIG): registry, regions with their AKS cluster ids, workloads, policy. Schema: src/app/config.ts.')
param rolloutConfig object

@description('Resource id of the existing geo-replicated Premium registry: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>.')
param registryResourceId string

@description('The registry\'s role assignment permissions mode (az acr show --query roleAssignmentMode). Empty means LegacyRegistryPermissions (AcrPull); AbacRepositoryPermissions uses Container Registry Repository Reader limited to the watched repositories.')
@allowed([
  ''
  'LegacyRegistryPermissions'
  'AbacRepositoryPermissions'
])
param registryRoleAssignmentMode string = ''

@description('Comma-separated region names (from rolloutConfig.regions) whose AKS cluster uses Azure RBAC for Kubernetes authorization; the identity then gets Azure Kubernetes Service RBAC Writer on each workload namespace there.')
param azureRbacRegions string = ''

@description('ACR webhook scope, e.g. my-app:* . Empty: derived from rolloutConfig (one watched repository -> <repo>:*, several -> all repositories, the app filters).')
param webhookScope string = ''

@secure()
@description('Webhook secret (azd: WEBHOOK_SECRET): ACR sends it as "Authorization: Bearer <secret>", the app checks it (WEBHOOK_SECRETS). Unset: azd generates one and keeps it in the environment.')
@minLength(16)
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param webhookSecret string

@secure()
@description('During a secret rotation: the previous webhook secret, still accepted by the app until cleared. Empty otherwise.')
param webhookSecretPrevious string = ''

@secure()
@description('Functions host key put in the webhook URLs as ?code= (azd: WEBHOOK_FUNCTION_KEY). Unset: azd generates one and keeps it in the environment.')
@minLength(32)
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 48
      noSpecial: true
    }
  }
})
param webhookFunctionKey string

@secure()
@description('NOTIFY_TARGETS (azd: NOTIFY_TARGETS): JSON array of notification targets, kept in Key Vault (the URLs are credentials). Empty: no notifications.')
param notifyTargets string = ''

@description('STATUS_PAGE_URL (azd: STATUS_PAGE_URL): the dashboard URL notifications link to. Empty: no link.')
param statusPageUrl string = ''

@description('ALERT_EMAIL (azd: ALERT_EMAIL): e-mail of the action group for the alert rules (failed region, halted release, replication time-out, stuck region). Empty: no alert rules.')
param alertEmail string = ''

@description('DRY_RUN: "true" plans and records rollouts without running commands on the clusters. Empty means false.')
@allowed([
  ''
  'true'
  'false'
])
param dryRun string = ''

@description('RECONCILE_SCHEDULE: NCRONTAB schedule of the reconciler timer (six fields, seconds first).')
param reconcileSchedule string = ''

@description('ROLLOUT_ENABLE_EASY_AUTH: put App Service Authentication (Entra ID) in front of the status page and the operator actions; the signed-in user is then recorded as the actor of each action. Off by default.')
param enableEasyAuth bool = false

@description('ROLLOUT_EASY_AUTH_CLIENT_ID: application (client) id of the Entra ID app registration users sign in to (required with enableEasyAuth).')
param easyAuthClientId string = ''

@description('Maximum instances of the Flex Consumption app.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Optional subnet resource id for the Function App\'s VNet integration (private clusters reached through the Kubernetes API). Empty: no VNet integration.')
param functionSubnetId string = ''

@description('Optional name overrides (empty: generated).')
param resourceGroupName string = ''
param functionAppName string = ''
param storageAccountName string = ''
param keyVaultName string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : 'func-rollout-${resourceToken}'
var deploymentStorageContainerName = 'app-package-${take(appName, 32)}-${take(toLower(uniqueString(appName, resourceToken)), 7)}'

// ---- Derived from rolloutConfig (one source of truth) -------------------------------------
// Cluster ids follow /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>
// (validated by the app's parseAksResourceId), so split('/') puts sub at [2], rg at [4], name at [8].
var rbacRegionList = filter(map(split(azureRbacRegions, ','), r => trim(r)), r => !empty(r))
var clusters = map(rolloutConfig.regions, r => {
  region: r.name
  id: r.cluster
  subscriptionId: split(r.cluster, '/')[2]
  resourceGroup: split(r.cluster, '/')[4]
  name: split(r.cluster, '/')[8]
  azureRbac: contains(rbacRegionList, r.name)
  access: r.?access ?? 'kubernetes-api'
})
var replicaRegions = map(rolloutConfig.regions, r => r.name)
var watchedRepositories = union(map(rolloutConfig.workloads, w => w.repository), [])
var effectiveWebhookScope = !empty(webhookScope)
  ? webhookScope
  : (length(watchedRepositories) == 1 ? '${watchedRepositories[0]}:*' : '')
var registrySubscriptionId = split(registryResourceId, '/')[2]
var registryResourceGroup = split(registryResourceId, '/')[4]
var registryName = split(registryResourceId, '/')[8]
var effectiveRegistryMode = empty(registryRoleAssignmentMode) ? 'LegacyRegistryPermissions' : registryRoleAssignmentMode
// Webhook names: alphanumeric, 5-50 characters, unique per registry (the token keeps two
// environments pointing at one registry apart). Region names are [a-z][a-z0-9]{1,39}.
var webhookNames = map(replicaRegions, r => take('rollout${take(resourceToken, 5)}${r}', 50))
// ARM_ENDPOINT without the trailing slash environment().resourceManager carries.
var resourceManager = environment().resourceManager
var armEndpoint = endsWith(resourceManager, '/') ? substring(resourceManager, 0, length(resourceManager) - 1) : resourceManager
var webhookSecrets = empty(webhookSecretPrevious) ? webhookSecret : '${webhookSecret},${webhookSecretPrevious}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

// User-assigned identity of the Function App: storage, Key Vault, App Insights, registry and
// clusters all trust this one identity (roles in app/rbac.bicep).
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-rollout-${resourceToken}'
    location: location
    tags: tags
  }
}

module appServicePlan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'appserviceplan'
  scope: rg
  params: {
    name: 'plan-rollout-${resourceToken}'
    sku: {
      name: 'FC1'
      tier: 'FlexConsumption'
    }
    reserved: true
    location: location
    tags: tags
  }
}

// The app's table prefix (ROLLOUT_TABLE_PREFIX) and, derived from it (contract), its wake-up queue:
// `<prefix in lower case>-work`, read by the queue function `advance`, and the poison queue the
// Functions host moves a message to after maxDequeueCount (host.json) failures.
var tablePrefix = 'rollout'
var wakeQueueName = '${toLower(tablePrefix)}-work'

// Host storage (AzureWebJobsStorage, deployment package), the app's tables (ROLLOUT_STORAGE) and
// its wake-up queue (ROLLOUT_STORAGE__queueServiceUri).
module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: !empty(storageAccountName) ? storageAccountName : 'strollout${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false // identity only: no account keys, no connection strings
    minimumTlsVersion: 'TLS1_2'
    dnsEndpointType: 'Standard'
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [
        { name: deploymentStorageContainerName }
      ]
    }
    queueServices: {
      queues: [
        { name: wakeQueueName }
        { name: '${wakeQueueName}-poison' }
      ]
    }
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'loganalytics'
  scope: rg
  params: {
    name: 'log-rollout-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

module monitoring 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'appinsights'
  scope: rg
  params: {
    name: 'appi-rollout-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    disableLocalAuth: true // telemetry only with Entra ID (Monitoring Metrics Publisher)
  }
}

// Alert rules on the app's exported metrics and logs, when someone is there to receive them.
module alerts 'app/alerts.bicep' = if (!empty(alertEmail)) {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.resourceId
    alertEmail: alertEmail
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: !empty(keyVaultName) ? keyVaultName : 'kv-rollout-${take(resourceToken, 11)}'
    location: location
    tags: tags
    webhookSecrets: webhookSecrets
    notifyTargets: notifyTargets
  }
}

// ---- Role assignments: one module (app/rbac.bicep), deployed at each resource group that holds
// something the identity needs. ------------------------------------------------------------------
module rbacApp 'app/rbac.bicep' = {
  name: 'rbac-app'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    keyVaultName: vault.outputs.name
  }
}

module rbacRegistry 'app/rbac.bicep' = {
  name: 'rbac-registry-${resourceToken}'
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
  params: {
    principalId: identity.outputs.principalId
    registryName: registryName
    registryRoleAssignmentMode: effectiveRegistryMode
    registryRepositories: watchedRepositories
  }
}

// Custom role with exactly the three Run Command actions, assignable on the clusters' groups.
module aksRole 'app/aks-role.bicep' = {
  name: 'aks-runcommand-role-${resourceToken}'
  scope: subscription(clusters[0].subscriptionId)
  params: {
    roleName: 'ACR geo rollout - AKS Run Command (${environmentName}-${resourceToken})'
    assignableScopes: union(map(clusters, c => '/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}'), [])
  }
}

// Custom role with exactly the Kubernetes data actions of the kubernetes-api path, assigned per
// workload namespace (rbac.bicep).
module aksWorkloadRole 'app/aks-data-role.bicep' = {
  name: 'aks-workload-role-${resourceToken}'
  scope: subscription(clusters[0].subscriptionId)
  params: {
    roleName: 'ACR geo rollout - AKS workloads (${environmentName}-${resourceToken})'
    assignableScopes: union(map(clusters, c => '/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}'), [])
  }
}

module rbacClusters 'app/rbac.bicep' = [
  for (c, i) in clusters: {
    name: 'rbac-aks-${i}-${resourceToken}'
    scope: resourceGroup(c.subscriptionId, c.resourceGroup)
    params: {
      principalId: identity.outputs.principalId
      clusterName: c.name
      clusterRegion: c.region
      workloads: rolloutConfig.workloads
      clusterAzureRbac: c.azureRbac
      aksRunCommandRoleGuid: aksRole.outputs.roleGuid
      clusterAccess: c.access
      aksWorkloadRoleGuid: aksWorkloadRole.outputs.roleGuid
    }
  }
]

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    location: location
    tags: tags
    appServicePlanId: appServicePlan.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentStorageContainerName: deploymentStorageContainerName
    applicationInsightsName: monitoring.outputs.name
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    maximumInstanceCount: maximumInstanceCount
    rolloutConfigJson: string(rolloutConfig)
    webhookSecretsUri: vault.outputs.webhookSecretsUriWithVersion
    notifyTargetsUri: vault.outputs.notifyTargetsUriWithVersion
    statusPageUrl: statusPageUrl
    armEndpoint: armEndpoint
    dryRun: dryRun == 'true'
    reconcileSchedule: reconcileSchedule
    tablePrefix: tablePrefix
    webhookFunctionKey: webhookFunctionKey
    functionSubnetId: functionSubnetId
  }
  // The host needs its storage roles before it starts (deployment package, keys, timer leases).
  dependsOn: [
    rbacApp
  ]
}

// Optional sign-in (Entra ID) for the page and the actions; the ACR webhook routes stay open to ACR.
module easyAuth 'app/easy-auth.bicep' = if (enableEasyAuth) {
  name: 'easy-auth'
  scope: rg
  params: {
    siteName: api.outputs.name
    clientId: easyAuthClientId
    excludedPaths: concat(['/api/acr/events'], map(replicaRegions, r => '/api/acr/events/${r}'))
  }
}

module webhooks 'app/webhooks.bicep' = {
  name: 'webhooks-${resourceToken}'
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
  params: {
    registryName: registryName
    regions: replicaRegions
    webhookNames: webhookNames
    functionHostName: api.outputs.defaultHostName
    functionKey: webhookFunctionKey
    webhookSecret: webhookSecret
    webhookScope: effectiveWebhookScope
  }
}

// ---- Outputs (azd stores them in the environment) -----------------------------------------
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output ROLLOUT_FUNCTION_URL string = 'https://${api.outputs.defaultHostName}'
output ROLLOUT_WEBHOOK_URL_TEMPLATE string = 'https://${api.outputs.defaultHostName}/api/acr/events/{region}'
output ROLLOUT_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output ROLLOUT_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output ROLLOUT_WEBHOOK_NAMES string = join(webhookNames, ',')
output ROLLOUT_WEBHOOK_SCOPE string = effectiveWebhookScope
output ROLLOUT_KEY_VAULT_NAME string = vault.outputs.name
output ROLLOUT_STORAGE_TABLE_URI string = api.outputs.tableServiceUri
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.name
