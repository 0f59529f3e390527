// Key Vault (RBAC mode) holding WEBHOOK_SECRETS: one secret, or "new,old" during a rotation.
// The Function App reads it through a Key Vault reference with its user-assigned identity
// (Key Vault Secrets User, rbac.bicep).

param name string
param location string = resourceGroup().location
param tags object = {}

@secure()
@description('Comma-separated webhook secrets, newest first.')
param webhookSecrets string

@secure()
@description('NOTIFY_TARGETS (JSON array): the target URLs carry credentials. Empty: no targets.')
param notifyTargets string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true // no access policies: Azure RBAC only
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled' // the Flex Consumption app is not VNet-integrated here
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'webhook-secrets'
  properties: {
    value: webhookSecrets
    contentType: 'text/plain; comma-separated ACR webhook secrets, newest first'
  }
}

resource notifySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'notify-targets'
  properties: {
    value: empty(notifyTargets) ? '[]' : notifyTargets
    contentType: 'application/json; NOTIFY_TARGETS, notification webhook targets'
  }
}

output name string = vault.name
// Versioned: a new secret value changes the app setting, so the app picks it up at once
// instead of after the Key Vault reference cache (up to 24 h) expires.
output webhookSecretsUriWithVersion string = secret.properties.secretUriWithVersion
output notifyTargetsUriWithVersion string = notifySecret.properties.secretUriWithVersion
