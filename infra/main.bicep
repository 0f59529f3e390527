// Geo-replication-aware rollouts from ACR to AKS: everything `azd up` creates, as plain resource
// declarations (no registry modules), checked by the real Bicep CLI (`npm run infra:check`).
// The registry and the AKS clusters already exist (possibly in other resource groups and
// subscriptions of the same tenant); this template only adds role assignments and webhooks to them
// (with the Event Grid intake, also the registry's system topic: `intake`).
// One source of truth: regions, clusters and namespaces are derived from rolloutConfig, the same
// JSON the app reads from its ROLLOUT_CONFIG setting (schema: src/app/config/schema.ts).
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

@minLength(2)
@description('ROLLOUT_CONFIG (azd: ROLLOUT_CONFIG): the app configuration as JSON text: registry, regions with their AKS cluster ids, workloads, policy. Schema: src/app/config/schema.ts.')
param rolloutConfig string

@minLength(1)
@description('ROLLOUT_REGISTRY_ID: resource id of the existing geo-replicated Premium registry: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>.')
param registryResourceId string

@description('The registry\'s role assignment permissions mode (az acr show --query roleAssignmentMode). Empty means LegacyRegistryPermissions (AcrPull); AbacRepositoryPermissions uses Container Registry Repository Reader limited to the watched repositories.')
@allowed([
  ''
  'LegacyRegistryPermissions'
  'AbacRepositoryPermissions'
])
param registryRoleAssignmentMode string = ''

@description('Comma-separated region names (from rolloutConfig.regions) whose AKS cluster uses Azure RBAC for Kubernetes authorization; run-command regions listed here get the Run Command workload data role on each workload namespace.')
param azureRbacRegions string = ''

@description('INTAKE (azd: INTAKE): how pushes reach the app. webhook: one ACR webhook per replica region (a per-replica signal, tried once). event-grid: an Event Grid system topic on the registry, whose subscription the postdeploy hook makes (retried for 24 h, dead-lettered), and no webhooks. both: webhooks and Event Grid.')
@allowed([
  'webhook'
  'event-grid'
  'both'
])
param intake string = 'webhook'

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

@description('ROLLOUT_EASY_AUTH_ALLOWED_PRINCIPALS: comma-separated object ids admitted by Easy Auth\'s authorization policy. Empty: any principal of the tenant with a token for the app (the app role still decides operator actions).')
param easyAuthAllowedPrincipals string = ''

@description('ROLLOUT_EASY_AUTH_ALLOWED_APPLICATIONS: comma-separated client ids of applications admitted with their own token. Empty: no restriction by application.')
param easyAuthAllowedApplications string = ''

@description('ROLLOUT_OPERATOR_ROLE (OPERATOR_ROLE): the app role of the Entra app registration an operator needs for operator actions when Easy Auth is on.')
param operatorRole string = 'Rollout.Operator'

@description('ROLLOUT_OPERATOR_IP_RANGES: comma-separated CIDR ranges allowed to reach the Function App (plus the AzureContainerRegistry service tag for the webhooks). Empty: no access restrictions.')
param operatorIpRanges string = ''

