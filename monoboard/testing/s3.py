"""A throwaway S3-compatible server (moto) on loopback, for tests.

``s3_server()`` starts moto's standalone server in a thread on a free
127.0.0.1 port and stops it on exit; ``storages_for()`` gives the
``STORAGES`` setting that points Django's default storage at a bucket on it,
the same shape monoboard/settings.py builds from ``STORAGE_S3_*``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from monoboard.lib.ports import free_port, wait_for_port

ACCESS_KEY = "testing"
SECRET_KEY = "testing-secret"  # noqa: S105  # moto accepts any pair
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self) -> str:
        name = f"monoboard-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=name)
        return name


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server.start()
    try:
        wait_for_port("127.0.0.1", port, timeout=20.0)
        yield S3Server(endpoint_url=f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def storages_for(
    server: S3Server, bucket: str, current: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """``current`` with the default storage moved to ``bucket`` on ``server``."""
    return {
        **current,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": server.endpoint_url,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "region_name": REGION,
                "addressing_style": "path",
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 60,
                "file_overwrite": False,
            },
        },
    }
