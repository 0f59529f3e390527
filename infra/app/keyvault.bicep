// Key Vault (RBAC mode) holding WEBHOOK_SECRETS (one secret, or "new,old" during a rotation) and
// NOTIFY_TARGETS (its URLs are credentials). The Function App reads both through Key Vault
// references with its user-assigned identity (Key Vault Secrets User on each secret, app-roles.bicep).
//
// The generated name includes the identity's principal id: stable across `azd provision` runs (the
// identity is kept), new after `azd down` (the identity is deleted with the resource group), so a
// re-created environment never collides with its own soft-deleted vault (purge not required).

param location string = resourceGroup().location
param tags object = {}

@description('Vault name override; empty: generated (see the header).')
param nameOverride string = ''
@minLength(1)
@description('Principal id of the app identity (part of the generated name).')
param identityPrincipalId string

@secure()
@description('Comma-separated webhook secrets, newest first.')
param webhookSecrets string

@secure()
@description('NOTIFY_TARGETS (JSON array): the target URLs carry credentials. Empty: no targets.')
param notifyTargets string = ''

// 'kv-rollout-' + 13 characters of uniqueString = 24, the longest vault name.
var name = !empty(nameOverride) ? nameOverride : 'kv-rollout-${uniqueString(resourceGroup().id, identityPrincipalId)}'

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
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
    publicNetworkAccess: 'Enabled' // Key Vault references resolve from the platform, with the identity
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'webhook-secrets'
  properties: {
    value: webhookSecrets
    contentType: 'text/plain; comma-separated ACR webhook secrets, newest first'
  }
}

resource notifySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'notify-targets'
  properties: {
    value: empty(notifyTargets) ? '[]' : notifyTargets
    contentType: 'application/json; NOTIFY_TARGETS, notification webhook targets'
  }
}

output name string = vault.name
output secretNames string[] = [secret.name, notifySecret.name]
// Versioned: a new secret value changes the app setting, so the app picks it up at once
// instead of after the Key Vault reference cache (up to 24 h) expires.
output webhookSecretsUriWithVersion string = secret.properties.secretUriWithVersion
output notifyTargetsUriWithVersion string = notifySecret.properties.secretUriWithVersion
