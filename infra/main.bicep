// docbatch in one subscription: `azd up` deploys this file at subscription scope.
// Every Azure Verified Module is pinned; docs/deploy.md explains each parameter.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the resource names and tags every resource group.')
param environmentName string

@minLength(1)
@description('Region of every resource. Only regions with Flex Consumption: the list of Microsoft\'s Flex Consumption template (Azure-Samples/functions-quickstart-typescript-azd infra/main.bicep); `az functionapp list-flexconsumption-locations` shows today\'s.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'eastus2euap'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user or service principal. It gets data access to storage, Key Vault and the scheduler for debugging. Empty: no roles for it.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
@description('Kind of principalId.')
param principalType string = 'User'

// ---- Function app -------------------------------------------------------------------------

// Node 22 is the newest LTS Flex Consumption runs (its stack list: Az.Functions
// FunctionsStackFlexData node.json); Node 20 reached end of life on 2026-04-30. It is the version
// the tests run on: package.json `engines` and its `node` devDependency (test/deploy/nodeVersion.test.ts).
@allowed(['22'])
@description('Node.js version of the Flex Consumption app: the version docbatch is tested on.')
param nodeVersion string = '22'

@allowed([512, 2048, 4096])
@description('Memory of one instance in MB. OCR of large scans likes 4096.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Most instances the app scales out to.')
param maximumInstanceCount int = 100

// ---- Durable backend ----------------------------------------------------------------------

@allowed(['AzureStorage', 'DurableTaskScheduler'])
@description('Durable Functions backend: the app\'s storage account, or the Durable Task Scheduler for larger scale.')
param durableBackend string = 'AzureStorage'

@allowed(['Consumption', 'Dedicated'])
@description('Durable Task Scheduler SKU (only when durableBackend is DurableTaskScheduler).')
param durableTaskSchedulerSku string = 'Consumption'

// ---- Secrets ------------------------------------------------------------------------------

@secure()
@description('Random seed from which the API key and the encryption key are derived when none is given. azd generates it once per environment and keeps it in .azure/<env>/config.json, so re-provisioning keeps both keys.')
@metadata({
  azd: {
    type: 'generate'
    config: {
      length: 40
    }
  }
})
param secretSeed string

@secure()
@description('DOCBATCH_API_KEYS: comma-separated API keys. Empty: one key derived from secretSeed.')
param apiKeys string = ''

@secure()
@description('DOCBATCH_ENCRYPTION_KEY: base64 of exactly 32 bytes (openssl rand -base64 32). Empty: derived from secretSeed.')
param encryptionKey string = ''

// ---- docbatch settings --------------------------------------------------------------------

@description('DOCBATCH_ALLOWED_STORAGE_ACCOUNTS beyond the app\'s own account: what else docbatch may read and write with its identity, without a SAS: comma-separated `account` or `account/container` entries (grant the identity a blob data role there). The app\'s own account is always allowed (its identity holds Storage Blob Data Owner there); its internal containers are refused whatever this says.')
param allowedStorageAccounts string = ''

@description('DOCBATCH_MAX_DOCUMENT_BYTES: largest document analyzed.')
param maxDocumentBytes int = 524288000

@description('DOCBATCH_MAX_DOCUMENTS_PER_BATCH: most documents one batch may hold.')
param maxDocumentsPerBatch int = 10000

@description('DOCBATCH_RETENTION_HOURS: how long finished batches\' status is kept.')
param retentionHours int = 24

@description('DOCBATCH_TASK_HUB: Durable Functions task hub (also the scheduler\'s task hub name).')
param taskHubName string = 'docbatch'

@description('Further app settings merged last (for example DOCBATCH_OCR_WORKERS).')
param extraAppSettings object = {}

// ---- Document Intelligence ----------------------------------------------------------------

@allowed(['none', 'new', 'existing'])
@description('Azure AI Document Intelligence for models docbatch does not run itself: none, create a new account, or use an existing one.')
param documentIntelligenceMode string = 'none'

@description('Resource id of the existing Document Intelligence account (documentIntelligenceMode = existing).')
param existingDocumentIntelligenceResourceId string = ''

@description('Region of a new Document Intelligence account; empty: same as location.')
param documentIntelligenceLocation string = ''

// ---- LLM upstream (OpenAI Batch front door, LLM extraction) -------------------------------

@description('DOCBATCH_LLM_ENDPOINT: base URL of an OpenAI-compatible upstream including /v1. Empty: none.')
param llmEndpoint string = ''

@description('DOCBATCH_LLM_MODELS: comma-separated model or deployment names the upstream serves; * for any.')
param llmModels string = '*'

@description('DOCBATCH_LLM_REQUESTS_PER_MINUTE: the upstream deployment\'s requests per minute.')
param llmRequestsPerMinute int = 360

@description('DOCBATCH_LLM_TOKENS_PER_MINUTE: the upstream deployment\'s tokens per minute.')
param llmTokensPerMinute int = 60000

@description('DOCBATCH_OPENAI_ON_EXPIRY: continue (Azure) or expire (OpenAI) for OpenAI batches still running 24 h after creation.')
@allowed(['continue', 'expire'])
param openAiOnExpiry string = 'continue'

@description('DOCBATCH_WEBHOOK_URL: https URL that receives every batch\'s final-status event (signed, Standard Webhooks). Empty: no webhooks.')
param webhookUrl string = ''

@secure()
@description('DOCBATCH_WEBHOOK_SECRET: whsec_ + base64 of 24 to 64 random bytes (echo whsec_$(openssl rand -base64 32)); kept in Key Vault. Required with webhookUrl.')
param webhookSecret string = ''

@description('DOCBATCH_EXTRACTION_MODEL: model or deployment the upload-batch API extracts with. Empty: openAiDeploymentName with openAiMode new or existing, else gpt-4o-mini.')
param extractionModel string = ''

@description('DOCBATCH_EXTRACTION_TIER_MODELS: e.g. NANO=gpt-4.1-nano,HIGH=gpt-4.1; empty: every tier uses extractionModel.')
param extractionTierModels string = ''

// ---- Azure OpenAI (the LLM upstream, created or reused) -----------------------------------

@allowed(['none', 'new', 'existing'])
@description('Azure OpenAI upstream: none (llmEndpoint decides), create a new account with a model deployment, or use an existing account and its deployment. new/existing set DOCBATCH_LLM_* from the deployment and grant the identity Cognitive Services OpenAI User.')
param openAiMode string = 'none'

@description('Resource id of the existing Azure OpenAI or AI Services account (openAiMode = existing); its deployment openAiDeploymentName must exist.')
param existingOpenAiResourceId string = ''

@description('Region of a new Azure OpenAI account; empty: same as location.')
param openAiLocation string = ''

@description('Name of the model deployment (created with openAiMode = new, read with existing): DOCBATCH_LLM_MODELS, what batch lines name as `model`.')
param openAiDeploymentName string = 'gpt-4o-mini'

@description('Model of a new deployment.')
param openAiModelName string = 'gpt-4o-mini'

@description('Model version of a new deployment.')
param openAiModelVersion string = '2024-07-18'

@allowed(['GlobalStandard', 'DataZoneStandard', 'Standard'])
@description('Deployment type of a new deployment.')
param openAiDeploymentSku string = 'GlobalStandard'

@minValue(1)
@description('Capacity of a new deployment in units of 1,000 tokens per minute (o1: 6,000); the RPM follows from it as Azure sets it.')
param openAiDeploymentCapacity int = 50

@minValue(0)
@description('Requests per minute Azure gives per capacity unit; 0: by model family (6 for gpt-4o, gpt-4o-mini, gpt-35-turbo, gpt-4, text-embedding-*; 1 for newer models).')
param openAiRequestsPerCapacityUnit int = 0

// ---- Networking ---------------------------------------------------------------------------

@description('Put storage behind private endpoints in a new virtual network and integrate the app with it.')
param vnetEnabled bool = false

// ---- Names --------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = 'func-docbatch-${resourceToken}'
var deploymentContainerName = 'app-package'
var useScheduler = durableBackend == 'DurableTaskScheduler'

// Keys derived from the seed with guid() (a name-based UUID): the same seed gives the same keys
// on every provision, and nothing in this file reveals them.
var derivedApiKey = 'dbk${replace(guid(secretSeed, 'docbatch-api-key'), '-', '')}${replace(guid(secretSeed, 'docbatch-api-key-2'), '-', '')}'
// base64 of a 32-character ASCII string decodes to exactly 32 bytes (122 random bits of the UUID).
var derivedEncryptionKey = base64(replace(guid(secretSeed, 'docbatch-encryption-key'), '-', ''))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.6.0' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-docbatch-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    privateEndpointSubnetId: vnetEnabled ? network!.outputs.privateEndpointSubnetId : ''
    privateDnsZoneIds: vnetEnabled ? network!.outputs.storageDnsZoneIds : {}
  }
}

