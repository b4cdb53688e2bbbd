"""A real Postfix instance (Debian's `postfix`) in its own folder, on loopback ports, for the MTA tests.

Each instance has its own `config_directory` and `queue_directory` and is started with `postfix -c DIR
start`; nothing of the system's Postfix is used or touched. Its daemons run as the `postfix` user and
deliver as `nobody`, so the instance lives in a world-searchable folder of its own under the system's
temporary folder (pytest's is private to root). Timers are short, so a deferred mail is retried within
seconds of `flush()`.

    with PostfixInstance("org", main={...}, services=[...]) as org:
        ...send to 127.0.0.1:org.port...
        org.wait_for_empty_queue()
"""

from __future__ import annotations

import email
import email.message
import email.policy
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from support.live_server import free_port

POSTFIX = "/usr/sbin/postfix"
MAILBOX_OWNER = "nobody"

# The daemons a queue-and-deliver instance needs; chroot off (the 5th column), since the instance's
# folder is not a prepared chroot. Listeners are added per instance.
BASE_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# The master.cf lines docs/deploy.md gives for the organisation's Postfix (PORT, {relay} and {back} are the
# test's ports; tests/test_deploy_docs.py checks the document still has them).
SUBMISSION = ("127.0.0.1:PORT inet n - n - - smtpd\n"
              "  -o content_filter=mailseal:[127.0.0.1]:{relay}")
MAILSEAL_TRANSPORT = ("mailseal unix - - n - 10 smtp\n"
                      "  -o smtp_send_xforward_command=no\n"
                      "  -o disable_mime_output_conversion=yes")
RETURN_LISTENER = ("127.0.0.1:{back} inet n - n - 10 smtpd\n"
                   "  -o content_filter=\n"
                   "  -o receive_override_options=no_unknown_recipient_checks,no_header_body_checks,no_milters\n"
                   "  -o mynetworks=127.0.0.0/8\n"
                   "  -o smtpd_relay_restrictions=permit_mynetworks,reject\n"
                   "  -o smtpd_recipient_restrictions=permit_mynetworks,reject")


def postfix_available() -> str | None:
    """Why the Postfix tests cannot run here, or None when they can."""
    if not Path(POSTFIX).exists():
        return "Debian's postfix is not installed (./scripts/test installs it where it can)"
    if os.geteuid() != 0:
        return "a Postfix instance's master runs as root"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "the postfix user is missing"
    return None


