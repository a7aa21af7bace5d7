#!/bin/sh
# azd postdeploy hook: runs one Document Intelligence batch through the deployed app and prints
# the counts and the .ocr.json paths, or what to look at (scripts/first-batch.mjs, docs/deploy.md).
# azd passes the environment's values (Bicep outputs) as variables. Rerun: azd hooks run postdeploy
set -u
cd "$(dirname "$0")/../.." || exit 1
node ./scripts/first-batch.mjs
status=$?
vault="${KEY_VAULT_NAME:-}"
secret="${DOCBATCH_API_KEYS_SECRET_NAME:-docbatch-api-keys}"
cat <<MSG

Read the API key (DOCBATCH_API_KEYS may hold several, comma-separated; use one):

  key=\$(az keyvault secret show --vault-name $vault --name $secret --query value -o tsv | cut -d, -f1)

MSG
exit $status
