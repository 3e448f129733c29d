"""The one thing ClickHouse's s3() function cannot do: delete an object (compaction and expiry need it)."""

from __future__ import annotations

from urllib.parse import urlsplit

import boto3


def delete_object(url: str, key_id: str, secret: str) -> None:
    """Delete the object at an http(s)://host:port/bucket/key URL (absent objects are fine)."""
    parts = urlsplit(url)
    bucket, _, key = parts.path.lstrip("/").partition("/")
    client = boto3.client(
        "s3",
        endpoint_url=f"{parts.scheme}://{parts.netloc}",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name="us-east-1",
    )
    client.delete_object(Bucket=bucket, Key=key)
