// A new Azure OpenAI account with one model deployment (openAiMode = new). Key auth is off:
// docbatch calls it with its managed identity (openAiAccess.bicep grants the role).
param name string
param location string
param tags object = {}

@description('Name of the model deployment: what batch lines name as `model` (DOCBATCH_LLM_MODELS).')
param deploymentName string

@description('Model to deploy, e.g. gpt-4o-mini.')
param modelName string

@description('Model version, e.g. 2024-07-18.')
param modelVersion string

@description('Deployment type: Standard, GlobalStandard or DataZoneStandard.')
param deploymentSku string

@description('Capacity in units of 1,000 tokens per minute (o1: 6,000).')
param capacity int

module account 'br/public:avm/res/cognitive-services/account:0.18.0' = {
  name: 'openAiAccount'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'OpenAI'
    sku: 'S0'
    // A custom subdomain is required for Entra ID (token) authentication.
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    deployments: [
      {
        name: deploymentName
        model: {
          format: 'OpenAI'
          name: modelName
          version: modelVersion
        }
        sku: {
          name: deploymentSku
          capacity: capacity
        }
      }
    ]
  }
}

output name string = account.outputs.name
output resourceId string = account.outputs.resourceId
output endpoint string = account.outputs.endpoint