@description('ROLLOUT_MAX_INSTANCES: maximum instances of the Flex Consumption app (documented minimum 1).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('ROLLOUT_ALWAYS_READY: always-ready instances of the queue function `advance` (billed while idle; 0 = none, a wake-up after a quiet spell then waits for a cold start).')
@minValue(0)
@maxValue(10)
param advanceAlwaysReady int = 1

@description('ROLLOUT_FUNCTION_SUBNET_ID: subnet resource id for the Function App\'s VNet integration (private clusters reached through the Kubernetes API). Empty: no VNet integration.')
param functionSubnetId string = ''

@description('Optional name overrides (empty: generated).')
param resourceGroupName string = ''
param functionAppName string = ''
param storageAccountName string = ''
param keyVaultName string = ''

var config = json(rolloutConfig)
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var appName = !empty(functionAppName) ? functionAppName : 'func-rollout-${resourceToken}'
var deploymentContainerName = 'app-package-${take(appName, 32)}-${take(toLower(uniqueString(appName, resourceToken)), 7)}'

// The app's table prefix (ROLLOUT_TABLE_PREFIX) and, derived from it (contract), its wake-up queue:
// `<prefix in lower case>-work`, read by the queue function `advance`, and the poison queue the
// Functions host moves a message to after maxDequeueCount (host.json) failures.
var tablePrefix = 'rollout'
var wakeQueueName = '${toLower(tablePrefix)}-work'

// ---- Derived from rolloutConfig (one source of truth) -------------------------------------
// Cluster ids follow /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.ContainerService/managedClusters/<name>
// (validated by the app's parseAksResourceId), so split('/') puts sub at [2], rg at [4], name at [8].
var rbacRegionList = filter(map(split(azureRbacRegions, ','), r => trim(r)), r => !empty(r))
var clusters = map(config.regions, r => {
  region: r.name
  subscriptionId: split(r.cluster, '/')[2]
  resourceGroup: split(r.cluster, '/')[4]
  name: split(r.cluster, '/')[8]
  azureRbac: contains(rbacRegionList, r.name)
  access: r.?access ?? 'kubernetes-api'
  allowLocalAccounts: r.?allowLocalAccounts ?? false
  // Workload namespaces of this region (a workload without regions runs in every region).
  namespaces: union(map(filter(config.workloads, w => contains(w.?regions ?? [r.name], r.name)), w => w.namespace), [])
})
var runCommandClusters = filter(clusters, c => c.access == 'run-command')
var apiClusters = filter(clusters, c => c.access == 'kubernetes-api')
var replicaRegions = map(config.regions, r => r.name)
var watchedRepositories = union(map(config.workloads, w => w.repository), [])
var effectiveWebhookScope = !empty(webhookScope)
  ? webhookScope
  : (length(watchedRepositories) == 1 ? '${watchedRepositories[0]}:*' : '')
var registrySubscriptionId = split(registryResourceId, '/')[2]
var registryResourceGroup = split(registryResourceId, '/')[4]
var registryName = split(registryResourceId, '/')[8]
var effectiveRegistryMode = registryRoleAssignmentMode == 'AbacRepositoryPermissions'
  ? 'AbacRepositoryPermissions'
  : 'LegacyRegistryPermissions'
// Webhook names: alphanumeric, 5-50 characters, unique per registry (the token keeps two
// environments pointing at one registry apart). Region names are [a-z][a-z0-9]{1,39}.
var webhookNames = map(replicaRegions, r => take('rollout${take(resourceToken, 5)}${r}', 50))
var useWebhooks = intake != 'event-grid'
var useEventGrid = intake != 'webhook'
// One system topic per source is all Event Grid allows; the token makes a second environment on
// the same registry fail loudly at provisioning instead of taking over the first one's topic.
var eventGridTopicName = '${registryName}-rollout-${take(resourceToken, 5)}'
// The subscription infra/hooks/event-grid.mjs creates on the topic after deploy, and the container
// the topic dead-letters to.
var eventGridSubscriptionName = 'acr-geo-rollout'
var deadLetterContainerName = 'event-grid-dead-letters'
// ARM_ENDPOINT without the trailing slash environment().resourceManager carries.
var resourceManager = environment().resourceManager
var armEndpoint = endsWith(resourceManager, '/') ? take(resourceManager, length(resourceManager) - 1) : resourceManager
var webhookSecrets = empty(webhookSecretPrevious) ? webhookSecret : '${webhookSecret},${webhookSecretPrevious}'

// Custom AKS roles: names unique per environment; their ids are derived the same way in
// aks-roles.bicep, so the cluster modules can name them (and wait for them with dependsOn).
var clusterGroupScopes = union(map(clusters, c => '/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}'), [])
var runCommandRoleName = 'ACR geo rollout - AKS Run Command (${environmentName}-${resourceToken})'
var runCommandWorkloadsRoleName = 'ACR geo rollout - AKS Run Command workloads (${environmentName}-${resourceToken})'
var apiWorkloadsRoleName = 'ACR geo rollout - AKS workloads (${environmentName}-${resourceToken})'

// A comma-separated azd variable as a list (blanks dropped).
func csv(s string) string[] => filter(map(split(s, ','), x => trim(x)), x => !empty(x))

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module core 'app/core.bicep' = {
  name: 'core'
  scope: rg
  params: {
    location: location
    tags: tags
    identityName: 'id-rollout-${resourceToken}'
    planName: 'plan-rollout-${resourceToken}'
    storageAccountName: !empty(storageAccountName) ? storageAccountName : 'strollout${resourceToken}'
    logAnalyticsName: 'log-rollout-${resourceToken}'
    applicationInsightsName: 'appi-rollout-${resourceToken}'
    deploymentContainerName: deploymentContainerName
    queueNames: [
      wakeQueueName
      '${wakeQueueName}-poison'
    ]
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    nameOverride: keyVaultName
    identityPrincipalId: core.outputs.identityPrincipalId
    location: location
    tags: tags
    webhookSecrets: webhookSecrets
    notifyTargets: notifyTargets
  }
}

module appRoles 'app/app-roles.bicep' = {
  name: 'roles-app'
  scope: rg
  params: {
    principalId: core.outputs.identityPrincipalId
    storageAccountName: core.outputs.storageAccountName
    hostContainerNames: core.outputs.hostContainerNames
    deploymentContainerName: core.outputs.deploymentContainerName
    queueNames: core.outputs.queueNames
    keyVaultName: vault.outputs.name
    secretNames: vault.outputs.secretNames
    applicationInsightsName: core.outputs.applicationInsightsName
  }
}

module registryRoles 'app/registry-roles.bicep' = {
  name: 'roles-registry-${resourceToken}'
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
  params: {
    principalId: core.outputs.identityPrincipalId
    registryName: registryName
    roleAssignmentMode: effectiveRegistryMode
    repositories: watchedRepositories
  }
}

module aksRoles 'app/aks-roles.bicep' = {
  name: 'aks-roles-${resourceToken}'
  scope: subscription(clusters[0].subscriptionId)
  params: {
    assignableScopes: clusterGroupScopes
    runCommandRoleName: runCommandRoleName
    runCommandWorkloadsRoleName: runCommandWorkloadsRoleName
    apiWorkloadsRoleName: apiWorkloadsRoleName
    createRunCommandRoles: !empty(runCommandClusters)
    createApiRole: !empty(apiClusters)
  }
}

module runCommandClusterRoles 'app/cluster-run-command.bicep' = [
  for (c, i) in runCommandClusters: {
    name: 'roles-aks-rc-${i}-${resourceToken}'
    scope: resourceGroup(c.subscriptionId, c.resourceGroup)
    params: {
      principalId: core.outputs.identityPrincipalId
      clusterName: c.name
      namespaces: c.azureRbac ? c.namespaces : []
      runCommandRoleGuid: guid(tenant().tenantId, runCommandRoleName)
      runCommandWorkloadsRoleGuid: guid(tenant().tenantId, runCommandWorkloadsRoleName)
    }
    dependsOn: [
      aksRoles
    ]
  }
]

// Read each kubernetes-api cluster as it is now: whether it has managed Entra ID decides whether
// the Cluster User role is safe to grant (cluster-kubernetes-api.bicep).
resource apiClusterResources 'Microsoft.ContainerService/managedClusters@2025-10-01' existing = [
  for c in apiClusters: {
    name: c.name
    scope: resourceGroup(c.subscriptionId, c.resourceGroup)
  }
]

module apiClusterRoles 'app/cluster-kubernetes-api.bicep' = [
  for (c, i) in apiClusters: {
    name: 'roles-aks-api-${i}-${resourceToken}'
    scope: resourceGroup(c.subscriptionId, c.resourceGroup)
    params: {
      principalId: core.outputs.identityPrincipalId
      clusterName: c.name
      namespaces: c.namespaces
      workloadsRoleGuid: guid(tenant().tenantId, apiWorkloadsRoleName)
      grantClusterUser: (apiClusterResources[i].properties.?aadProfile.?managed ?? false) || c.allowLocalAccounts
    }
    dependsOn: [
      aksRoles
    ]
  }
]

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: appName
    location: location
    tags: tags
    planId: core.outputs.planId
    identityId: core.outputs.identityId
    identityClientId: core.outputs.identityClientId
    blobEndpoint: core.outputs.blobEndpoint
    queueEndpoint: core.outputs.queueEndpoint
    tableEndpoint: core.outputs.tableEndpoint
    deploymentContainerName: core.outputs.deploymentContainerName
    applicationInsightsConnectionString: core.outputs.applicationInsightsConnectionString
    maximumInstanceCount: maximumInstanceCount
    advanceAlwaysReady: advanceAlwaysReady
    rolloutConfig: rolloutConfig
    webhookVaultReference: vault.outputs.webhookSecretsUriWithVersion
    notifyVaultReference: vault.outputs.notifyTargetsUriWithVersion
    statusPageUrl: statusPageUrl
    operatorRole: operatorRole
    armEndpoint: armEndpoint
    dryRun: dryRun == 'true'
    reconcileSchedule: reconcileSchedule
    tablePrefix: tablePrefix
    functionSubnetId: functionSubnetId
    operatorIpRanges: csv(operatorIpRanges)
    registryWebhooks: useWebhooks
    eventGridDelivery: useEventGrid
  }
  // The host needs its storage and Key Vault roles before it starts (package, locks, key store).
  dependsOn: [
    appRoles
  ]
}

