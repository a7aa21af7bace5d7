# azd postdeploy hook (Windows): runs one Document Intelligence batch through the deployed app and
# prints the counts and the .ocr.json paths, or what to look at (scripts/first-batch.mjs,
# docs/deploy.md). azd passes the environment's values (Bicep outputs) as variables.
# Rerun: azd hooks run postdeploy
Set-Location (Join-Path $PSScriptRoot '..' '..')
node ./scripts/first-batch.mjs
$status = $LASTEXITCODE
$vault = $env:KEY_VAULT_NAME
$secret = if ($env:DOCBATCH_API_KEYS_SECRET_NAME) { $env:DOCBATCH_API_KEYS_SECRET_NAME } else { 'docbatch-api-keys' }
@"

Read the API key (DOCBATCH_API_KEYS may hold several, comma-separated; use one):

  `$key = (az keyvault secret show --vault-name $vault --name $secret --query value -o tsv).Split(',')[0]

"@ | Write-Host
exit $status
