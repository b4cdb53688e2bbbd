"""Persistence: one store over an engine (SQLite by default, or PostgreSQL), repositories per aggregate.

The rooms above ask repositories (`store.seals.get(id)`) and never write SQL; they do not know which
engine runs underneath. The blob store of sealed envelopes is a separate contract (`storage.blobs`).
"""

from mailseal.storage.repositories.access_log import AccessRow, Delivery, HeldMessage, Opens
from mailseal.storage.repositories.admin_tokens import AdminToken
from mailseal.storage.repositories.audit import KEPT_FOREVER, AuditEntry
from mailseal.storage.repositories.codes import PendingCode
from mailseal.storage.repositories.devices import DeviceRow
from mailseal.storage.repositories.envelopes import InboxCounts, InboxPosition, InboxRow, ThreadEntry, ThreadState
from mailseal.storage.repositories.limits import RateEvents
from mailseal.storage.repositories.mail_queue import ClaimedMail, FailedMail, QueueDepth, QueuedMail
from mailseal.storage.repositories.passkeys import ChallengeRow, PasskeyRow
from mailseal.storage.repositories.push_queue import PushQueued, QueuedPush
from mailseal.storage.repositories.push_subscriptions import EndpointHolder, Subscription
from mailseal.storage.repositories.seals import LiveWrappedKey, NewSeal, SealRecord, StoredSeal
from mailseal.storage.repositories.sessions import SessionRow, SessionWithAddresses
from mailseal.storage.repositories.sign_in_flows import SignInFlow
from mailseal.storage.store import Store, Transaction, open_store, sqlite_url

__all__ = [
    "KEPT_FOREVER",
    "AccessRow",
    "AdminToken",
    "AuditEntry",
    "ChallengeRow",
    "ClaimedMail",
    "Delivery",
    "DeviceRow",
    "EndpointHolder",
    "FailedMail",
    "HeldMessage",
    "InboxCounts",
    "InboxPosition",
    "InboxRow",
    "LiveWrappedKey",
    "NewSeal",
    "Opens",
    "PasskeyRow",
    "PendingCode",
    "PushQueued",
    "QueueDepth",
    "QueuedMail",
    "QueuedPush",
    "RateEvents",
    "SealRecord",
    "SessionRow",
    "SessionWithAddresses",
    "SignInFlow",
    "Store",
    "StoredSeal",
    "Subscription",
    "ThreadEntry",
    "ThreadState",
    "Transaction",
    "open_store",
    "sqlite_url",
]