module keyVault 'app/keyVault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    apiKeys: empty(apiKeys) ? derivedApiKey : apiKeys
    encryptionKey: empty(encryptionKey) ? derivedEncryptionKey : encryptionKey
    webhookSecret: webhookSecret
  }
}

module scheduler 'app/durableTaskScheduler.bicep' = if (useScheduler) {
  name: 'durableTaskScheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    skuName: durableTaskSchedulerSku
    taskHubName: taskHubName
    principals: roles.outputs.principals
  }
}

module documentIntelligence 'app/documentIntelligence.bicep' = if (documentIntelligenceMode == 'new') {
  name: 'documentIntelligence'
  scope: rg
  params: {
    name: diAccountName
    location: empty(documentIntelligenceLocation) ? location : documentIntelligenceLocation
    tags: tags
  }
}

// Where the account lives. A module's scope must be known when the deployment starts, so this
// is computed from names, never from another module's outputs.
var diSubscriptionId = documentIntelligenceMode == 'existing'
  ? split(existingDocumentIntelligenceResourceId, '/')[2]
  : subscription().subscriptionId
var diResourceGroupName = documentIntelligenceMode == 'existing'
  ? split(existingDocumentIntelligenceResourceId, '/')[4]
  : rg.name
var diAccountName = documentIntelligenceMode == 'existing'
  ? last(split(existingDocumentIntelligenceResourceId, '/'))
  : 'di-${resourceToken}'

