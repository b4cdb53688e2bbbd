"""The `mailseal` command: keys, protect, open, revoke, audit, serve, config, rules, migrate, admin, backup,
restore."""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

from mailseal import __version__
from mailseal import format as fmt
from mailseal.backup.commands import COMMANDS as BACKUP_COMMANDS
from mailseal.backup.commands import add_backup_commands, run_backup_command
from mailseal.composition import open_instance
from mailseal.config import Settings, load_settings_with_sources
from mailseal.errors import (
    DamagedEnvelope,
    InputError,
    InvalidAddress,
    MailsealError,
    MessageRevoked,
    NotFound,
    SettingError,
    UnknownKey,
)
from mailseal.instance import DataFolder
from mailseal.keys import KEY_STORE_KINDS, Identity, KeyStoreKind, init_key_ring, migrate_key_ring, open_key_ring
from mailseal.mail.addresses import normalise_address
from mailseal.mail.message_page import message_page_head
from mailseal.messages.protect import protect
from mailseal.output_file import discard_output, is_standard_output, write_output
from mailseal.private_data import keep_data_private
from mailseal.templates import policy_for

# Exit statuses (the README lists them): done; refused or failed; wrong usage or an unknown id; nothing to do.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_FOUND = 2
EXIT_NOTHING_TO_DO = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailseal", description="Protected e-mail, self-hosted.")
    parser.add_argument("--data", help="data folder (MAILSEAL_DATA, default ./var)")
    parser.add_argument("--version", action="version", version=f"mailseal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    keys = sub.add_parser("keys", help="organisation keys").add_subparsers(dest="keys_command", required=True)
    ki = keys.add_parser("init", help="create the key ring (once)")
    ki.add_argument("--store", choices=KEY_STORE_KINDS, help="the kind of key ring (default: the key_store setting)")
    keys.add_parser("rotate", help="add a new key; new seals use it, old messages still open")
    keys.add_parser("list", help="list key ids and the kind of key ring")
    km = keys.add_parser("migrate", help="move the key ring to another kind; every message still opens")
    km.add_argument("--to", required=True, choices=("passphrase", "pkcs11"), help="the kind to move to")

    p = sub.add_parser("protect", help="seal a message for its recipients")
    p.add_argument("message", type=Path, help="the RFC 5322 message (.eml)")
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", dest="recipients", action="append", required=True)
    p.add_argument("--template", default="encrypt-only")
    p.add_argument("--expires-days", type=int)
    p.add_argument("-o", "--output", type=Path, required=True, help="message.html to write (- for stdout)")

    o = sub.add_parser("open", help="open a sealed message as an audited administrator's open")
    o.add_argument("envelope", type=Path, help="message.html or a raw envelope")
    o.add_argument("--as", dest="address", required=True, help="the recipient on whose behalf to open")
    o.add_argument("-o", "--output", type=Path, required=True, help="the .eml to write (- for stdout)")

    r = sub.add_parser("revoke", help="revoke a message: every copy becomes unreadable")
    r.add_argument("message_id")

    a = sub.add_parser("audit", help="print the audit trail")
    a.add_argument("message_id", nargs="?")
    a.add_argument("--json", action="store_true")
    a.add_argument("--export", metavar="FILE",
                   help="write the whole trail (or what follows --after-id) as JSON Lines with a SHA-256, - for stdout")
    a.add_argument("--after-id", type=int, default=0, help="with --export: only rows after this id")

    s = sub.add_parser("serve", help="run the web app, the SMTP listeners and the queues (or one role of them)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--dev", action="store_true", default=None, help="development mode (/dev/outbox)")
    s.add_argument("--relay-port", type=int)
    s.add_argument("--inbound-port", type=int)
    s.add_argument("--role", choices=("all", "web", "smtp", "worker"),
                   help="what this process runs: all (default), web, smtp or worker")
    s.add_argument("--workers", type=int, dest="web_workers", help="HTTP worker processes (role web)")

    sub.add_parser("config", help="print the effective settings (secrets hidden)")

    rules = sub.add_parser("rules", help="mail flow rules").add_subparsers(dest="rules_command", required=True)
    rt = rules.add_parser("test", help="which rule matches a message and what would happen (nothing is sent)")
    rt.add_argument("message", type=Path, help="the RFC 5322 message (.eml)")
    rt.add_argument("--from", dest="sender", help="envelope sender (default: the From header)")
    rt.add_argument("--to", dest="recipients", action="append", help="envelope recipient (default: To, Cc, Bcc)")
    ri = rules.add_parser("init", help="write the example rules file to <data>/rules.toml")
    ri.add_argument("--force", action="store_true", help="replace an existing rules file")

    m = sub.add_parser("migrate", help="copy this installation (SQLite + blob folder) to PostgreSQL + S3; "
                                       "stop mailseal serve first")
    m.add_argument("--to-database", required=True, help="postgresql://… (an empty database, or this one's copy)")
    m.add_argument("--to-blobs", required=True, help="s3://bucket/prefix?endpoint=…&region=… (or file:///…)")
    m.add_argument("--batch-rows", type=int, default=500, help="rows per transaction (default 500, at most 2000)")

    admin = sub.add_parser("admin", help="the admin API").add_subparsers(dest="admin_command", required=True)
    at = admin.add_parser("token", help="create an admin API token (printed once)")
    at.add_argument("--name", default="admin", help="a name for the audit trail")
    add_backup_commands(sub)
    return parser


def _use_kind_hint(settings: Settings, kind: str) -> None:
    if settings.key_store != kind:
        print(f"mailseal: now set key_store = {kind!r} (mailseal.toml or MAILSEAL_KEY_STORE) so that Mailseal uses"
              " this key ring", file=sys.stderr)


async def _keys(settings: Settings, args: argparse.Namespace) -> int:
    folder = DataFolder(settings.data_path)
    command = args.keys_command
    if command == "init":
        kind = cast(KeyStoreKind, args.store or settings.key_store)
        ring, created = init_key_ring(settings, folder.keys, kind)
        print(f"{'created' if created else 'already exists'}: {kind} key ring, {ring.location}"
              f" (current key {ring.current_id()})")
        ring.close()
        _use_kind_hint(settings, kind)
        return 0
    if command == "migrate":
        instance = await open_instance(settings, create_keys=False)
        try:
            ring, moved = await migrate_key_ring(settings, instance.folder.keys, instance.keys, args.to,
                                                 actor=f"cli:{os.environ.get('USER', 'admin')}")
        finally:
            await instance.close()
        print(f"moved to a {ring.kind} key ring, {ring.location}: current key {ring.current_id()};"
              f" {moved} content key(s) re-wrapped")
        ring.close()
        _use_kind_hint(settings, args.to)
        return 0
    ring, _ = open_key_ring(settings, folder.keys)
    try:
        if command == "rotate":
            key_id = ring.rotate()
            print(f"new current key {key_id}; {len(ring.ids) - 1} older key(s) kept for older messages")
        else:
            print(f"{ring.kind} key ring: {ring.location}", file=sys.stderr)
            current = ring.current_id()
            for key_id in ring.ids:
                print(f"{key_id}  (current: new seals use it)" if key_id == current else key_id)
    finally:
        ring.close()
    return 0


def _address(flag: str, text: str) -> str:
    try:
        return normalise_address(text)
    except InvalidAddress:
        raise InvalidAddress(f"{flag} {text!r} is not an e-mail address") from None


async def _protect(settings: Settings, args: argparse.Namespace) -> int:
    sender = _address("--from", args.sender)
    recipients = [_address("--to", recipient) for recipient in args.recipients]
    policy = policy_for(args.template, expires_days=args.expires_days, now=time.time())
    written = False

    def write_page(envelope: BinaryIO, message_id: str) -> None:
        nonlocal written
        view_url = f"{settings.base_url}/m/{message_id}"
        head = message_page_head(languages=settings.mail_languages, view_url=view_url, org_name=settings.org_name,
                                 sender=sender)
        write_output(args.output, lambda out: fmt.armor(envelope, out, head=head))
        written = True

    instance = await open_instance(settings)
    try:
        with open(args.message, "rb") as source:
            sealed = await protect(
                instance.messages, source, sender=sender, recipients=recipients, policy=policy,
                actor=f"cli:{os.environ.get('USER', 'admin')}", before_commit=write_page,
            )
    except BaseException:
        if written:  # the page points to a message that was not kept
            discard_output(args.output)
        raise
    finally:
        await instance.close()
    print(sealed.message_id, file=sys.stderr if is_standard_output(args.output) else sys.stdout)
    return 0


async def _open(settings: Settings, args: argparse.Namespace) -> int:
    address = _address("--as", args.address)
    instance = await open_instance(settings, create_keys=False)
    identity = Identity(addresses=(address,), actor=f"admin-for:{address}")
    try:
        with tempfile.TemporaryFile() as binary, open(args.envelope, "rb") as source:
            kind = fmt.sniff(source.read(64))
            source.seek(0)
            if kind == "armored":
                fmt.dearmor(source, binary)
            elif kind == "binary":
                while block := source.read(1 << 20):
                    binary.write(block)
            else:
                raise InputError("not a Mailseal message (neither message.html nor a raw envelope)")
            binary.seek(0)
            header = fmt.read_header(binary)
            record = await instance.keys.record(header.id)
            binary.seek(0)
            if not hmac.compare_digest(fmt.header_fingerprint(binary), record.header_fingerprint):
                raise DamagedEnvelope()
            key = await instance.keys.unwrap(header.id, identity, purpose="open")
            binary.seek(0)
            opened = fmt.open_envelope(binary, key.key)

            def write(out: Any) -> None:
                for piece in opened.iter_plaintext():
                    out.write(piece)

            write_output(args.output, write)
    finally:
        await instance.close()
    return 0


async def _revoke(settings: Settings, message_id: str) -> int:
    message_id = message_id.strip().lower()
    instance = await open_instance(settings, create_keys=False)
    try:
        try:
            before = await instance.keys.record(message_id)
        except UnknownKey:
            raise NotFound(f"no message {message_id} was sealed here") from None
        if before.revoked_at is not None:
            when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(before.revoked_at))
            print(f"mailseal: {message_id} was already revoked at {when}; nothing changed [{MessageRevoked.code}]",
                  file=sys.stderr)
            return EXIT_NOTHING_TO_DO
        record = await instance.keys.revoke(message_id, actor=f"cli:{os.environ.get('USER', 'admin')}")
    finally:
        await instance.close()
    print(f"revoked {record.message_id}: its content key is destroyed; every copy is now unreadable")
    return EXIT_OK


