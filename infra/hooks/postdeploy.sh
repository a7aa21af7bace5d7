#!/bin/sh
# azd postdeploy hook: azd passes the environment's values (Bicep outputs) as variables.
# Prints where docbatch runs, how to read its API key, and requests to try.
set -u

url="${DOCBATCH_URL:-}"
vault="${KEY_VAULT_NAME:-}"
secret="${DOCBATCH_API_KEYS_SECRET_NAME:-docbatch-api-keys}"
account="${AZURE_STORAGE_ACCOUNT_NAME:-}"

if [ -z "$url" ]; then
  echo "docbatch: DOCBATCH_URL is not set; run 'azd provision' first." >&2
  exit 0
fi

cat <<MSG

docbatch is deployed.

  API:        $url
  Key Vault:  $vault   (the API key is the secret '$secret')

Read the API key (DOCBATCH_API_KEYS may hold several, comma-separated; use one):

  key=\$(az keyvault secret show --vault-name $vault --name $secret --query value -o tsv | cut -d, -f1)

Check it is up:

  curl -sS $url/health

Analyze every document under a prefix of a container docbatch can reach with its identity
(its own storage account $account is allowed; give other accounts' containers a SAS):

  curl -sS -i -X POST "$url/documentintelligence/documentModels/prebuilt-read:analyzeBatch?api-version=2024-11-30" \\
    -H "Ocp-Apim-Subscription-Key: \$key" -H "Content-Type: application/json" \\
    -d '{"azureBlobSource":{"containerUrl":"https://$account.blob.core.windows.net/documents","prefix":"in/"},
         "resultContainerUrl":"https://$account.blob.core.windows.net/results","resultPrefix":"out/"}'

Then GET the Operation-Location header it returns (same key header) until status is succeeded.

MSG
