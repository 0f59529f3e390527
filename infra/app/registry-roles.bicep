// The rollout identity's role on the registry (deployed in the registry's resource group): the
// regional manifest HEAD and the `_tags` scan, nothing else (docs/deploy.md, "Which registry role, and why").
//   LegacyRegistryPermissions   AcrPull (registries/pull/read)
//   AbacRepositoryPermissions   Container Registry Repository Reader, limited by an ABAC
//                               condition to the watched repositories (AcrPull is not honoured there)

@minLength(1)
param principalId string
@minLength(5)
param registryName string
@allowed([
  'LegacyRegistryPermissions'
  'AbacRepositoryPermissions'
])
param roleAssignmentMode string
@minLength(1)
@description('Repositories the app reads (the config requires at least one workload).')
param repositories string[]

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d' // AcrPull
var containerRegistryRepositoryReaderRoleId = 'b93aa761-3e63-49ed-ac28-beffa264f7ac' // Container Registry Repository Reader

var abac = roleAssignmentMode == 'AbacRepositoryPermissions'
var roleId = abac ? containerRegistryRepositoryReaderRoleId : acrPullRoleId

// ABAC condition (format from the ACR "ABAC repository permissions" docs): the two data actions
// of Container Registry Repository Reader apply only to the watched repositories.
var repositoryClauses = map(
  repositories,
  repo => '@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase \'${repo}\''
)
var repositoryCondition = '((!(ActionMatches{\'Microsoft.ContainerRegistry/registries/repositories/content/read\'}) AND !(ActionMatches{\'Microsoft.ContainerRegistry/registries/repositories/metadata/read\'})) OR (${join(repositoryClauses, ' OR ')}))'

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
}

// One assignment whose role follows the mode: no condition-false twin to validate.
resource registryReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, principalId, roleId)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    condition: abac ? repositoryCondition : null
    conditionVersion: abac ? '2.0' : null
  }
}
