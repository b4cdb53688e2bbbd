"""Persistence: one store over an engine (SQLite by default, or PostgreSQL), repositories per aggregate.

The rooms above ask repositories (`store.seals.get(id)`) and never write SQL; they do not know which
engine runs underneath. The blob store of sealed envelopes is a separate contract (`storage.blobs`).
"""

from mailseal.storage.repositories.admin_tokens import AdminToken
from mailseal.storage.repositories.audit import AuditEntry
from mailseal.storage.repositories.envelopes import InboxRow, ThreadEntry
from mailseal.storage.repositories.mail_queue import ClaimedMail, FailedMail, QueuedMail
from mailseal.storage.repositories.seals import NewSeal, SealRecord
from mailseal.storage.store import Store, Transaction, open_store, sqlite_url

__all__ = [
    "AdminToken",
    "AuditEntry",
    "ClaimedMail",
    "FailedMail",
    "InboxRow",
    "NewSeal",
    "QueuedMail",
    "SealRecord",
    "Store",
    "ThreadEntry",
    "Transaction",
    "open_store",
    "sqlite_url",
]
