"""Backups of an embedded installation: `take_backup` (a consistent snapshot of a running server) and
`restore_backup` (into an empty data folder, after checking every file against the manifest).

See docs/backup.md for what is in a backup, and what an operator must do about revocations after a restore.
"""

from mailseal.backup.manifest import Manifest
from mailseal.backup.restore import RestoreResult, restore_backup
from mailseal.backup.revocations import read_revocations
from mailseal.backup.take import BackupResult, take_backup

__all__ = ["BackupResult", "Manifest", "RestoreResult", "read_revocations", "restore_backup", "take_backup"]
