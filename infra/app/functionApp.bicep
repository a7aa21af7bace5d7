// The Flex Consumption plan and the docbatch function app (Linux, Node). The app runs as the
// user-assigned identity for everything: the deployment package, AzureWebJobsStorage, Key Vault
// references, Application Insights, Document Intelligence and the Durable Task Scheduler.
param name string
param planName string
param location string
param tags object = {}

param identityResourceId string
param identityClientId string

@description('Endpoints of the app\'s storage account (identity-based AzureWebJobsStorage).')
param blobEndpoint string
param queueEndpoint string
param tableEndpoint string

@description('Blob container in that account holding the deployment package.')
param deploymentContainerName string

param applicationInsightsConnectionString string

@allowed(['22'])
param nodeVersion string = '22'

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Subnet (delegated to Microsoft.App/environments) for VNet integration; empty: none.')
param subnetId string = ''

@description('Durable Task Scheduler endpoint; empty: Durable Functions uses the Azure Storage provider from host.json.')
param durableTaskSchedulerEndpoint string = ''

@description('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: largest request body the Functions host passes to the app, in bytes.')
param requestBodySizeLimit int = 104857600

@description('docbatch\'s own app settings (string values).')
param appSettings object = {}

var platformSettings = {
  // Identity-based host storage: no connection string, no account key.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  // DefaultAzureCredential in docbatch picks the user-assigned identity by this id.
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(requestBodySizeLimit)
}

// The Durable storage provider is named in host.json itself, written at package time from the
// same DOCBATCH_DURABLE_BACKEND value as this deployment's durableBackend (scripts/durable-host-json.mjs,
// azure.yaml prepackage): the scale controller reads host.json, not AzureFunctionsJobHost__
// overrides. host.json's azureManaged provider reads its connection from this setting.
var schedulerSettings = empty(durableTaskSchedulerEndpoint)
  ? {}
  : {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
    }

module plan 'br/public:avm/res/web/serverfarm:0.7.0' = {
  name: 'plan'
  params: {
    name: planName
    location: location
    tags: tags
    skuName: 'FC1'
    kind: 'functionapp'
    reserved: true
    zoneRedundant: false
  }
}

module site 'br/public:avm/res/web/site:0.24.0' = {
  name: 'site'
  params: {
    name: name
    location: location
    // azd deploys the `api` service of azure.yaml to the app carrying this tag.
    tags: union(tags, { 'azd-service-name': 'api' })
    kind: 'functionapp,linux'
    serverFarmResourceId: plan.outputs.resourceId
    managedIdentities: {
      userAssignedResourceIds: [
        identityResourceId
      ]
    }
    keyVaultAccessIdentityResourceId: identityResourceId
    httpsOnly: true
    clientAffinityEnabled: false
    virtualNetworkSubnetResourceId: empty(subnetId) ? null : subnetId
    siteConfig: {
      // Flex Consumption rejects alwaysOn; the module's default turns it on.
      alwaysOn: false
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
    configs: [
      {
        name: 'appsettings'
        // This file is the whole truth: a setting removed here disappears from the app.
        retainCurrentAppSettings: false
        properties: union(platformSettings, schedulerSettings, appSettings)
      }
    ]
  }
}

output name string = site.outputs.name
output defaultHostname string = site.outputs.defaultHostname
