"""Sealing on both blob stores: a seal whose database transaction fails leaves no envelope behind."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from mailseal.composition import Instance, open_instance
from mailseal.messages.protect import protect
from mailseal.templates import policy_for
from support.mailseal_app import make_settings, simple_mail


@pytest.fixture(params=["folder", "s3"])
def blob_url(request: pytest.FixtureRequest) -> str:
    return "" if request.param == "folder" else str(request.getfixturevalue("s3_blob_url"))


async def seal(instance: Instance) -> str:
    policy = policy_for("encrypt-only", expires_days=None, now=time.time())
    sealed = await protect(instance.messages, io.BytesIO(simple_mail()), sender="alice@example.org",
                           recipients=["bob@gmail.com"], policy=policy, actor="test")
    return sealed.message_id


async def test_sealed_envelope_is_stored_and_found(tmp_path: Path, blob_url: str) -> None:
    instance = await open_instance(make_settings(tmp_path / "data", blob_url=blob_url))
    try:
        message_id = await seal(instance)
        assert instance.blobs.exists(message_id)
        assert await instance.store.envelopes.held_by(message_id, ["bob@gmail.com"]) == 1
    finally:
        await instance.close()


async def test_a_failed_transaction_removes_the_stored_envelope(tmp_path: Path, blob_url: str) -> None:
    instance = await open_instance(make_settings(tmp_path / "data", blob_url=blob_url))
    stored: list[str] = []
    commit = instance.blobs.commit

    def remembering_commit(staged: Path, message_id: str) -> None:
        commit(staged, message_id)
        stored.append(message_id)

    instance.messages.blobs.commit = remembering_commit  # type: ignore[method-assign]
    await instance.store.close()  # the envelope is stored first; the transaction then fails
    with pytest.raises(ValueError, match="no active connection"):
        await seal(instance)
    [message_id] = stored
    assert not instance.blobs.exists(message_id)
