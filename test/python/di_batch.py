"""Drives one analyzeBatch through the official Python client, the way its README shows it.

Reads DOCBATCH_URL, DOCBATCH_KEY, SOURCE_CONTAINER_URL, RESULT_CONTAINER_URL and optional
SOURCE_PREFIX / RESULT_PREFIX / MODEL_ID from the environment; prints the final poller state and
the AnalyzeBatchResult as one JSON line.
"""
import json
import os

from azure.ai.documentintelligence import DocumentIntelligenceClient
from azure.ai.documentintelligence.models import AnalyzeBatchDocumentsRequest, AzureBlobContentSource
from azure.core.credentials import AzureKeyCredential

client = DocumentIntelligenceClient(os.environ["DOCBATCH_URL"], AzureKeyCredential(os.environ["DOCBATCH_KEY"]))
poller = client.begin_analyze_batch_documents(
    os.environ.get("MODEL_ID", "prebuilt-read"),
    AnalyzeBatchDocumentsRequest(
        azure_blob_source=AzureBlobContentSource(
            container_url=os.environ["SOURCE_CONTAINER_URL"],
            prefix=os.environ.get("SOURCE_PREFIX"),
        ),
        result_container_url=os.environ["RESULT_CONTAINER_URL"],
        result_prefix=os.environ.get("RESULT_PREFIX"),
    ),
)
result = poller.result()
print(json.dumps({"status": poller.status(), "result": result.as_dict()}))
