// A new Azure AI Document Intelligence account (documentIntelligenceMode = new). Key auth is
// off: docbatch calls it with its managed identity (documentIntelligenceAccess.bicep grants the role).
param name string
param location string
param tags object = {}

module account 'br/public:avm/res/cognitive-services/account:0.18.0' = {
  name: 'documentIntelligenceAccount'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'FormRecognizer'
    sku: 'S0'
    // A custom subdomain is required for Entra ID (token) authentication.
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    // Batch analysis makes the service fetch documents from storage URLs; the module's default
    // (restricted outbound with an empty FQDN list) would block that.
    restrictOutboundNetworkAccess: false
  }
}

output name string = account.outputs.name
output resourceId string = account.outputs.resourceId
output endpoint string = account.outputs.endpoint
