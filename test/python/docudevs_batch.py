"""Runs one DocuDevs upload batch through their own Python client (docu-devs-api-client), the
way their batch-processing guide shows it: create_batch, upload_batch_document per file,
process_batch with a prompt and an example-shaped schema, wait_until_ready(result_format="json").

Reads DOCBATCH_URL, DOCBATCH_KEY and DOCUMENTS (a JSON list of {path, mime_type}) from the
environment; prints the job guid, the upload answers, the final status and the results as one JSON line.
"""
import asyncio
import json
import os

from docudevs.docudevs_client import DocuDevsClient


async def main():
    client = DocuDevsClient(api_url=os.environ["DOCBATCH_URL"], token=os.environ["DOCBATCH_KEY"])
    guid = await client.create_batch(max_concurrency=2)
    uploads = []
    for document in json.loads(os.environ["DOCUMENTS"]):
        with open(document["path"], "rb") as handle:
            uploads.append(
                await client.upload_batch_document(
                    batch_guid=guid,
                    document=handle.read(),
                    mime_type=document["mime_type"],
                    file_name=os.path.basename(document["path"]),
                )
            )
    await client.process_batch(
        guid,
        prompt="Extract the statements",
        schema=json.dumps({"statements": [{"date": "date", "customer": "string", "total": "number"}]}),
        mime_type="application/pdf",
    )
    results = await client.wait_until_ready(guid, timeout=90, poll_interval=0.5, result_format="json")
    status = await client.status(guid=guid)
    job = status.parsed
    print(json.dumps({
        "guid": guid,
        "uploads": uploads,
        "status": job.status,
        "totalDocs": job.total_docs,
        "completedDocs": job.completed_docs,
        "failedDocs": job.failed_docs,
        "results": results,
    }))


asyncio.run(main())
