"""A throwaway PostgreSQL cluster for the tests, from the distribution's binaries (Debian's `postgresql`).

One cluster per test session: `initdb` into a temporary folder, `pg_ctl start` listening only on a Unix
socket in that folder (`listen_addresses=''`: no TCP port, nothing to collide with), `fsync=off` for
speed. Commits stay synchronous (`synchronous_commit` keeps its default), so what a test sees after a
commit is what PostgreSQL would have acknowledged. Each test gets its own database, made from a template
with `CREATE DATABASE … TEMPLATE` and dropped afterwards.

PostgreSQL refuses to run as root; as root (CI, these machines) the server runs as the `postgres` user
the Debian package creates, or as `nobody` without it. Without the binaries the tests that need them skip
with a reason, unless `MAILSEAL_REQUIRE_POSTGRES=1` (set by `.ci/run`), where they fail.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

REQUIRE_ENV = "MAILSEAL_REQUIRE_POSTGRES"
BIN_ENV = "MAILSEAL_POSTGRES_BIN"
SUPERUSER = "mailseal"
PORT = 5432  # names the socket file only: with listen_addresses='' nothing listens on TCP
DEBIAN_ROOT = Path("/usr/lib/postgresql")
FOLDER_PREFIX = "mailseal-pg-"
OWNER_FILE = "owner.pid"  # the test process a cluster belongs to: a cluster whose owner died is an orphan


def postgres_bin() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: `$MAILSEAL_POSTGRES_BIN`, else Debian's newest
    `/usr/lib/postgresql/<major>/bin`, else wherever `pg_ctl` is on PATH; None when there is none."""
    explicit = os.environ.get(BIN_ENV)
    if explicit:
        return Path(explicit) if (Path(explicit) / "pg_ctl").is_file() else None
    majors = []
    if DEBIAN_ROOT.is_dir():
        for entry in DEBIAN_ROOT.iterdir():
            if entry.name.isdigit() and (entry / "bin" / "pg_ctl").is_file() and (entry / "bin" / "initdb").is_file():
                majors.append(int(entry.name))
    if majors:
        return DEBIAN_ROOT / str(max(majors)) / "bin"
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).parent / "initdb").is_file():
        return Path(on_path).parent
    return None


def server_os_user() -> str | None:
    """Who runs the server: the current user, or (as root, which PostgreSQL refuses) `postgres`/`nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' user to run PostgreSQL as")


def unavailable(reason: str) -> None:
    """Skip the test with `reason`, or fail it where PostgreSQL is required (CI)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class PostgresCluster:
    """A running throwaway cluster; `url()` names a database on it for `asyncpg` and `open_store`."""

    bin: Path
    folder: Path
    os_user: str | None
    start_seconds: float
    _names: Iterator[int] = field(default_factory=itertools.count)
    _background: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, "postgres-fixture"))
    _spare: Future[str] | None = None

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str = "postgres") -> str:
        """A `postgresql://` URL that reaches `database` over the cluster's Unix socket."""
        return f"postgresql://{SUPERUSER}@/{database}?host={quote(str(self.socket_dir), safe='/')}&port={PORT}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL with `psql` (unaligned, tuples only) and return what it printed; raise on any error."""
        result = subprocess.run(
            [str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", str(self.socket_dir), "-p", str(PORT), "-U", SUPERUSER, "-d", database, "-c", sql],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def create_database(self, template: str = "template1") -> str:
        """A new empty database (a copy of `template`); its name."""
        name = f"test_{next(self._names)}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def fresh_database(self) -> str:
        """A new empty database for one test. `CREATE DATABASE` takes ~0.1-0.2 s, so the next test's
        database is made in the background while this one runs."""
        spare = self._spare or self._background.submit(self.create_database)
        self._spare = self._background.submit(self.create_database)
        return spare.result()

    def discard_database(self, name: str) -> None:
        """Drop a test's database in the background."""
        self._background.submit(self.drop_database, name)

    def drop_database(self, name: str) -> None:
        """Drop `name`, closing whatever a test left connected to it."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server at once (nothing in it is worth a clean shutdown) and remove its folder."""
        self._background.shutdown(wait=True, cancel_futures=True)
        self._as_server([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                         "stop"], check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _as_server(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run_as(self.os_user, args, check=check)


def _run_as(os_user: str | None, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["runuser", "-u", os_user, "--", *args] if os_user else args
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({result.returncode}): {result.stdout}{result.stderr}")
    return result


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runs_in(pid: int, folder: Path) -> bool:
    """Whether `pid` is a PostgreSQL server of `folder` (not some process that reused a dead server's pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(folder / "data").encode() in command


def reap_orphans(root: Path) -> list[Path]:
    """Stop and remove the clusters of test runs that died without tearing down (killed, timed out, crashed):
    their owner process is gone. Clusters of runs still going, and folders without an owner, are left."""
    reaped = []
    for folder in root.glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        try:
            server = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            server = 0
        if server and _runs_in(server, folder):
            os.kill(server, signal.SIGQUIT)  # PostgreSQL's immediate shutdown
            for _ in range(100):
                if not _alive(server):
                    break
                time.sleep(0.05)
        shutil.rmtree(folder, ignore_errors=True)
        reaped.append(folder)
    return reaped


def start_cluster(bin: Path, *, fsync: bool = False) -> PostgresCluster:
    """initdb and start a cluster in a new temporary folder (short path: a socket path has ~100 bytes).

    `fsync=False` for the tests' speed; the benchmarks start theirs with `fsync=True`, as a server runs."""
    began = time.monotonic()
    os_user = server_os_user()
    root = Path("/tmp") if Path("/tmp").is_dir() else Path(tempfile.gettempdir())
    reap_orphans(root)
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=root))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    if os_user:
        shutil.chown(folder, user=os_user)
    data = folder / "data"
    try:
        _run_as(os_user, [str(bin / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                          "--no-locale", "--no-sync", "--no-instructions"])
        options = (f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c port={PORT}"
                   f" -c fsync={'on' if fsync else 'off'}")
        _run_as(os_user, [str(bin / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                          "-t", "60", "-o", options, "start"])
    except BaseException as error:
        log = folder / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        _run_as(os_user, [str(bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL from {bin}: {error}\n{tail}") from error
    return PostgresCluster(bin=bin, folder=folder, os_user=os_user, start_seconds=time.monotonic() - began)


def server_version(cluster: PostgresCluster) -> int:
    """The server's major version (e.g. 15), read from the server itself."""
    found = re.match(r"\s*(\d+)", cluster.psql("SHOW server_version_num"))
    assert found, "no server_version_num"
    return int(found.group(1)) // 10000


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """The session's throwaway cluster, started on first use; skips (or fails in CI) without PostgreSQL."""
    bin = postgres_bin()
    if bin is None:
        unavailable(f"PostgreSQL's binaries are not installed (looked in {DEBIAN_ROOT}/*/bin, ${BIN_ENV} and PATH)")
        raise AssertionError("unreachable")
    cluster = start_cluster(bin)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A `postgresql://` URL to a fresh, empty database of its own, dropped after the test."""
    name = postgres_cluster.fresh_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.discard_database(name)
