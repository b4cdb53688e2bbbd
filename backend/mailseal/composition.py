"""The composition root: the one place where Mailseal's services are built, once, in order, typed.

    instance = await open_instance(settings)            # the `mailseal` commands: store, keys, blobs, flows
    services = await build_services(settings, ...)      # `mailseal serve` and the API tests: everything
    await services.start() … await services.close()

Nothing is changed after it is built: the push notifier reaches the message flows at construction, and
one `RulesFile` serves both the relay and the replies. The engine is chosen from `database_url` in
`storage.open_store`; the blob store from `blob_url` in `storage.blobs.open_blob_store`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mailseal.admin_tokens import AdminTokens
from mailseal.config import Settings
from mailseal.errors import MailsealError
from mailseal.identity import IdentityService, PasskeyService
from mailseal.identity.models import PasscodeSender
from mailseal.identity.oidc import FederatedSignIn, providers_from_settings
from mailseal.instance import DataFolder, load_or_create_secret
from mailseal.jobs import JobLimits, JobPool
from mailseal.keys import KeyRing, KeyService, open_key_ring
from mailseal.mail.branding import Branding
from mailseal.mail.compose import compose_passcode_mail
from mailseal.mail.dkim import with_dkim
from mailseal.mail.outbox import OutgoingMail, Transport, make_transport
from mailseal.messages import MessageDeps
from mailseal.messages.deps import NoNotifier, Notifier
from mailseal.messages.forward_addresses import ForwardAddresses
from mailseal.messages.inbox import SummaryCache
from mailseal.messages.inbox_cursor import InboxCursors
from mailseal.messages.outgoing import OutgoingSettings
from mailseal.messages.reply import Delivery
from mailseal.messages.view_cache import SealedViewCache
from mailseal.push import PushConfig, PushService, load_or_create_vapid
from mailseal.push.notifier import PushNotifier
from mailseal.rules import BUILTIN_TEMPLATES, RulesFile, Template
from mailseal.storage import Store, open_store
from mailseal.storage.blobs import BlobStore, open_blob_store

log = logging.getLogger("mailseal.composition")


@dataclass(frozen=True)
class Instance:
    """One installation opened: its data folder, store, key ring and key service, blobs, message flows."""

    settings: Settings
    folder: DataFolder
    store: Store
    ring: KeyRing
    keys: KeyService
    blobs: BlobStore
    secret: bytes
    messages: MessageDeps
    created_keys: bool = False

    async def close(self) -> None:
        """Close the store, then the key ring (a PKCS#11 ring logs out of its token)."""
        try:
            await self.store.close()
        finally:
            self.ring.close()


@dataclass(frozen=True)
class Services:
    """Everything `mailseal serve` runs, built once by `build_services`; what the API's handlers reach."""

    settings: Settings
    instance: Instance
    identity: IdentityService
    federated: FederatedSignIn
    passkeys: PasskeyService
    outbox: Transport
    push: PushService
    forward: ForwardAddresses
    admin_tokens: AdminTokens
    rules: RulesFile
    delivery: Delivery
    pwa_dir: Path
    manifest: Path
    jobs: JobPool
    cursors: InboxCursors
    summaries: SummaryCache = field(default_factory=SummaryCache)
    views: SealedViewCache = field(default_factory=lambda: SealedViewCache(0))

    async def start(self, *, queues: bool = True) -> None:
        """With `queues` (the worker part's), start the senders of the outbound mail and the push queues.

        Without them this process only writes to the queues; a `worker` process sends.
        """
        if queues:
            await self.outbox.start()
            await self.push.start()

    async def close(self) -> None:
        """Stop the workers, then close the store."""
        await self.push.stop()
        await self.outbox.stop()
        await self.federated.close()
        await self.jobs.close()
        await self.instance.close()


QUEUE_POLL_SECONDS = 30.0
WORKER_QUEUE_POLL_SECONDS = 1.0

# The modules whose functions run in the job pool, imported once by its forkserver.
JOB_MODULES = ("mailseal.messages.ingest", "mailseal.messages.read", "mailseal.messages.unpack")


@dataclass(frozen=True)
class _Core:
    """What every entry point opens first; the flows are built on it."""

    folder: DataFolder
    ring: KeyRing
    created_keys: bool
    secret: bytes
    blobs: BlobStore
    store: Store
    keys: KeyService

    async def close(self) -> None:
        try:
            await self.store.close()
        finally:
            self.ring.close()


async def _open_core(settings: Settings, *, create_keys: bool) -> _Core:
    folder = DataFolder(settings.data_path)
    folder.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The one place a key ring is opened, of the kind `key_store` names (a file ring is created on first use
    # unless `create_keys` is False; the other kinds are made by `mailseal keys init` or `keys migrate`).
    ring, created = open_key_ring(settings, folder.keys, create=create_keys)
    try:
        secret = load_or_create_secret(folder.secret)
        # The one place a blob store is chosen (a remote store stages envelopes in <data>/staging first).
        blobs = open_blob_store(settings.resolved_blob_url, staging=folder.root / "staging")
        store = await open_store(settings.resolved_database_url)
    except BaseException:
        ring.close()
        raise
    keys = KeyService(store, ring, audit_retention_days=settings.audit_retention_days)
    return _Core(folder, ring, created, secret, blobs, store, keys)


def _instance(settings: Settings, core: _Core, notifier: Notifier) -> Instance:
    messages = MessageDeps(
        store=core.store, keys=core.keys, blobs=core.blobs, issuer=settings.base_url,
        max_message_bytes=settings.max_message_bytes, notifier=notifier,
    )
    return Instance(settings, core.folder, core.store, core.ring, core.keys, core.blobs, core.secret, messages,
                    core.created_keys)


async def open_instance(settings: Settings, *, create_keys: bool = True) -> Instance:
    """Open the installation for a `mailseal` command: the key ring `key_store` names (a file ring is
    created on first use unless `create_keys` is False), server secret, store (migrated), blob store and
    the message flows (nobody to notify)."""
    return _instance(settings, await _open_core(settings, create_keys=create_keys), NoNotifier())


async def build_services(settings: Settings, *, pwa_dir: Path, manifest: Path) -> Services:
    """Build every service of a running server, each once. Call `start()` to run the workers."""
    core = await _open_core(settings, create_keys=True)
    try:
        return _build_services(settings, core, pwa_dir=pwa_dir, manifest=manifest)
    except BaseException:
        await core.close()
        raise


def _build_services(settings: Settings, core: _Core, *, pwa_dir: Path, manifest: Path) -> Services:
    if core.created_keys:
        log.info("created the organisation key ring at %s", core.ring.location)
    store = core.store
    # A worker role's queue hears of new mail only from the database (it was queued by another process).
    poll = WORKER_QUEUE_POLL_SECONDS if settings.role == "worker" else QUEUE_POLL_SECONDS
    outbox = with_dkim(make_transport(settings, store, outbox_path=core.folder.outbox, poll=poll), settings)
    identity = IdentityService(
        store,
        secret=core.secret,
        send_passcode=passcode_sender(settings, outbox),
        code_ttl_minutes=settings.code_ttl_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        session_absolute_hours=settings.session_absolute_hours,
        passcode_off_domains=settings.passcode_off_domains,
    )
    federated = FederatedSignIn(
        store, identity, providers_from_settings(settings), base_url=settings.base_url,
        allow_loopback=settings.oidc_allow_loopback,
    )
    push = PushService(store, load_or_create_vapid(core.folder.keys), PushConfig.from_settings(settings))
    rules = RulesFile(core.folder.rules)
    return Services(
        settings=settings,
        instance=_instance(settings, core, PushNotifier(push, identity.devices_for_addresses)),
        identity=identity,
        federated=federated,
        passkeys=PasskeyService(store, identity, secret=core.secret, base_url=settings.base_url,
                                rp_name=settings.org_name, enabled=settings.passkeys),
        outbox=outbox,
        push=push,
        forward=ForwardAddresses(store, settings.inbound_domain),
        admin_tokens=AdminTokens(store),
        rules=rules,
        delivery=Delivery(
            transport=outbox,
            settings=OutgoingSettings.of(settings),
            max_upload_bytes=settings.max_upload_bytes,
            templates=templates_of(rules),
        ),
        pwa_dir=pwa_dir,
        manifest=manifest,
        jobs=JobPool(JobLimits.from_settings(settings), preload=JOB_MODULES),
        cursors=InboxCursors(core.secret),
        views=SealedViewCache(settings.view_cache_mib * 1024 * 1024),
    )


def templates_of(rules: RulesFile) -> Callable[[str], Template | None]:
    """Templates by name from the rules in force; the built-in ones while the rules have never loaded."""

    def template(name: str) -> Template | None:
        try:
            return rules.current().templates.get(name)
        except MailsealError:  # rules that never loaded: the wrapper keeps the plain look
            return BUILTIN_TEMPLATES.get(name)

    return template


def passcode_sender(settings: Settings, transport: Transport) -> PasscodeSender:
    """How the identity room's passcode mails leave: composed with the organisation's branding, queued."""
    branding = Branding(org_name=settings.org_name)
    domain = settings.mail_from.rpartition("@")[2] or "localhost"

    async def send(address: str, code: str, reference: str, expires_minutes: int, language: str) -> None:
        message = compose_passcode_mail(
            branding=branding, mail_from=settings.mail_from, recipient=address, code=code,
            reference=reference, expires_minutes=expires_minutes, message_id_domain=domain, language=language,
        )
        await transport.deliver(OutgoingMail(mail_from=settings.mail_from, recipients=(address,), message=message))

    return send
