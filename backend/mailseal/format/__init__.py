"""The sealed-message format (docs/format.md): envelopes, their index, and the armor for mail.

Pure: bytes and streams in, bytes out. Randomness is drawn only by `new_message_id` and
`new_content_key`; everything else takes its inputs, so test vectors are exact.
"""

from __future__ import annotations

from mailseal.format.armor import BEGIN, END, SNIFF_SIZE, armor, dearmor, sniff
from mailseal.format.envelope import (
    OpenedEnvelope,
    header_fingerprint,
    header_mac_of,
    open_envelope,
    read_header,
    seal,
)
from mailseal.format.header import FORMAT_VERSION, MAGIC, Header, Policy
from mailseal.format.ids import message_id_text, new_content_key, new_message_id, parse_message_id
from mailseal.format.index import MessageIndex, Part
from mailseal.format.labels import HEADER_LABEL, INDEX_LABEL, PAYLOAD_LABEL
from mailseal.format.stream import CHUNK_SIZE

__all__ = [
    "BEGIN",
    "CHUNK_SIZE",
    "END",
    "FORMAT_VERSION",
    "HEADER_LABEL",
    "INDEX_LABEL",
    "MAGIC",
    "PAYLOAD_LABEL",
    "SNIFF_SIZE",
    "Header",
    "MessageIndex",
    "OpenedEnvelope",
    "Part",
    "Policy",
    "armor",
    "dearmor",
    "header_fingerprint",
    "header_mac_of",
    "message_id_text",
    "new_content_key",
    "new_message_id",
    "open_envelope",
    "parse_message_id",
    "read_header",
    "seal",
    "sniff",
]
