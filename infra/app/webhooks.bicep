// One ACR webhook per replica region, the home region included. A webhook belongs to one
// replica (its location) and fires when that replica has the image, so the region goes in the
// URL path: the payload has no region field (reference/azure-facts.md).
// Deployed in the registry's resource group.

param registryName string

@description('Replica regions (rolloutConfig.regions[*].name); each must be a replica of the registry.')
param regions array

@description('Webhook names, same order as regions: alphanumeric, 5-50 characters.')
param webhookNames array

param functionHostName string

@secure()
@description('Host function key for ?code=.')
param functionKey string

@secure()
@description('Sent as "Authorization: Bearer <secret>"; the app accepts any value in WEBHOOK_SECRETS.')
param webhookSecret string

@description('Repository:tag scope, e.g. my-app:* ; empty means every repository.')
param webhookScope string = ''

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource webhook 'Microsoft.ContainerRegistry/registries/webhooks@2023-07-01' = [
  for (region, i) in regions: {
    parent: registry
    name: webhookNames[i]
    location: region
    properties: {
      serviceUri: 'https://${functionHostName}/api/acr/events/${region}?code=${functionKey}'
      customHeaders: {
        Authorization: 'Bearer ${webhookSecret}'
      }
      status: 'enabled'
      scope: webhookScope
      actions: [
        'push'
        'delete'
        'quarantine'
      ]
    }
  }
]

output names array = [for (region, i) in regions: webhook[i].name]