async def _audit_export(settings: Settings, target: str, after_id: int) -> int:
    from mailseal.keys.audit_export import ExportSummary, export_to, page_reader

    instance = await open_instance(settings, create_keys=False)
    try:
        next_page = page_reader(instance.store, asyncio.get_running_loop())
        done: list[ExportSummary] = []

        def write(out: BinaryIO) -> None:
            done.append(export_to(out, next_page, after_id=after_id, now=int(time.time())))

        await asyncio.to_thread(write_output, target, write)
    finally:
        await instance.close()
    summary = done[0]
    span = f"ids {summary.first_id}-{summary.last_id}" if summary.rows else "nothing new"
    print(f"exported {summary.rows} audit rows ({span}), sha256 {summary.sha256}; "
          f"next time: --after-id {summary.last_id or after_id}", file=sys.stderr)
    return EXIT_OK


async def _audit(settings: Settings, message_id: str | None, as_json: bool) -> int:
    instance = await open_instance(settings, create_keys=False)
    try:
        entries = await instance.keys.audit(message_id)
    finally:
        await instance.close()
    for entry in entries:
        if as_json:
            print(json.dumps({f: getattr(entry, f) for f in entry.__struct_fields__}))
        else:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(entry.at))
            target = entry.message_id or "-"
            print(f"{when}Z  {entry.action:<8} {target:<26}  {entry.actor}  {entry.outcome}  {entry.detail}")
    return 0


