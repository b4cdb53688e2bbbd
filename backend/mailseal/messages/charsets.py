"""Text as it really is: decode with the declared charset strictly, then detect, then fall back.

Mail often lies about its charset (GB2312 declared and UTF-8 sent; Latin-1 bytes declared as UTF-8 or
not declared at all; raw 8-bit bytes in header fields and file names). A reader must still see readable
text, so every decode here succeeds, and says which charset it actually used.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from email.message import Message
from typing import NamedTuple

import charset_normalizer

# Browsers read these labels as Windows-1252 (WHATWG Encoding), and so does every mail client.
_AS_WINDOWS_1252 = frozenset({"us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "iso8859-1", "l1", "cp819"})
FALLBACK = "windows-1252"
_WESTERN = frozenset({"cp1250", "cp1252", "cp1254", "latin_1", "iso8859_2", "iso8859_15", "mac_roman", "mac_iceland",
                      "mac_turkish", "mac_latin2"})
DETECT_BYTES = 64 * 1024
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)[ \t\r\n]+(=\?)")


class DecodedText(NamedTuple):
    text: str
    charset: str  # the charset the bytes were read with (a codec name browsers understand)


def codec_of(label: str) -> str | None:
    """The Python codec for a charset label, or None when it is unknown."""
    label = label.strip().strip('"').lower()
    if not label:
        return None
    if label in _AS_WINDOWS_1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _web_name(codec: str) -> str:
    """A charset name for a `Content-Type` (Python's codec names are not all IANA names)."""
    return {
        "cp1252": FALLBACK,
        "utf-8": "utf-8",
        "gb2312": "gb2312",
        "gbk": "gbk",
        "gb18030": "gb18030",
        "shift_jis": "shift_jis",
        "cp932": "shift_jis",
        "euc_jp": "euc-jp",
        "iso2022_jp": "iso-2022-jp",
        "euc_kr": "euc-kr",
        "cp949": "euc-kr",
        "big5": "big5",
        "koi8-r": "koi8-r",
    }.get(codec, codec.replace("_", "-"))


def response_charset(found: str, declared: str | None) -> str | None:
    """The charset to name on a text response: the sender's own label when the text was read with it (so
    `iso-8859-1` stays `iso-8859-1`, which browsers read as Windows-1252 as this module does), else the
    one it was found in."""
    if declared and (not found or codec_of(declared) == codec_of(found)):
        return declared
    return found or None


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_text(raw: bytes, declared: str = "") -> DecodedText:
    """Decode a body: valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says (no real text
    in another charset passes as UTF-8 by chance); else the declared charset, strictly; else the detected
    one; else Windows-1252, which reads every byte."""
    codec = codec_of(declared)
    if codec is not None and codec.startswith(("utf_16", "utf_32", "utf-16", "utf-32")):
        text = _strict(raw, codec)
        if text is not None:
            return DecodedText(text, _web_name(codec))
    if not raw.isascii():
        text = _strict(raw, "utf-8")
        if text is not None:
            return DecodedText(text, "utf-8")
    if codec is not None:
        text = _strict(raw, codec)
        if text is not None:
            return DecodedText(text, _web_name(codec))
    elif raw.isascii():
        return DecodedText(raw.decode("ascii"), "utf-8")
    detected = _detect(raw)
    if detected is not None:
        text = _strict(raw, detected)
        if text is not None:
            return DecodedText(text, _web_name(codecs.lookup(detected).name))
    return DecodedText(raw.decode("cp1252", "replace"), FALLBACK)


def _detect(raw: bytes) -> str | None:
    """The charset charset-normalizer finds; Windows-1252 when a Western code page is among its best
    guesses (on a few words it cannot tell them apart, and would as soon name Urdu's cp1006)."""
    matches = list(charset_normalizer.from_bytes(raw[:DETECT_BYTES]))
    if not matches:
        return None
    least = min(match.chaos for match in matches)
    best = [match.encoding for match in matches if match.chaos == least]
    if any(encoding in _WESTERN for encoding in best) and _strict(raw, "cp1252") is not None:
        return "cp1252"
    return best[0]


def _word(match: re.Match[str]) -> str:
    charset, kind, payload = match.group(1).split("*", 1)[0], match.group(2).upper(), match.group(3)
    try:
        if kind == "B":
            raw = base64.b64decode(payload + "=" * (-len(payload) % 4))
        else:
            raw = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=True)
    except (ValueError, binascii.Error):
        return match.group(0)
    return decode_text(raw, charset).text


def header_text(value: object) -> str:
    """A header field's value for display: raw 8-bit bytes read as their charset, RFC 2047 words decoded,
    folding removed. Takes what `email` (compat32) gives: a str (8-bit bytes as surrogates) or a Header."""
    text = str(value) if value is not None else ""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = decode_text(text.encode("utf-8", "surrogateescape")).text
    if "=?" in text:
        text = _ENCODED_WORD.sub(_word, _BETWEEN_WORDS.sub(r"\1\2", text))
    return " ".join(text.split())


def _raw_value(message: Message, name: str) -> str | None:
    """A field's value as `email` (compat32) read it: 8-bit bytes kept as surrogates, not yet replaced."""
    try:
        for key, value in message.raw_items():
            if key.lower() == name:
                return str(value)
    except Exception:
        return None
    return None


def field_text(message: Message, name: str) -> str:
    """One header field of `message`, for display; "" when absent or unreadable."""
    value = _raw_value(message, name)
    return header_text(value) if value is not None else ""


def _param(message: Message, name: str, header: str) -> object:
    raw = _raw_value(message, header)
    if raw is None:
        return None
    clean = Message()
    try:
        if any("\udc80" <= ch <= "\udcff" for ch in raw):  # raw 8-bit: read the bytes as their charset
            raw = decode_text(raw.encode("utf-8", "surrogateescape")).text
        clean[header] = " ".join(raw.split())
        return clean.get_param(name, header=header)
    except Exception:  # a hostile parameter is no file name
        return None


def filename_of(message: Message) -> str:
    """The file name a part carries (Content-Disposition `filename`, else Content-Type `name`), with RFC
    2231 and RFC 2047 encodings and raw 8-bit bytes decoded; "" when it has none."""
    for param, header in (("filename", "content-disposition"), ("name", "content-type")):
        value = _param(message, param, header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded text as Latin-1)
            charset, _, text = value
            return decode_text(str(text).encode("latin-1", "replace"), str(charset or "")).text.strip()
        if isinstance(value, str) and value.strip():
            return header_text(value.strip('"'))
    return ""
