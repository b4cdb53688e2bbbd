"""The engine dimension of the integration tests: a test marked `engines` really runs on each engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailseal.storage.blobs.folder import FolderBlobStore
from mailseal.storage.blobs.s3 import S3BlobStore
from support.mail_listeners import mail_stack
from support.mailseal_app import running_app


@pytest.mark.engines
async def test_the_app_and_the_mail_stack_use_the_engine_of_the_run(storage_engine: str, tmp_path: Path) -> None:
    blob_store = FolderBlobStore if storage_engine == "sqlite" else S3BlobStore
    async with running_app(tmp_path / "app") as app:
        assert app.services.instance.store.engine.dialect == storage_engine
        assert isinstance(app.services.instance.blobs, blob_store)
    async with mail_stack(tmp_path / "stack") as stack:
        assert stack.instance.store.engine.dialect == storage_engine
        assert isinstance(stack.instance.blobs, blob_store)
