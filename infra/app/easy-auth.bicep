// App Service Authentication ("Easy Auth") with Microsoft Entra ID in front of the status page and
// the operator actions, deployed only with enableEasyAuth=true:
//   - who: an Entra ID sign-in (or a bearer token for the app registration) on every route except
//     the excluded paths below; App Service then passes x-ms-client-principal (claims, roles) and
//     sets WEBSITE_AUTH_ENABLED, so the app trusts the actor it names;
//   - whether: the Entra provider's default authorization policy admits only the listed principals
//     (object ids) and client applications, when given; the app further requires the app role
//     OPERATOR_ROLE in the claims for operator actions;
//   - excluded: the ACR webhook routes (ACR cannot sign in) and the Functions runtime's Event Grid
//     endpoint. Easy Auth does not process excluded paths at all: their Authorization header reaches
//     the function unchanged, so the webhook's bearer secret is checked by the app as without Easy Auth.

@minLength(2)
@description('Name of the Function App.')
param siteName string

@minLength(1)
@description('Application (client) id of the Entra ID app registration users sign in to.')
param clientId string

@description('Entra ID tenant of that app registration.')
param tenantId string = subscription().tenantId

@description('Paths served without a sign-in: the ACR webhook routes (and the Event Grid runtime endpoint).')
param excludedPaths string[]

@description('Object ids of the users, groups\' members or service principals admitted (empty: any principal of the tenant that gets a token for the app).')
param allowedPrincipals string[] = []

@description('Client ids of the applications admitted to call with their own token (empty: no restriction by application).')
param allowedApplications string[] = []

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: siteName
}

var authorizationPolicy = union(
  empty(allowedPrincipals) ? {} : { allowedPrincipals: { identities: allowedPrincipals } },
  empty(allowedApplications) ? {} : { allowedApplications: allowedApplications }
)

resource auth 'Microsoft.Web/sites/config@2025-03-01' = {
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
          defaultAuthorizationPolicy: authorizationPolicy
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
