"""Sends a file through docbatch's Uploads API with the official Python `openai` client's
uploads.upload_file_chunked, reads it back, runs it as a batch, and tries a wrong md5 and a cancel.

Usage: openaiUpload.py
Reads DOCBATCH_URL, DOCBATCH_KEY, INPUT (the file), PART_SIZE (bytes per part) from the environment.
Prints what the client saw as one JSON line; the test asserts on it.
"""
import hashlib
import json
import os
import time
from pathlib import Path

import httpx2
import openai
from openai import OpenAI

URL = os.environ["DOCBATCH_URL"]
KEY = os.environ["DOCBATCH_KEY"]
INPUT = Path(os.environ["INPUT"])
PART_SIZE = int(os.environ["PART_SIZE"])
FINAL = {"completed", "failed", "expired", "cancelled"}

part_bodies = []


def record(request):
    if request.url.path.endswith("/parts"):
        part_bodies.append(int(request.headers.get("content-length", "-1")))


client = OpenAI(base_url=f"{URL}/v1", api_key=KEY, max_retries=0, http_client=httpx2.Client(event_hooks={"request": [record]}))
content = INPUT.read_bytes()
md5 = hashlib.md5(content).hexdigest()

upload = client.uploads.upload_file_chunked(file=INPUT, mime_type="application/jsonl", purpose="batch", part_size=PART_SIZE, md5=md5)
first_parts = list(part_bodies)
downloaded = client.files.content(upload.file.id).read()

batch = client.batches.create(input_file_id=upload.file.id, endpoint="/v1/chat/completions", completion_window="24h")
deadline = time.time() + 90
while batch.status not in FINAL and time.time() < deadline:
    time.sleep(0.2)
    batch = client.batches.retrieve(batch.id)
output = client.files.content(batch.output_file_id).text if batch.output_file_id else ""

wrong = None
try:
    client.uploads.upload_file_chunked(file=INPUT, mime_type="application/jsonl", purpose="batch", part_size=PART_SIZE, md5="0" * 32)
except openai.BadRequestError as error:
    wrong = {"status": error.status_code, "code": error.code, "param": error.param}

pending = client.uploads.create(bytes=3, filename="c.jsonl", mime_type="application/jsonl", purpose="batch")
client.uploads.parts.create(upload_id=pending.id, data=b"abc")
cancelled = client.uploads.cancel(pending.id)
late = None
try:
    client.uploads.parts.create(upload_id=pending.id, data=b"abc")
except openai.BadRequestError as error:
    late = {"status": error.status_code, "code": error.code}

print(json.dumps({
    "upload": upload.model_dump(),
    "sameBytes": downloaded == content,
    "partBodies": first_parts,
    "batch": batch.model_dump(),
    "outputLines": len([line for line in output.split("\n") if line]),
    "wrongMd5": wrong,
    "cancelled": cancelled.model_dump(),
    "late": late,
}))
