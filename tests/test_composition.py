"""The composition root: every service built once, nothing changed afterwards, engines and stores from URLs."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import pytest

from mailseal import cli
from mailseal.api.app import default_manifest, default_pwa_dir
from mailseal.composition import build_services, open_blob_store
from mailseal.config import Settings
from mailseal.errors import ConfigError
from mailseal.push.notifier import PushNotifier
from mailseal.rules import rules_file
from mailseal.storage import open_store
from mailseal.storage.store import sqlite_path
from support.mailseal_app import running_app, simple_mail


async def test_services_are_built_whole_and_frozen(tmp_path: Path) -> None:
    services = await build_services(Settings(data=str(tmp_path), public_url="https://mailseal.test"),
                                    pwa_dir=default_pwa_dir(), manifest=default_manifest())
    try:
        # The flows tell push of new mail from the start: nothing is wired in after construction.
        assert isinstance(services.instance.messages.notifier, PushNotifier)
        assert services.instance.messages.store is services.instance.store is services.instance.keys.store
        assert services.delivery.transport is services.outbox
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.push = None  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.instance.messages.notifier = None  # type: ignore[misc]
    finally:
        await services.close()


async def test_one_rules_file_serves_the_relay_and_the_replies(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []
    original = rules_file.RulesFile.__init__

    def counting(self: rules_file.RulesFile, path: Path) -> None:
        made.append(Path(path))
        original(self, path)

    monkeypatch.setattr(rules_file.RulesFile, "__init__", counting)
    async with running_app(data_dir) as app:
        sealed = await app.seal(simple_mail(), sender="alice@example.org", recipients=["bob@gmail.com"])
        await app.sign_in("bob@gmail.com")
        parts = [("body", (None, "Thanks")), ("replyAll", (None, ""))]
        answered = await app.post(f"/api/messages/{sealed.message_id}/reply", files=parts)
        assert answered.status_code == 201, answered.text
    assert made == [data_dir.resolve() / "rules.toml"]


def test_the_database_and_blob_urls_default_to_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data=str(tmp_path))
    assert settings.resolved_database_url == f"sqlite://{tmp_path.resolve()}/mailseal.sqlite"  # sqlite:///tmp/…
    assert sqlite_path(settings.resolved_database_url) == tmp_path.resolve() / "mailseal.sqlite"
    assert sqlite_path("sqlite:////srv/my%20db.sqlite") == Path("/srv/my db.sqlite")  # SQLAlchemy's four slashes
    assert settings.resolved_blob_url == f"file://{tmp_path.resolve()}/blobs"
    assert open_blob_store(settings.resolved_blob_url).root == tmp_path.resolve() / "blobs"
    elsewhere = Settings(data=str(tmp_path), database_url="sqlite:////srv/db.sqlite", blob_url="file:///srv/b")
    assert elsewhere.resolved_database_url == "sqlite:////srv/db.sqlite"
    assert elsewhere.resolved_blob_url == "file:///srv/b"


@pytest.mark.parametrize(
    "url", ["s3:///prefix", "s3://b/p?color=red", "file://host/blobs", "file:relative", "/just/a/path"]
)
def test_a_blob_url_no_store_serves_is_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        open_blob_store(url)


def test_an_aws_bucket_needs_no_endpoint_or_region_in_its_url() -> None:
    from mailseal.storage.blobs.s3 import S3BlobStore

    assert isinstance(open_blob_store("s3://bucket/prefix"), S3BlobStore)


@pytest.mark.parametrize("url", ["mysql://db/x", "sqlite://host/x.sqlite", "sqlite:relative.sqlite", "x"])
async def test_a_database_url_no_engine_serves_is_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        await open_store(url)


async def test_the_commands_use_the_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data, database = tmp_path / "data", tmp_path / "elsewhere" / "db.sqlite"
    monkeypatch.setenv("MAILSEAL_DATABASE_URL", f"sqlite:///{database}")
    assert await asyncio.to_thread(cli.main, ["--data", str(data), "admin", "token", "--name", "ci"]) == 0
    capsys.readouterr()
    assert database.is_file() and not (data / "mailseal.sqlite").exists()


def test_config_hides_the_database_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILSEAL_DATABASE_URL", "postgresql://mailseal:hunter2@db.example.org/mailseal")
    assert cli.main(["--data", str(tmp_path), "config"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["database_url"] == "postgresql://mailseal:***@db.example.org/mailseal"
