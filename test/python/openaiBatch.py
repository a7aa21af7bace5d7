"""Runs docbatch's OpenAI Batch and Files API through the official Python `openai` client, the way
OpenAI's and Azure's batch guides show it: files.create(purpose="batch"), batches.create,
batches.retrieve until final, files.content for the output and error files.

Usage: openaiBatch.py <scenario> <form>
  scenario: run | list | cancel | validation | errors
  form:     openai (OpenAI(base_url=<url>/v1)), azure (AzureOpenAI(azure_endpoint=<url>)) or
            azure-deployment (the same with azure_deployment=MODEL)
Reads DOCBATCH_URL, DOCBATCH_KEY, MODEL and INPUT (a JSONL file to upload) from the environment.
Prints what the client saw as one JSON line; the test asserts on it. Every request's method and
path (with its query) is recorded as the client sent it, under "requests".
"""
import json
import os
import sys
import time

import httpx2
import openai
from openai import AzureOpenAI, OpenAI

URL = os.environ["DOCBATCH_URL"]
KEY = os.environ["DOCBATCH_KEY"]
MODEL = os.environ.get("MODEL", "gpt-4o-mini")
API_VERSION = "2024-10-21"
FINAL = {"completed", "failed", "expired", "cancelled"}
DEADLINE_SECONDS = 45

requests = []


def record(request):
    requests.append(f"{request.method} {request.url.raw_path.decode()}")


def make_client(form, key=KEY):
    # No retries: an answer docbatch gets wrong must show, not be papered over by a second try.
    http_client = httpx2.Client(event_hooks={"request": [record]})
    if form == "openai":
        return OpenAI(base_url=f"{URL}/v1", api_key=key, max_retries=0, http_client=http_client)
    deployment = {"azure_deployment": MODEL} if form == "azure-deployment" else {}
    return AzureOpenAI(azure_endpoint=URL, api_key=key, api_version=API_VERSION, max_retries=0, http_client=http_client, **deployment)


def endpoint_of(form):
    # Azure's guide writes the endpoint without /v1; OpenAI's with it.
    return "/v1/chat/completions" if form == "openai" else "/chat/completions"


def upload(client, **options):
    with open(os.environ["INPUT"], "rb") as handle:
        return client.files.create(file=handle, purpose="batch", **options)


def wait(client, batch_id, until=lambda batch: False):
    started = time.monotonic()
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status in FINAL or until(batch):
            return batch
        if time.monotonic() - started > DEADLINE_SECONDS:
            raise TimeoutError(f"batch {batch_id} still {batch.status} after {DEADLINE_SECONDS} s: {batch.request_counts}")
        time.sleep(0.1)


def download(client, file_id):
    return client.files.content(file_id).content if file_id is not None else None


def lines_of(content):
    """The JSON lines of a downloaded file (None when there was no file)."""
    if content is None:
        return None
    return [json.loads(line) for line in content.decode("utf-8").splitlines() if line.strip()]


def error_of(call):
    """The exception a call raises, as the client's own type and the OpenAI error body."""
    try:
        call()
    except openai.APIStatusError as error:
        return {"class": type(error).__name__, "status": error.status_code, "body": error.body, "code": error.code, "param": error.param, "type": error.type}
    return None


def dump(model):
    return model.model_dump(mode="json") if model is not None else None


def run(client, form):
    """One batch end to end, then the Files API over its files."""
    # expires_after goes as multipart fields expires_after[anchor] and expires_after[seconds].
    uploaded = upload(client, expires_after={"anchor": "created_at", "seconds": 86400})
    created = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=endpoint_of(form),
        completion_window="24h",
        metadata={"form": form},
        output_expires_after={"anchor": "created_at", "seconds": 3600},
    )
    done = wait(client, created.id)
    output = download(client, done.output_file_id)
    output_file = client.files.retrieve(done.output_file_id)
    outputs = [file.id for file in client.files.list(purpose="batch_output")]
    deleted = client.files.delete(uploaded.id)
    return {
        "uploaded": dump(uploaded),
        "created": dump(created),
        "done": dump(done),
        "output": lines_of(output),
        "errors": lines_of(download(client, done.error_file_id)),
        "outputFile": dump(output_file),
        "errorFile": dump(client.files.retrieve(done.error_file_id)),
        "outputBytes": len(output),
        "outputs": outputs,
        "deleted": dump(deleted),
        "retrieveDeleted": error_of(lambda: client.files.retrieve(uploaded.id)),
        "contentDeleted": error_of(lambda: client.files.content(uploaded.id)),
        "listedAfterDelete": uploaded.id in [file.id for file in client.files.list(purpose="batch")],
        # The batch stays readable after its input file is gone.
        "afterDelete": dump(client.batches.retrieve(created.id)),
    }


