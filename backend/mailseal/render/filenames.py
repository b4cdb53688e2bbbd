"""Attachment names from a mail, made safe to show and to save on any phone or desktop.

A name from a mail may carry a path (`../../x`), controls, characters that reorder or hide text
(`invoice\u202egpj.exe` shows as "invoiceexe.jpg"), a Windows device name (`CON.txt`) or thousands of
characters. What is left is short, visible, single-component and never empty.
"""

from __future__ import annotations

import re
import unicodedata

from mailseal.render.unicode import BIDI_CONTROLS, INVISIBLE, well_formed

MAX_FILENAME_CHARS = 120
MAX_FILENAME_BYTES = 240  # file systems allow 255 bytes of UTF-8 for one name
MAX_EXTENSION_CHARS = 16
DEFAULT_FALLBACK = "attachment"

_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "clock$", "conin$", "conout$"}
    | {f"{port}{digit}" for port in ("com", "lpt") for digit in "0123456789\u00b9\u00b2\u00b3"}
)
# Reserved in Windows names; `/` and `\` have split off the path already.
_FORBIDDEN = re.compile(r'[<>:"|?*/\\]')
_PATH_SEPARATOR = re.compile(r"[/\\]")
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(rf"\.[^.\s]{{1,{MAX_EXTENSION_CHARS}}}$")
_HIDDEN = frozenset(BIDI_CONTROLS + INVISIBLE + "\u115f\u1160\u3164\uffa0")


def _shown(char: str) -> bool:
    # Cc: C0 and C1 controls; Cf: format characters (bidi, zero-width); Cs: surrogates; Zl/Zp: line breaks.
    return char not in _HIDDEN and unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _fit(name: str) -> str:
    """At most `MAX_FILENAME_CHARS` characters and `MAX_FILENAME_BYTES` bytes, keeping the extension."""
    extension_match = _EXTENSION.search(name)
    extension = extension_match[0] if extension_match and extension_match.start() > 0 else ""
    stem = name[: len(name) - len(extension)]
    stem = stem[: MAX_FILENAME_CHARS - len(extension)]
    while stem and len((stem + extension).encode("utf-8")) > MAX_FILENAME_BYTES:
        stem = stem[:-1]
    # A cut can leave a combining mark alone or end on a space or dot.
    return unicodedata.normalize("NFC", stem).rstrip(" .") + extension


def _clean(name: str) -> str:
    text = unicodedata.normalize("NFC", well_formed(name))
    text = _PATH_SEPARATOR.split(text)[-1]
    text = "".join(char for char in _SPACES.sub(" ", text) if _shown(char))
    text = _SPACES.sub(" ", _FORBIDDEN.sub("_", text))
    # Leading dots hide a file (and "." and ".." are not names); Windows drops trailing dots and spaces.
    # Strip both together: ". 0" must not become " 0".
    text = text.lstrip(" .").rstrip(" .")
    if not text:
        return ""
    if text.split(".", 1)[0].rstrip(" ").lower() in _DEVICE_NAMES:
        text = f"_{text}"
    return _fit(text)


def safe_filename(name: str | None, *, fallback: str = DEFAULT_FALLBACK) -> str:
    """A name safe to show and to save: one path component, visible characters, bounded, never empty."""
    return _clean(name or "") or _clean(fallback) or DEFAULT_FALLBACK
