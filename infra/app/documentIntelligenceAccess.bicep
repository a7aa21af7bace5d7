// Grants docbatch's identity use of a Document Intelligence account and reads its endpoint.
// Deployed into the account's own resource group, which for an existing account may be any
// resource group of the subscription (or another subscription) the deployer can assign roles in.
param accountName string
param principalId string

// Cognitive Services User: call the data plane with an Entra ID token.
var cognitiveServicesUserRoleId = 'a97b65f3-24c7-4388-baec-2e87135dc908'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: accountName
}

resource cognitiveServicesUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, cognitiveServicesUserRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = account.properties.endpoint
