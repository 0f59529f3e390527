// The Event Grid system topic of the registry (deployed in the registry's resource group: a system
// topic lives in its source's subscription, beside it). It publishes the registry's events; the
// subscription that delivers `Microsoft.ContainerRegistry.ImagePushed` to the function
// `acrEventGrid` is made after the code is deployed, by infra/hooks/event-grid.mjs: an
// AzureFunction destination is refused ("Destination endpoint not found") while the function does
// not exist yet, and azd provisions before it deploys. The topic's system-assigned identity writes
// dead letters (event-grid-dead-letters.bicep grants it one container, nothing else).
// Event Grid allows one system topic per source: provisioning fails while the registry has another
// (docs/deploy.md, "Event Grid intake").

@minLength(5)
param registryName string

@minLength(3)
@maxLength(128)
@description('System topic name: letters, digits and hyphens.')
param topicName string

@minLength(1)
@description('The registry\'s location (its home region): a system topic lives where its source does.')
param location string

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: topicName
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: registry.id
    topicType: 'Microsoft.ContainerRegistry.Registries'
  }
}

output id string = topic.id
output name string = topic.name
output principalId string = topic.identity.principalId