module documentIntelligenceAccess 'app/documentIntelligenceAccess.bicep' = if (documentIntelligenceMode != 'none') {
  name: 'documentIntelligenceAccess'
  scope: resourceGroup(diSubscriptionId, diResourceGroupName)
  params: {
    accountName: diAccountName
    principalId: identity.outputs.principalId
  }
  dependsOn: [
    documentIntelligence
  ]
}

module openAi 'app/openAi.bicep' = if (openAiMode == 'new') {
  name: 'openAi'
  scope: rg
  params: {
    name: openAiAccountName
    location: empty(openAiLocation) ? location : openAiLocation
    tags: tags
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    deploymentSku: openAiDeploymentSku
    capacity: openAiDeploymentCapacity
  }
}

// As for Document Intelligence: the scope comes from names, never from another module's outputs.
var useOpenAi = openAiMode != 'none'
var openAiSubscriptionId = openAiMode == 'existing'
  ? split(existingOpenAiResourceId, '/')[2]
  : subscription().subscriptionId
var openAiResourceGroupName = openAiMode == 'existing'
  ? split(existingOpenAiResourceId, '/')[4]
  : rg.name
var openAiAccountName = openAiMode == 'existing'
  ? last(split(existingOpenAiResourceId, '/'))
  : 'oai-${resourceToken}'

module openAiAccess 'app/openAiAccess.bicep' = if (useOpenAi) {
  name: 'openAiAccess'
  scope: resourceGroup(openAiSubscriptionId, openAiResourceGroupName)
  params: {
    accountName: openAiAccountName
    deploymentName: openAiDeploymentName
    principalId: identity.outputs.principalId
    requestsPerCapacityUnit: openAiRequestsPerCapacityUnit
  }
  dependsOn: [
    openAi
  ]
}

module roles 'app/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

// The largest request bodies docbatch takes: an OpenAI Files upload and an upload-batch document
// (both multipart). The Functions host refuses a body over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT
// (default 104857600) with a bare 413 before docbatch sees it, so the limit sits one multipart
// allowance above docbatch's own limits: a file just over them gets docbatch's own answer.
// src/config/requestBodyLimit.ts computes the same for the local host.
var openAiMaxFileBytes = 209715200
var uploadMaxDocumentBytes = 52428800
var multipartAllowanceBytes = 1048576
var requestBodySizeLimit = max(openAiMaxFileBytes, uploadMaxDocumentBytes) + multipartAllowanceBytes