def list_batches(client, form):
    """Three batches, then batches.list and files.list with limit=1, `after` and the auto-pager."""
    ids = []
    input_ids = []
    for _ in range(3):
        input_ids.append(upload(client).id)
        ids.append(client.batches.create(input_file_id=input_ids[-1], endpoint=endpoint_of(form), completion_window="24h").id)
    first = client.batches.list(limit=1)
    second = client.batches.list(limit=1, after=first.data[0].id)
    next_page = first.get_next_page()
    every = [batch.id for batch in client.batches.list(limit=1)]
    one_page = client.batches.list(limit=100)
    files_first = client.files.list(purpose="batch", limit=1)
    files = {order: [file.id for file in client.files.list(purpose="batch", limit=1, order=order)] for order in ("desc", "asc")}
    final = [wait(client, batch_id).status for batch_id in ids]
    return {
        "ids": ids,
        "inputIds": input_ids,
        "filesFirst": {"ids": [file.id for file in files_first.data], "hasMore": files_first.has_more},
        "files": files,
        "first": {"ids": [batch.id for batch in first.data], "hasMore": first.has_more, "hasNextPage": first.has_next_page()},
        "second": [batch.id for batch in second.data],
        "nextPage": [batch.id for batch in next_page.data],
        "every": every,
        "onePage": {"ids": [batch.id for batch in one_page.data], "hasMore": one_page.has_more},
        "final": final,
    }


def cancel(client, form):
    """Cancels a batch once some of its lines are done and others are still held by the upstream."""
    created = client.batches.create(input_file_id=upload(client).id, endpoint=endpoint_of(form), completion_window="24h", metadata={"scenario": "cancel"})
    running = wait(client, created.id, until=lambda batch: batch.request_counts is not None and batch.request_counts.completed > 0)
    cancelling = client.batches.cancel(created.id)
    done = wait(client, created.id)
    again = client.batches.cancel(created.id)
    return {
        "running": dump(running),
        "cancelling": dump(cancelling),
        "done": dump(done),
        "output": lines_of(download(client, done.output_file_id)),
        "errors": lines_of(download(client, done.error_file_id)),
        "again": dump(again),
    }


def validation(client, form):
    created = client.batches.create(input_file_id=upload(client).id, endpoint=endpoint_of(form), completion_window="24h")
    done = wait(client, created.id)
    return {"created": dump(created), "done": dump(done)}


def errors(client, form):
    """Error answers parse as the client's own exception types, with OpenAI's error body."""
    input_file_id = upload(client).id
    return {
        "unknownBatch": error_of(lambda: client.batches.retrieve("batch_nope")),
        "cancelUnknownBatch": error_of(lambda: client.batches.cancel("batch_nope")),
        "unknownFile": error_of(lambda: client.files.retrieve("file-nope")),
        "unknownFileContent": error_of(lambda: client.files.content("file-nope")),
        "unknownInputFile": error_of(lambda: client.batches.create(input_file_id="file-nope", endpoint=endpoint_of(form), completion_window="24h")),
        "badWindow": error_of(lambda: client.batches.create(input_file_id=input_file_id, endpoint=endpoint_of(form), completion_window="48h")),
        "badEndpoint": error_of(lambda: client.batches.create(input_file_id=input_file_id, endpoint="/v1/images", completion_window="24h")),
        "wrongKey": error_of(lambda: make_client(form, key="wrong-key").batches.list()),
    }


SCENARIOS = {"run": run, "list": list_batches, "cancel": cancel, "validation": validation, "errors": errors}

if __name__ == "__main__":
    scenario, form = sys.argv[1], sys.argv[2]
    outcome = SCENARIOS[scenario](make_client(form), form)
    outcome["requests"] = requests
    print(json.dumps(outcome))
