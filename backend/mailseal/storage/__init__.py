"""Persistence: one store over an engine (SQLite by default, or PostgreSQL), repositories per aggregate.

The rooms above ask repositories (`store.seals.get(id)`) and never write SQL; they do not know which
engine runs underneath. The blob store of sealed envelopes is a separate contract (`storage.blobs`).
"""

from mailseal.storage.repositories.admin_tokens import AdminToken
from mailseal.storage.repositories.audit import AuditEntry
from mailseal.storage.repositories.codes import PendingCode
from mailseal.storage.repositories.devices import DeviceRow
from mailseal.storage.repositories.envelopes import InboxRow, ThreadEntry, ThreadState
from mailseal.storage.repositories.limits import RateEvents
from mailseal.storage.repositories.mail_queue import ClaimedMail, FailedMail, QueueDepth, QueuedMail
from mailseal.storage.repositories.push_queue import PushQueued, QueuedPush
from mailseal.storage.repositories.push_subscriptions import EndpointHolder, Subscription
from mailseal.storage.repositories.seals import LiveWrappedKey, NewSeal, SealRecord, StoredSeal
from mailseal.storage.repositories.sessions import SessionRow, SessionWithAddresses
from mailseal.storage.store import Store, Transaction, open_store, sqlite_url

__all__ = [
    "AdminToken",
    "AuditEntry",
    "ClaimedMail",
    "DeviceRow",
    "EndpointHolder",
    "FailedMail",
    "InboxRow",
    "LiveWrappedKey",
    "NewSeal",
    "PendingCode",
    "PushQueued",
    "QueueDepth",
    "QueuedMail",
    "QueuedPush",
    "RateEvents",
    "SealRecord",
    "SessionRow",
    "SessionWithAddresses",
    "Store",
    "StoredSeal",
    "Subscription",
    "ThreadEntry",
    "ThreadState",
    "Transaction",
    "open_store",
    "sqlite_url",
]
