// Optional private networking: a virtual network with a subnet for the Flex Consumption app's
// VNet integration and one for private endpoints, plus the private DNS zones that make the
// storage account's blob/queue/table names resolve to those endpoints inside the network.
param name string
param location string
param tags object = {}

var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'
var storageServices = ['blob', 'queue', 'table']

module virtualNetwork 'br/public:avm/res/network/virtual-network:0.10.1' = {
  name: 'virtualNetwork'
  params: {
    name: name
    location: location
    tags: tags
    addressPrefixes: ['10.0.0.0/16']
    subnets: [
      {
        name: privateEndpointSubnetName
        addressPrefix: '10.0.1.0/24'
        privateEndpointNetworkPolicies: 'Disabled'
      }
      {
        name: appSubnetName
        addressPrefix: '10.0.2.0/24'
        // Flex Consumption integrates through subnets delegated to Microsoft.App/environments.
        delegation: 'Microsoft.App/environments'
      }
    ]
  }
}

module dnsZones 'br/public:avm/res/network/private-dns-zone:0.8.1' = [
  for service in storageServices: {
    name: 'dns-${service}'
    params: {
      name: 'privatelink.${service}.${environment().suffixes.storage}'
      tags: tags
      virtualNetworkLinks: [
        {
          name: '${name}-${service}'
          virtualNetworkResourceId: virtualNetwork.outputs.resourceId
          registrationEnabled: false
        }
      ]
    }
  }
]

output appSubnetId string = '${virtualNetwork.outputs.resourceId}/subnets/${appSubnetName}'
output privateEndpointSubnetId string = '${virtualNetwork.outputs.resourceId}/subnets/${privateEndpointSubnetName}'
@description('Private DNS zone id per storage service: { blob, queue, table }.')
output storageDnsZoneIds object = {
  blob: dnsZones[0].outputs.resourceId
  queue: dnsZones[1].outputs.resourceId
  table: dnsZones[2].outputs.resourceId
}
