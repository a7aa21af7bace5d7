# azd postdeploy hook (Windows): azd passes the environment's values (Bicep outputs) as variables.
# Prints where docbatch runs, how to read its API key, and requests to try.
$url = $env:DOCBATCH_URL
$vault = $env:KEY_VAULT_NAME
$secret = if ($env:DOCBATCH_API_KEYS_SECRET_NAME) { $env:DOCBATCH_API_KEYS_SECRET_NAME } else { 'docbatch-api-keys' }
$account = $env:AZURE_STORAGE_ACCOUNT_NAME

if (-not $url) {
  Write-Warning "docbatch: DOCBATCH_URL is not set; run 'azd provision' first."
  exit 0
}

$body = '{"azureBlobSource":{"containerUrl":"https://' + $account + '.blob.core.windows.net/documents","prefix":"in/"},"resultContainerUrl":"https://' + $account + '.blob.core.windows.net/results","resultPrefix":"out/"}'

@"

docbatch is deployed.

  API:        $url
  Key Vault:  $vault   (the API key is the secret '$secret')

Read the API key (DOCBATCH_API_KEYS may hold several, comma-separated; use one):

  `$key = (az keyvault secret show --vault-name $vault --name $secret --query value -o tsv).Split(',')[0]

Check it is up:

  Invoke-RestMethod $url/health

Analyze every document under a prefix of a container docbatch can reach with its identity
(its own storage account $account is allowed; give other accounts' containers a SAS):

  Invoke-WebRequest -Method Post ``
    -Uri "$url/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=2024-11-30" ``
    -Headers @{ 'Ocp-Apim-Subscription-Key' = `$key } -ContentType 'application/json' ``
    -Body '$body'

Then GET the Operation-Location header it returns (same key header) until status is succeeded.

"@ | Write-Host
