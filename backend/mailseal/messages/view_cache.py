"""Rendered messages kept in memory, sealed under each message's own content key.

Rendering an HTML message (decrypting its parts, sanitizing, resolving inline images) costs about 20 ms
of CPU; a person opens the same message again and again (the view, then its body frame, then after a
reply). The cache holds only ciphertext: the key is derived from the message's content key, which
`keys.KeyService.unwrap` hands out only after the policy decision, with an audit row. So a cached view
is no easier to read than the envelope it came from, every open is still decided and audited, and a
revoked or expired message's entry is dead the moment its content key is destroyed.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mailseal import metrics
from mailseal.keys import ContentKey
from mailseal.messages.display import MessageView, RenderedMessage

VIEW_CACHE_LABEL = b"mailseal.org/v1/view-cache"
NONCE_BYTES = 12
# One view may take at most this share of the cache, so one huge message cannot flush everyone's views.
LARGEST_SHARE = 4

_view_encoder = msgspec.msgpack.Encoder()
_view_decoder = msgspec.msgpack.Decoder(MessageView)
# The body documents: the message's own and those of the messages attached to it.
_documents_decoder = msgspec.msgpack.Decoder(tuple[str | None, tuple[str, ...]])


def _cache_key(key: ContentKey) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=VIEW_CACHE_LABEL).derive(key.key)
    return AESGCM(derived)


def _associated_data(message_id: str, header_fingerprint: bytes, part: bytes) -> bytes:
    return b"\x00".join((message_id.encode("ascii", "replace"), header_fingerprint, part))


def _seal(aead: AESGCM, plain: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plain, associated)


def _open(aead: AESGCM, sealed: bytes, associated: bytes) -> bytes:
    return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


class _Entry(msgspec.Struct, frozen=True):
    view: bytes
    html: bytes | None

    @property
    def size(self) -> int:
        return len(self.view) + len(self.html or b"")


class SealedViewCache:
    """A bounded LRU of sealed renderings by message id; `max_bytes` of 0 turns it off.

    The view and the HTML body are sealed apart, so that each request decrypts only what it sends."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of ciphertext held."""
        return self._size

    def get(self, key: ContentKey, header_fingerprint: bytes, *, with_html: bool) -> RenderedMessage | None:
        """The rendering sealed for this message under this key (its HTML only if asked), or None (also
        when it does not open: then the entry is dropped)."""
        entry = self._entries.get(key.message_id)
        if entry is None:
            metrics.view_cache_lookup(hit=False)
            return None
        aead = _cache_key(key)
        message_id = key.message_id
        try:
            plain = _open(aead, entry.view, _associated_data(message_id, header_fingerprint, b"view"))
            view = _view_decoder.decode(plain)
            html: str | None = None
            documents: tuple[str, ...] = ()
            if with_html and entry.html is not None:
                sealed = _open(aead, entry.html, _associated_data(message_id, header_fingerprint, b"html"))
                html, documents = _documents_decoder.decode(sealed)
        except InvalidTag:
            self.discard(key.message_id)
            metrics.view_cache_lookup(hit=False)
            return None
        self._entries.move_to_end(key.message_id)
        metrics.view_cache_lookup(hit=True)
        return RenderedMessage(view=view, html=html, documents=documents)

    def put(self, key: ContentKey, header_fingerprint: bytes, rendered: RenderedMessage) -> None:
        view = _view_encoder.encode(rendered.view)
        has_html = rendered.html is not None or rendered.documents
        html = _view_encoder.encode((rendered.html, rendered.documents)) if has_html else None
        if self.max_bytes <= 0 or len(view) + len(html or b"") > self.max_bytes // LARGEST_SHARE:
            return
        aead = _cache_key(key)
        message_id = key.message_id
        entry = _Entry(
            view=_seal(aead, view, _associated_data(message_id, header_fingerprint, b"view")),
            html=None if html is None else _seal(aead, html, _associated_data(message_id, header_fingerprint, b"html")),
        )
        self.discard(message_id)
        self._entries[message_id] = entry
        self._size += entry.size
        while self._size > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._size -= evicted.size

    def discard(self, message_id: str) -> None:
        """Drop a message's entry (after a refusal, a revocation or an expiry: only to free memory)."""
        entry = self._entries.pop(message_id, None)
        if entry is not None:
            self._size -= entry.size
