// The app's storage account: Functions host state, Durable Functions queues and tables (Azure
// Storage backend), docbatch's status tables, and the deployment package container. Shared-key
// access is off, so everything (the app, azd deploy, the developer) signs in with Entra ID.
param name string
param location string
param tags object = {}

@description('Blob container Flex Consumption deploys the app package from.')
param deploymentContainerName string

@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param skuName string = 'Standard_LRS'

@description('Subnet for blob/queue/table private endpoints; empty: public endpoint, no private endpoints.')
param privateEndpointSubnetId string = ''

@description('Private DNS zone ids { blob, queue, table } for the private endpoints.')
param privateDnsZoneIds object = {}

var privateNetworking = !empty(privateEndpointSubnetId)

// One private endpoint per service the Functions host and Durable Functions use.
var privateEndpoints = [
  for service in ['blob', 'queue', 'table']: {
    service: service
    subnetResourceId: privateEndpointSubnetId
    privateDnsZoneGroup: {
      privateDnsZoneGroupConfigs: [
        {
          privateDnsZoneResourceId: privateDnsZoneIds[?service] ?? ''
        }
      ]
    }
  }
]

module storageAccount 'br/public:avm/res/storage/storage-account:0.33.0' = {
  name: 'storageAccount'
  params: {
    name: name
    location: location
    tags: tags
    kind: 'StorageV2'
    skuName: skuName
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: privateNetworking
      ? {
          defaultAction: 'Deny'
          bypass: 'None'
        }
      : {
          defaultAction: 'Allow'
          bypass: 'AzureServices'
        }
    blobServices: {
      containers: [
        {
          name: deploymentContainerName
        }
      ]
    }
    privateEndpoints: privateNetworking ? privateEndpoints : []
  }
}

output name string = storageAccount.outputs.name
output resourceId string = storageAccount.outputs.resourceId
output blobEndpoint string = storageAccount.outputs.serviceEndpoints.blob
output queueEndpoint string = storageAccount.outputs.serviceEndpoints.queue
output tableEndpoint string = storageAccount.outputs.serviceEndpoints.table
