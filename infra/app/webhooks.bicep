// One ACR webhook per replica region, the home region included. A webhook belongs to one
// replica (its location) and fires when that replica has the image, so the region goes in the
// URL path: the payload has no region field (reference/azure-facts.md).
// The URL carries no key: the route is anonymous at the Functions level and its check is the
// bearer secret in the custom Authorization header (constant-time, WEBHOOK_SECRETS), so reading
// the webhook's configuration (`az acr webhook get-config`) yields no key to any other route.
// Deployed in the registry's resource group.

@minLength(5)
param registryName string

@minLength(1)
@description('Replica regions (rolloutConfig.regions[*].name); each must be a replica of the registry.')
param regions string[]

@description('Webhook names, same order as regions: alphanumeric, 5-50 characters.')
param webhookNames string[]

@minLength(1)
param functionHostName string

@secure()
@description('Sent as "Authorization: Bearer <secret>"; the app accepts any value in WEBHOOK_SECRETS.')
param webhookSecret string

@description('Repository:tag scope, e.g. my-app:* ; empty means every repository.')
param webhookScope string = ''

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' existing = {
  name: registryName
}

resource webhook 'Microsoft.ContainerRegistry/registries/webhooks@2025-04-01' = [
  for (region, i) in regions: {
    parent: registry
    name: webhookNames[i]
    location: region
    properties: {
      // The URL carries no credential (see the header), so it need not be a secure value.
      #disable-next-line use-secure-value-for-secure-inputs
      serviceUri: 'https://${functionHostName}/api/acr/events/${region}'
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

output names string[] = [for (region, i) in regions: webhook[i].name]