class PostfixInstance:
    """One Postfix: `main` is added to (and overrides) the base main.cf; `services` are extra master.cf lines
    (the word PORT in them is replaced by `port`, the instance's SMTP listener)."""

    def __init__(self, name: str, *, main: Mapping[str, str] | None = None, services: Sequence[str] = (),
                 mailbox_domains: Sequence[str] = ()) -> None:
        self.name = name
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix=f"mailseal-postfix-{name}-"))
        self.root.chmod(0o755)
        self.config = self.root / "etc"
        self.queue = self.root / "queue"
        self.mail = self.root / "mail"
        self.log = self.root / "postfix.log"
        self.mailbox_domains = tuple(mailbox_domains)
        self._main = dict(main or {})
        self._services = [line.replace("PORT", str(self.port)) for line in services]

    def prepare(self) -> None:
        """Write the configuration; `mailbox()` and extra files in `config` may follow before `start()`."""
        if self.config.exists():
            return
        previous = os.umask(0o022)  # Mailseal's commands set 077 in the test process; the daemons read these
        try:
            self._write_config()
        finally:
            os.umask(previous)

    def _write_config(self) -> None:
        self.config.mkdir()
        self.queue.mkdir()
        self.mail.mkdir()
        owner = pwd.getpwnam(MAILBOX_OWNER)
        os.chown(self.mail, owner.pw_uid, owner.pw_gid)
        (self.config / "mailboxes").write_text("")  # filled per address by `mailbox()`
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue),
            "data_directory": str(self.root / "data"),
            "maillog_file": str(self.log),
            "maillog_file_prefixes": str(self.root),
            "myhostname": f"{self.name}.mailseal.test",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "alias_maps": "",
            "alias_database": "",
            "biff": "no",
            "smtp_dns_support_level": "disabled",
            "smtputf8_enable": "no",
            # Seconds, not minutes: a deferred mail is retried as soon as a flush asks.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "smtp_connect_timeout": "2s",
            "virtual_mailbox_domains": " ".join(self.mailbox_domains),
            "virtual_mailbox_base": str(self.mail),
            "virtual_mailbox_maps": f"texthash:{self.config / 'mailboxes'}",
            "virtual_uid_maps": f"static:{owner.pw_uid}",
            "virtual_gid_maps": f"static:{owner.pw_gid}",
            **self._main,
        }
        (self.config / "main.cf").write_text("".join(f"{key} = {value}\n" for key, value in main.items()))
        (self.config / "master.cf").write_text(BASE_SERVICES + "".join(line + "\n" for line in self._services))

    def mailbox(self, address: str) -> Path:
        """Make `address` (in one of `mailbox_domains`) a Maildir mailbox; returns its folder."""
        self.prepare()
        relative = address.lower() + "/"
        with (self.config / "mailboxes").open("a") as table:
            table.write(f"{address.lower()} {relative}\n")
        (self.config / "mailboxes").chmod(0o644)
        if self.running:
            self._postfix("reload")
        return self.mail / relative

    def write_table(self, name: str, entries: Mapping[str, str]) -> None:
        """A lookup table in the configuration folder (`texthash:$config_directory/NAME` reads it)."""
        self.prepare()
        table = self.config / name
        table.write_text("".join(f"{key} {value}\n" for key, value in entries.items()))
        table.chmod(0o644)

    def start(self) -> PostfixInstance:
        self.prepare()
        self._postfix("start")
        return self

    @property
    def running(self) -> bool:
        return (self.queue / "pid" / "master.pid").exists()

    def stop(self) -> None:
        pid_file = self.queue / "pid" / "master.pid"
        master = int(pid_file.read_text().strip()) if pid_file.exists() else None
        subprocess.run([POSTFIX, "-c", str(self.config), "stop"], capture_output=True, timeout=30)
        if master is not None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(master):
                time.sleep(0.05)
            if _alive(master):
                os.kill(master, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostfixInstance:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _postfix(self, command: str) -> None:
        result = subprocess.run([POSTFIX, "-c", str(self.config), command], capture_output=True, text=True,
                                timeout=60, umask=0o022)
        if result.returncode != 0:
            raise RuntimeError(f"postfix {command} ({self.name}): {result.stderr.strip()}\n{self.log_text()}")

    def flush(self) -> None:
        """`postqueue -f`: retry every deferred mail now (postqueue checks the pickup service is up)."""
        result = subprocess.run(["/usr/sbin/postqueue", "-c", str(self.config), "-f"], capture_output=True,
                                text=True, timeout=30, umask=0o022)
        if result.returncode != 0:
            raise RuntimeError(f"postqueue -f ({self.name}): {result.stderr.strip()}")

    def queued(self) -> list[Path]:
        """The files of mail still in the queue (incoming, active, deferred)."""
        return [path for folder in ("incoming", "active", "deferred", "hold")
                for path in (self.queue / folder).rglob("*") if path.is_file()]

    def wait_for_empty_queue(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.queued():
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: mail still queued after {timeout}s\n{self.log_text()}")

    def wait_for_deferred(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            deferred = [path for path in (self.queue / "deferred").rglob("*") if path.is_file()]
            if len(deferred) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: fewer than {count} mails deferred after {timeout}s\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "(no log)"


def maildir_messages(folder: Path) -> list[bytes]:
    """The raw messages delivered to a Maildir, oldest first."""
    new = folder / "new"
    if not new.is_dir():
        return []
    return [path.read_bytes() for path in sorted(new.iterdir(), key=lambda p: p.stat().st_mtime_ns)]


def wait_for_mail(folder: Path, count: int, timeout: float = 30.0, *, log: str = "") -> list[bytes]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = maildir_messages(folder)
        if len(messages) >= count:
            return messages
        time.sleep(0.1)
    raise AssertionError(f"{len(maildir_messages(folder))} of {count} mails arrived in {folder}\n{log}")


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