def _rules_test(settings: Settings, args: argparse.Namespace) -> int:
    from mailseal.messages.outgoing import decide, envelope_from_headers
    from mailseal.rules import RulesFile, explain

    raw = args.message.read_bytes()
    sender, recipients = envelope_from_headers(raw)
    decision = decide(RulesFile(DataFolder(settings.data_path).rules).current(), raw,
                      mail_from=args.sender or sender, recipients=tuple(args.recipients or recipients),
                      org_domains=settings.org_domains)
    print(explain(decision), end="")
    return 0


def _rules_init(settings: Settings, force: bool) -> int:
    from mailseal.rules import example_rules_text

    path = DataFolder(settings.data_path).rules
    if path.exists() and not force:
        print(f"mailseal: {path} exists (use --force to replace it)", file=sys.stderr)
        return 1
    write_output(path, lambda out: out.write(example_rules_text().encode("utf-8")))
    print(f"wrote {path}")
    return 0


async def _admin_token(settings: Settings, name: str) -> int:
    from mailseal.admin_tokens import AdminTokens
    from mailseal.storage import open_store

    store = await open_store(settings.resolved_database_url)
    try:
        token, _ = await AdminTokens(store).create(name)
    finally:
        await store.close()
    print(token)
    print("Keep it safe: it is shown only this once. Use it as 'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


async def _migrate(settings: Settings, to_database: str, to_blobs: str, batch_rows: int) -> int:
    from mailseal.config import redact_url
    from mailseal.keys.stores import ring_file
    from mailseal.storage.blobs import open_blob_store
    from mailseal.storage.migrate import migrate

    folder = DataFolder(settings.data_path)
    source, target = settings.resolved_database_url, redact_url(to_database)
    print(f"migrating {source} + {settings.resolved_blob_url}\n       to {target} + {to_blobs}", flush=True)
    print("the SQLite database stays locked for writing until the copy ends", flush=True)
    report = await migrate(
        source_database=source, source_blobs=open_blob_store(settings.resolved_blob_url),
        target_database=to_database, target_blobs=open_blob_store(to_blobs, staging=folder.root / "staging"),
        progress=lambda line: print(line, flush=True), batch_rows=batch_rows,
    )
    print(f"\n{'table':<20} {'rows':>8} {'copied':>8} {'there':>8}")
    for table in report.tables:
        print(f"{table.name:<20} {table.rows:>8} {table.copied:>8} {table.rows - table.copied:>8}")
    blobs = report.blobs
    print(f"envelopes: {blobs.total} ({blobs.bytes / 1048576:.1f} MiB): {blobs.copied} copied, {blobs.skipped} "
          f"there already, {blobs.verified} verified by SHA-256")
    if report.destroyed_keys:
        print(f"keys destroyed in the target since an earlier run: {report.destroyed_keys}")
    print(f"every row count and row verified; done in {report.seconds:.1f} s")
    ring = ring_file(folder.keys, cast(KeyStoreKind, settings.key_store))
    print(f"\nThe key ring stays where it is: a {settings.key_store} key ring, {ring} (and the server secret "
          f"{folder.secret}).")
    print(f"Keep {folder.keys} and point the new installation at it (MAILSEAL_DATA={folder.root}, the same "
          "key_store settings), then set:")
    print(f"  MAILSEAL_DATABASE_URL={target}\n  MAILSEAL_BLOB_URL={to_blobs}")
    return EXIT_OK


def _serve(settings: Settings) -> int:
    from mailseal.server import run

    return run(settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sources: dict[str, str] = {}
    try:
        overrides: dict[str, Any] = {"data": args.data}
        if args.command == "serve":
            overrides.update(host=args.host, port=args.port, dev=args.dev,
                             relay_port=args.relay_port, inbound_port=args.inbound_port, role=args.role,
                             web_workers=args.web_workers)
        settings, sources = load_settings_with_sources(**overrides)
        if args.command != "serve" and (warning := keep_data_private(settings.data_path)):
            print(f"mailseal: warning: {warning}", file=sys.stderr)
        if args.command == "keys":
            return asyncio.run(_keys(settings, args))
        if args.command == "protect":
            return asyncio.run(_protect(settings, args))
        if args.command == "open":
            return asyncio.run(_open(settings, args))
        if args.command == "revoke":
            return asyncio.run(_revoke(settings, args.message_id))
        if args.command == "audit":
            if args.export:
                return asyncio.run(_audit_export(settings, args.export, args.after_id))
            return asyncio.run(_audit(settings, args.message_id, args.json))
        if args.command == "rules" and args.rules_command == "test":
            return _rules_test(settings, args)
        if args.command == "rules":
            return _rules_init(settings, args.force)
        if args.command == "migrate":
            return asyncio.run(_migrate(settings, args.to_database, args.to_blobs, args.batch_rows))
        if args.command == "admin":
            return asyncio.run(_admin_token(settings, args.name))
        if args.command in BACKUP_COMMANDS:
            return asyncio.run(run_backup_command(settings, args))
        if args.command == "config":
            print(json.dumps(settings.redacted(), indent=2, default=str))
            return 0
        if args.command == "serve":
            return _serve(settings)
    except NotFound as exc:
        print(f"mailseal: {exc.detail} [{exc.code}]", file=sys.stderr)
        return EXIT_NOT_FOUND
    except SettingError as exc:
        named = exc if exc.source else exc.with_source(sources.get(exc.setting, "default"))
        print(f"mailseal: {named.detail} [{exc.code}]", file=sys.stderr)
        return EXIT_FAILED
    except MailsealError as exc:
        print(f"mailseal: {exc.detail} [{exc.code}]", file=sys.stderr)
        return EXIT_FAILED
    except FileNotFoundError as exc:
        print(f"mailseal: no such file: {exc.filename}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_NOT_FOUND
