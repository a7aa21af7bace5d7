// Grants docbatch's identity use of an Azure OpenAI (or AI Services) account and reads what the
// app settings need from the account and its model deployment: the `/openai/v1` base URL and the
// deployment's rate limits. Deployed into the account's own resource group, which for an existing
// account may be any resource group of the subscription (or another subscription) the deployer
// can assign roles in. The deployment must exist (openAi.bicep creates it for a new account).
param accountName string
param deploymentName string
param principalId string

@description('Requests per minute Azure gives per capacity unit; 0: by model family, as Azure documents it.')
param requestsPerCapacityUnit int = 0

// Cognitive Services OpenAI User: inference calls with an Entra ID token, no management rights.
var openAiUserRoleId = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: accountName
}

resource modelDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' existing = {
  parent: account
  name: deploymentName
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, openAiUserRoleId)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Azure allots quota in capacity units and sets both limits from them (Azure OpenAI quota docs):
// older chat and embedding models (gpt-35-turbo, gpt-4, gpt-4o, gpt-4o-mini, text-embedding-*)
// get 6 RPM and 1,000 TPM per unit; newer ones (gpt-4.1, gpt-4.5, gpt-5, o3, o4-mini, ...) 1 RPM
// and 1,000 TPM; o1 and o1-preview 1 RPM and 6,000 TPM. The same ratio holds for Standard,
// GlobalStandard and DataZoneStandard deployments.
var model = toLower(modelDeployment.properties.model.name)
var capacity = modelDeployment.sku.capacity
var olderModel = startsWith(model, 'gpt-35') || startsWith(model, 'gpt-3.5') || startsWith(model, 'gpt-4o') || model == 'gpt-4' || startsWith(model, 'gpt-4-') || startsWith(model, 'text-embedding')
var o1Model = model == 'o1' || model == 'o1-preview'
var tokensPerUnit = o1Model ? 6000 : 1000
var requestsPerUnit = requestsPerCapacityUnit > 0 ? requestsPerCapacityUnit : (olderModel ? 6 : 1)

var accountEndpoint = account.properties.endpoint
var endpointWithSlash = endsWith(accountEndpoint, '/') ? accountEndpoint : concat(accountEndpoint, '/')

@description('DOCBATCH_LLM_ENDPOINT: the account\'s OpenAI v1 base URL.')
output endpoint string = '${endpointWithSlash}openai/v1'

@description('DOCBATCH_LLM_REQUESTS_PER_MINUTE: the deployment\'s requests per minute.')
output requestsPerMinute int = capacity * requestsPerUnit

@description('DOCBATCH_LLM_TOKENS_PER_MINUTE: the deployment\'s tokens per minute.')
output tokensPerMinute int = capacity * tokensPerUnit

output modelName string = modelDeployment.properties.model.name
