// Key Vault for docbatch's secrets. RBAC authorization only (no access policies); the app reads
// the secrets through Key Vault references with its user-assigned identity (Key Vault Secrets
// User, see roles.bicep). Purge protection is off so `azd down --purge` can remove the vault.
param name string
param location string
param tags object = {}

@secure()
@description('Value of DOCBATCH_API_KEYS.')
param apiKeys string

@secure()
@description('Value of DOCBATCH_ENCRYPTION_KEY.')
param encryptionKey string

@secure()
@description('Value of DOCBATCH_WEBHOOK_SECRET; empty: no webhook secret is stored.')
param webhookSecret string = ''

var apiKeysSecretName = 'docbatch-api-keys'
var encryptionKeySecretName = 'docbatch-encryption-key'
var webhookSecretName = 'docbatch-webhook-secret'

module vault 'br/public:avm/res/key-vault/vault:0.14.0' = {
  name: 'vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enablePurgeProtection: false
    softDeleteRetentionInDays: 7
    enableVaultForDeployment: false
    enableVaultForDiskEncryption: false
    enableVaultForTemplateDeployment: false
    secrets: concat([
      {
        name: apiKeysSecretName
        value: apiKeys
        contentType: 'text/plain; comma-separated API keys'
      }
      {
        name: encryptionKeySecretName
        value: encryptionKey
        contentType: 'application/octet-stream; base64, 32 bytes'
      }
    ], empty(webhookSecret) ? [] : [
      {
        name: webhookSecretName
        value: webhookSecret
        contentType: 'text/plain; whsec_ + base64'
      }
    ])
  }
}

output name string = vault.outputs.name
output uri string = vault.outputs.uri
output apiKeysSecretName string = apiKeysSecretName
// Versionless URIs: the app picks up a rotated secret without a new deployment.
output apiKeysSecretUri string = '${vault.outputs.uri}secrets/${apiKeysSecretName}'
output encryptionKeySecretUri string = '${vault.outputs.uri}secrets/${encryptionKeySecretName}'
output webhookSecretUri string = '${vault.outputs.uri}secrets/${webhookSecretName}'
