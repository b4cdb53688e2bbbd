"""Blob stores: where sealed envelopes rest. One contract (`BlobStore`), two stores, chosen by URL.

- `file:///abs/path` — a folder on this machine (the default, `<data>/blobs`): `FolderBlobStore`.
- `s3://bucket/prefix?endpoint=https://…&region=…` — an S3-compatible bucket: `S3BlobStore`.
  Credentials come from the usual `AWS_*` environment variables; `endpoint` may be left out for AWS.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from mailseal.errors import ConfigError
from mailseal.storage.blobs.contract import BlobStore, check_name
from mailseal.storage.blobs.folder import FolderBlobStore

if TYPE_CHECKING:
    from obstore.store import S3Config  # in the type stubs only

__all__ = ["BlobStore", "FolderBlobStore", "check_name", "off_loop", "open_blob_store"]

_S3_OPTIONS = frozenset({"endpoint", "region"})

P = ParamSpec("P")
T = TypeVar("T")


def open_blob_store(url: str, *, staging: Path | None = None) -> BlobStore:
    """The store a blob URL names. `staging` is the local folder where a remote store's envelopes are
    written before upload (default: the system's temporary folder); a folder store stages in itself."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query:
            raise ConfigError("A file: blob URL is file:///absolute/path")
        path = Path(unquote(parts.path))
        if not path.is_absolute():
            raise ConfigError("A file: blob URL needs an absolute path")
        return FolderBlobStore(path)
    if parts.scheme == "s3":
        return _s3_store(parts.netloc, unquote(parts.path).strip("/"), parts.query, staging)
    raise ConfigError("The blob URL must start with file:// or s3://")


def _s3_store(bucket: str, prefix: str, query: str, staging: Path | None) -> BlobStore:
    from obstore.store import S3Store

    from mailseal.storage.blobs.s3 import S3BlobStore

    if not bucket:
        raise ConfigError("An s3: blob URL names its bucket: s3://bucket/prefix")
    options = {name: values[-1] for name, values in parse_qs(query, strict_parsing=bool(query)).items()}
    unknown = set(options) - _S3_OPTIONS
    if unknown:
        raise ConfigError(f"Unknown option in the s3: blob URL: {', '.join(sorted(unknown))}")
    endpoint = options.get("endpoint")
    # Only what the URL names: obstore takes a missing endpoint or region from AWS's defaults and the
    # AWS_* variables, and refuses an explicit None.
    config: S3Config = {}
    if endpoint:
        config["endpoint"] = endpoint
    if region := options.get("region"):
        config["region"] = region
    store = S3Store(
        bucket,
        prefix=prefix or None,
        config=config,
        client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
        retry_config={"max_retries": 3},
    )
    return S3BlobStore(store, staging=staging or Path(tempfile.gettempdir()) / "mailseal-staging")


async def off_loop(store: BlobStore, call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking call on `store` from async code: inline for a local store (a stat or a page-cache
    read costs less than a thread hop), in a worker thread for a remote one (a network round trip)."""
    if store.local:
        return call(*args, **kwargs)
    return await asyncio.to_thread(call, *args, **kwargs)