// Optional sign-in (Entra ID) for the page and the actions; the ACR webhook routes stay open to ACR.
module easyAuth 'app/easy-auth.bicep' = if (enableEasyAuth) {
  name: 'easy-auth'
  scope: rg
  params: {
    siteName: api.outputs.name
    clientId: easyAuthClientId
    excludedPaths: concat(
      ['/api/acr/events'],
      map(replicaRegions, r => '/api/acr/events/${r}'),
      ['/runtime/webhooks/eventgrid']
    )
    allowedPrincipals: csv(easyAuthAllowedPrincipals)
    allowedApplications: csv(easyAuthAllowedApplications)
  }
}

// Alert rules on the app's exported metrics and logs, when someone is there to receive them.
module alerts 'app/alerts.bicep' = if (!empty(alertEmail)) {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsId: core.outputs.applicationInsightsId
    alertEmail: alertEmail
  }
}

module webhooks 'app/webhooks.bicep' = if (useWebhooks) {
  name: 'webhooks-${resourceToken}'
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
  params: {
    registryName: registryName
    regions: replicaRegions
    webhookNames: webhookNames
    functionHostName: api.outputs.defaultHostName
    webhookSecret: webhookSecret
    webhookScope: effectiveWebhookScope
  }
}

// Event Grid intake: the system topic beside the registry, its dead-letter container and role in
// the app's storage account. The event subscription is made by the postdeploy hook
// (infra/hooks/event-grid.mjs), once the function it delivers to exists.
resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
}

