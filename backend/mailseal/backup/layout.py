"""Where an embedded installation keeps what a backup holds, and the refusal for other installations."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from mailseal.config import Settings
from mailseal.errors import BackupRefused
from mailseal.storage.blobs.contract import check_name
from mailseal.storage.store import sqlite_path

DATABASE = "mailseal.sqlite"
BLOBS = "blobs"
KEYS = "keys"
RULES = "rules.toml"

NOT_EMBEDDED = ("this installation uses {what}: back it up with pg_dump (PostgreSQL) and the bucket's versioning"
                " (S3) instead, with the data folder's keys/ (see docs/backup.md)")


def embedded_paths(settings: Settings) -> tuple[Path, Path]:
    """The SQLite file and the blob folder, or a refusal naming what is not embedded."""
    database_url = settings.resolved_database_url
    blob_url = settings.resolved_blob_url
    remote = [name for name, url, scheme in (("PostgreSQL", database_url, "sqlite"), ("S3", blob_url, "file"))
              if urlsplit(url).scheme != scheme]
    if remote:
        raise BackupRefused(NOT_EMBEDDED.format(what=" and ".join(remote)))
    return sqlite_path(database_url), Path(unquote(urlsplit(blob_url).path))


def is_empty(path: Path) -> bool:
    """True for a folder that does not exist or holds nothing."""
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def blob_name(message_id: str) -> str:
    """An envelope's path inside a blob folder (the folder store's `<first two letters>/<id>.seal`)."""
    return f"{message_id[:2]}/{check_name(message_id)}.seal"
