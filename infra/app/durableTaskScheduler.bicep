// Durable Task Scheduler (durableBackend = DurableTaskScheduler): a managed backend for Durable
// Functions that scales further than the Azure Storage provider. There is no Azure Verified
// Module for it yet, so the resources are declared directly (API 2025-11-01, GA).
param name string
param location string
param tags object = {}

@allowed(['Consumption', 'Dedicated'])
param skuName string = 'Consumption'

@description('Task hub name; must equal the DOCBATCH_TASK_HUB app setting (host.json hubName).')
param taskHubName string

@description('Client IP ranges allowed to reach the scheduler. An empty list denies everyone; access is still gated by Entra ID roles.')
param ipAllowlist string[] = ['0.0.0.0/0']

@description('Who gets Durable Task Data Contributor on the scheduler: roles.bicep\'s `principals` output (the app\'s identity and the deploying user), objects { id, type }.')
param principals array

var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    ipAllowlist: ipAllowlist
    sku: skuName == 'Dedicated'
      ? {
          name: skuName
          capacity: 1
        }
      : {
          name: skuName
        }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

// Granted here, with the scheduler: the app module uses this module's endpoint, so ARM creates
// the app after these assignments.
resource schedulerRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(scheduler.id, principal.id, durableTaskDataContributor)
    scope: scheduler
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
      principalId: principal.id
      principalType: principal.type
    }
  }
]

output name string = scheduler.name
output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