// docbatch's own settings (src/config/settings.ts is the catalogue). Secrets stay in Key Vault.
var docbatchSettings = {
  DOCBATCH_API_KEYS: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.apiKeysSecretUri})'
  DOCBATCH_ENCRYPTION_KEY: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.encryptionKeySecretUri})'
  // The app's own account needs no SAS: its identity already holds Storage Blob Data Owner there.
  DOCBATCH_ALLOWED_STORAGE_ACCOUNTS: join(union([storage.outputs.name], filter(map(split(allowedStorageAccounts, ','), entry => trim(entry)), entry => !empty(entry))), ',')
  DOCBATCH_ALLOW_LOOPBACK_HTTP: 'false'
  DOCBATCH_MAX_DOCUMENTS_PER_BATCH: string(maxDocumentsPerBatch)
  DOCBATCH_MAX_DOCUMENT_BYTES: string(maxDocumentBytes)
  DOCBATCH_MAX_TEXT_CHARACTERS: '3000000'
  DOCBATCH_DOCUMENTS_PER_SUBORCHESTRATION: '100'
  DOCBATCH_RETENTION_HOURS: string(retentionHours)
  DOCBATCH_PURGE_SCHEDULE: '0 */15 * * * *'
  DOCBATCH_STRANDED_AFTER_MINUTES: '15'
  DOCBATCH_TABLE_PREFIX: 'docbatch'
  DOCBATCH_TASK_HUB: taskHubName
  DOCBATCH_ANALYZE_TIMEOUT_SECONDS: '300'
  DOCUMENT_INTELLIGENCE_REQUESTS_PER_SECOND: '15'
  DOCUMENT_INTELLIGENCE_PREFER_CLOUD_READ: 'false'
}
// No DOCBATCH_LLM_API_KEY: an Azure OpenAI upstream is reached with the app's managed identity
// (Cognitive Services OpenAI User, granted by openAiAccess). With openAiMode new or existing the
// upstream and its limits come from the account and its deployment; otherwise from the llm* parameters.
var llmSettings = {
  DOCBATCH_LLM_ENDPOINT: useOpenAi ? openAiAccess!.outputs.endpoint : llmEndpoint
  DOCBATCH_LLM_MODELS: useOpenAi ? openAiDeploymentName : llmModels
  DOCBATCH_LLM_REQUESTS_PER_MINUTE: string(useOpenAi ? openAiAccess!.outputs.requestsPerMinute : llmRequestsPerMinute)
  DOCBATCH_LLM_TOKENS_PER_MINUTE: string(useOpenAi ? openAiAccess!.outputs.tokensPerMinute : llmTokensPerMinute)
  DOCBATCH_EXTRACTION_MODEL: empty(extractionModel) ? (useOpenAi ? openAiDeploymentName : 'gpt-4o-mini') : extractionModel
  DOCBATCH_EXTRACTION_TIER_MODELS: extractionTierModels
  DOCBATCH_EXTRACTION_CONTEXT_TOKENS: '100000'
  DOCBATCH_EXTRACTION_MAX_OUTPUT_TOKENS: '1024'
  DOCBATCH_UPLOAD_MAX_DOCUMENTS: '10000'
  DOCBATCH_UPLOAD_MAX_DOCUMENT_BYTES: string(uploadMaxDocumentBytes)
  DOCBATCH_UPLOAD_MAX_CONCURRENCY: '20'
  DOCBATCH_OPENAI_MAX_FILE_BYTES: string(openAiMaxFileBytes)
  DOCBATCH_OPENAI_MAX_LINES: '100000'
  DOCBATCH_OPENAI_ON_EXPIRY: openAiOnExpiry
}
// Webhooks only when a receiver is named; its signing secret stays in Key Vault.
var webhookSettings = empty(webhookUrl)
  ? {}
  : {
      DOCBATCH_WEBHOOK_URL: webhookUrl
      DOCBATCH_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.webhookSecretUri})'
    }
var documentIntelligenceSettings = documentIntelligenceMode == 'none'
  ? {}
  : {
      // No key: the app's managed identity holds Cognitive Services User on the account.
      DOCUMENT_INTELLIGENCE_ENDPOINT: documentIntelligenceAccess!.outputs.endpoint
    }

module functionApp 'app/functionApp.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    nodeVersion: nodeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    subnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    durableTaskSchedulerEndpoint: useScheduler ? scheduler!.outputs.endpoint : ''
    requestBodySizeLimit: requestBodySizeLimit
    appSettings: union(docbatchSettings, documentIntelligenceSettings, llmSettings, webhookSettings, extraAppSettings)
  }
  // Key Vault references and identity-based storage resolve only once the roles exist. ARM
  // finishes the assignments before the app is created, but Entra ID takes up to about ten
  // minutes to honour them everywhere; the app's first start waits that out itself
  // (src/config/keyVaultReferences.ts, src/shared/accessPending.ts) and the postdeploy
  // check retries its first requests (docs/deploy.md).
  dependsOn: [
    roles
    documentIntelligenceAccess
    openAiAccess
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output DOCBATCH_URL string = 'https://${functionApp.outputs.defaultHostname}'
output KEY_VAULT_NAME string = keyVault.outputs.name
output DOCBATCH_API_KEYS_SECRET_NAME string = keyVault.outputs.apiKeysSecretName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
output DURABLE_BACKEND string = durableBackend
output DURABLE_TASK_SCHEDULER_ENDPOINT string = useScheduler ? scheduler!.outputs.endpoint : ''
output DOCUMENT_INTELLIGENCE_ENDPOINT_URL string = documentIntelligenceMode == 'none' ? '' : documentIntelligenceAccess!.outputs.endpoint
output OPENAI_ENDPOINT_URL string = useOpenAi ? openAiAccess!.outputs.endpoint : llmEndpoint
output OPENAI_DEPLOYMENT_NAME string = useOpenAi ? openAiDeploymentName : ''
