"""The rules file on disk: load it once, or watch it and reload when it changes.

An administrator edits `<data>/rules.toml` while mail flows. A change is picked up on the next mail; a
broken edit is refused and logged with its line and reason, and the last good rules stay in force. No
file means no rules (nothing is sealed). A file that has never loaded cleanly is the one case with no
rules to fall back on: then `current()` raises, so that the relay defers mail (a temporary failure)
instead of sending unsealed what the rules may have meant to seal.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Final

from mailseal.errors import RulesError
from mailseal.rules.parse import MAX_RULES_FILE_CHARS, parse_rules
from mailseal.rules.ruleset import EMPTY_RULES, RuleSet

log = logging.getLogger("mailseal.rules")

RULES_FILE_NAME: Final = "rules.toml"

_Signature = tuple[int, int, int, int, int]  # device, inode, size, mtime and ctime in ns
_UNREADABLE: Final[_Signature] = (-1, -1, -1, -1, -1)


def load_rules_file(path: str | os.PathLike[str]) -> RuleSet:
    """Read and compile a rules file; raises `RulesError` when it is missing, too large or not valid."""
    file = Path(path)
    try:
        data = _read(file)
    except FileNotFoundError:
        raise RulesError(f"{file}: no such rules file") from None
    except OSError as exc:
        raise RulesError(f"{file}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return _parse_bytes(data, file)


def _read(file: Path) -> bytes:
    with file.open("rb") as handle:
        data = handle.read(MAX_RULES_FILE_CHARS * 4 + 1)
    if len(data) > MAX_RULES_FILE_CHARS * 4:
        raise RulesError(f"{file}: the rules file is too large")
    return data


def _parse_bytes(data: bytes, file: Path) -> RuleSet:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RulesError(f"{file}, line {line}: the rules file is not valid UTF-8", line=line) from None
    return parse_rules(text, source=str(file))


class RulesFile:
    """A rules file watched for changes: `current()` returns the rules in force, reloading when needed.

    Each call stats the file (cheap); it is read again only when its size, times or inode changed
    (an editor that saves by renaming a new file into place changes the inode).
    Safe to share between threads.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._checked = False
        self._signature: _Signature | None = None
        self._rules: RuleSet | None = None
        self._last_error: RulesError | None = None

    @property
    def last_error(self) -> RulesError | None:
        """Why the file on disk is not in force, or None when it is."""
        return self._last_error

    def current(self) -> RuleSet:
        """The rules in force; raises `RulesError` only when the file has never loaded cleanly."""
        with self._lock:
            signature = self._stat()
            if not self._checked or signature != self._signature:
                self._checked = True
                self._signature = signature
                self._reload(signature)
            if self._rules is None:
                assert self._last_error is not None
                raise self._last_error
            return self._rules

    def _stat(self) -> _Signature | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError:
            return _UNREADABLE  # reported once by the read that follows; retried when stat works again
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    def _reload(self, signature: _Signature | None) -> None:
        if signature is None:
            if self._rules is not EMPTY_RULES:
                log.info("no rules file at %s: no mail flow rules are in force", self.path)
            self._rules = EMPTY_RULES
            self._last_error = None
            return
        try:
            rules = load_rules_file(self.path)
        except RulesError as exc:
            self._last_error = exc
            if self._rules is None:
                log.error("rules file refused, and no earlier rules to keep: %s", exc.detail)
            else:
                log.error("rules file refused; the last good rules stay in force: %s", exc.detail)
            return
        self._rules = rules
        self._last_error = None
        log.info("loaded %d mail flow rules from %s (digest %s)", len(rules), self.path, rules.digest)


def example_rules_text() -> str:
    """The example rules file that `mailseal rules init` writes (package data `example_rules.toml`)."""
    return resources.files("mailseal.rules").joinpath("example_rules.toml").read_text(encoding="utf-8")
