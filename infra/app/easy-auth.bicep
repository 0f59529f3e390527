// App Service Authentication ("Easy Auth") with Microsoft Entra ID in front of the status page and
// the operator actions (issue 12), deployed only with enableEasyAuth=true. Signed-in users reach
// the routes; App Service then sets x-ms-client-principal-name, and the app records that name as
// the actor of each operator action (src/functions/operator-actor.ts). The ACR webhook routes stay
// reachable without a sign-in (ACR cannot sign in): they keep their function key and bearer secret.

@description('Name of the Function App.')
param siteName string

@description('Application (client) id of the Entra ID app registration users sign in to.')
param clientId string

@description('Entra ID tenant of that app registration.')
param tenantId string = subscription().tenantId

@description('Paths served without a sign-in: the ACR webhook routes.')
param excludedPaths array

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: excludedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
          clientId: clientId
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}
