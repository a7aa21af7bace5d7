// Data-plane roles for docbatch's user-assigned identity and, optionally, for the deploying
// user (debugging, reading the API key). Nothing uses keys. The Durable Task Scheduler's role is
// granted where the scheduler is created (durableTaskScheduler.bicep), so nothing here refers
// to a scheduler that may not exist.
param storageAccountName string
param applicationInsightsName string
param keyVaultName string

param identityPrincipalId string

@description('Deploying user or service principal; empty: no roles for it.')
param userPrincipalId string = ''

@allowed(['User', 'ServicePrincipal'])
param userPrincipalType string = 'User'

// Built-in role definition ids (the same in every tenant).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// Blob Data Owner (not Contributor): the Functions host manages blob leases and the deployment
// container; queues and tables carry Durable Functions state and docbatch's status tables.
var storageRoleIds = [
  roleIds.storageBlobDataOwner
  roleIds.storageQueueDataContributor
  roleIds.storageTableDataContributor
]

var principals = concat(
  [
    {
      id: identityPrincipalId
      type: 'ServicePrincipal'
    }
  ],
  empty(userPrincipalId)
    ? []
    : [
        {
          id: userPrincipalId
          type: userPrincipalType
        }
      ]
)

// Every (principal, storage role) pair.
var storageAssignments = flatten(map(principals, principal => map(storageRoleIds, roleId => {
  principal: principal
  roleId: roleId
})))

resource storageAccount 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in storageAssignments: {
    name: guid(storageAccount.id, assignment.principal.id, assignment.roleId)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleId)
      principalId: assignment.principal.id
      principalType: assignment.principal.type
    }
  }
]

// Application Insights has local auth off: telemetry is sent with an Entra ID token.
resource monitoringRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(applicationInsights.id, principal.id, roleIds.monitoringMetricsPublisher)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
      principalId: principal.id
      principalType: principal.type
    }
  }
]

// The app resolves its Key Vault references; the user can read the API key (az keyvault secret show).
resource keyVaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principal in principals: {
    name: guid(keyVault.id, principal.id, roleIds.keyVaultSecretsUser)
    scope: keyVault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
      principalId: principal.id
      principalType: principal.type
    }
  }
]

@description('The principals given data roles here, { id, type }: also those of the Durable Task Scheduler (durableTaskScheduler.bicep).')
output principals array = principals