module eventGrid 'app/event-grid.bicep' = if (useEventGrid) {
  name: 'event-grid-${resourceToken}'
  scope: resourceGroup(registrySubscriptionId, registryResourceGroup)
  params: {
    registryName: registryName
    topicName: eventGridTopicName
    location: registry.location
  }
}

module eventGridDeadLetters 'app/event-grid-dead-letters.bicep' = if (useEventGrid) {
  name: 'event-grid-dead-letters'
  scope: rg
  params: {
    storageAccountName: core.outputs.storageAccountName
    containerName: deadLetterContainerName
    principalId: eventGrid!.outputs.principalId
  }
}

// ---- Outputs (azd stores them in the environment; infra/hooks/summary.mjs prints them) ----
// None carries a secret: the webhook URLs have no key, and the status page's key is fetched by
// the command in ROLLOUT_STATUS_KEY_COMMAND (the host creates it on first start).
var functionUrl = 'https://${api.outputs.defaultHostName}'
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output ROLLOUT_FUNCTION_URL string = functionUrl
output ROLLOUT_STATUS_PAGE_URL string = '${functionUrl}/api/dashboard'
output ROLLOUT_WEBHOOK_URL_TEMPLATE string = '${functionUrl}/api/acr/events/{region}'
output ROLLOUT_WEBHOOK_URLS string = useWebhooks ? join(map(replicaRegions, r => '${r}=${functionUrl}/api/acr/events/${r}'), ',') : ''
output ROLLOUT_STATUS_KEY_COMMAND string = 'az functionapp keys list -g ${rg.name} -n ${api.outputs.name} --query functionKeys.default -o tsv'
output ROLLOUT_IDENTITY_CLIENT_ID string = core.outputs.identityClientId
output ROLLOUT_IDENTITY_PRINCIPAL_ID string = core.outputs.identityPrincipalId
output ROLLOUT_WEBHOOK_NAMES string = useWebhooks ? join(webhookNames, ',') : ''
output ROLLOUT_WEBHOOK_SCOPE string = effectiveWebhookScope
output ROLLOUT_KEY_VAULT_NAME string = vault.outputs.name
output ROLLOUT_STORAGE_TABLE_URI string = core.outputs.tableEndpoint
output ROLLOUT_EASY_AUTH string = enableEasyAuth ? 'on (app role ${operatorRole} required for operator actions)' : 'off (function keys only)'
output APPLICATIONINSIGHTS_NAME string = core.outputs.applicationInsightsName
// What infra/hooks/event-grid.mjs needs to make the event subscription after deploy (ids only).
output ROLLOUT_INTAKE string = intake
output ROLLOUT_ARM_ENDPOINT string = armEndpoint
output ROLLOUT_FUNCTION_APP_ID string = api.outputs.id
output ROLLOUT_STORAGE_ACCOUNT_ID string = core.outputs.storageAccountId
output ROLLOUT_EVENT_GRID_TOPIC_ID string = useEventGrid ? eventGrid!.outputs.id : ''
output ROLLOUT_EVENT_GRID_SUBSCRIPTION string = useEventGrid ? eventGridSubscriptionName : ''
output ROLLOUT_DEAD_LETTER_CONTAINER string = useEventGrid ? eventGridDeadLetters!.outputs.containerName : ''
