"""The MIME tree of a sealed message, rebuilt from its index: containers, nested messages, leaves.

The format's index lists the leaves only (with where each body lies). The structure around them —
`multipart/*` containers, the header fields of a forwarded `message/rfc822` — is in the bytes *between*
the leaves. We decrypt only those gaps (header blocks and delimiter lines, small), join them into a
skeleton in which every leaf body is empty, and parse it with the stdlib `email` package. Its leaves
must match the index one for one (count and content type); when they do not (malformed mail that the
two parsers read differently), the tree is flat: every leaf of the index at the top level, so nothing is
ever lost, only its nesting.
"""

from __future__ import annotations

import dataclasses
import email.message
import email.parser
import email.policy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message

from mailseal import format as fmt

MAX_SKELETON_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 20  # as the format's scanner: deeper entities are leaves
NESTED_TYPES = frozenset({"message/rfc822", "message/global"})
IDENTITY_ENCODINGS = frozenset({"7bit", "8bit", "binary"})


@dataclass(frozen=True)
class Leaf:
    number: int  # the index's part, 0-based
    part: fmt.Part
    headers: Message


@dataclass(frozen=True)
class Multipart:
    subtype: str
    headers: Message
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Nested:
    """An attached message: `headers` are its own fields (From, Subject…), `part_headers` those of the
    part that carries it; `start`/`end` its original bytes in the message, when they could be found."""

    part_headers: Message
    headers: Message
    body: Node
    start: int | None
    end: int | None


Node = Leaf | Multipart | Nested
ReadRange = Callable[[int, int], Iterable[bytes]]  # bytes [start, end) of the message


@dataclass
class MessageTree:
    root: Node
    headers: Message  # the top-level header fields
    flat: bool = False  # the structure could not be matched to the index: every leaf at the top level
    catch_all: bool = False  # more parts than the index holds: the last leaf covers the rest
    gaps: list[tuple[int, bytes]] = field(default_factory=list)  # (payload offset, bytes) between leaves


def _gaps(index: fmt.MessageIndex, size: int, read: ReadRange) -> list[tuple[int, bytes]] | None:
    bounds = [0]
    for part in index.parts:
        bounds += [part.start, part.end]
    bounds.append(size)
    total = sum(bounds[i + 1] - bounds[i] for i in range(0, len(bounds), 2))
    if total > MAX_SKELETON_BYTES:
        return None
    if size <= MAX_SKELETON_BYTES:  # one read: many small parts would decrypt the same chunks again and again
        whole = b"".join(read(0, size))
        return [(bounds[i], whole[bounds[i] : bounds[i + 1]]) for i in range(0, len(bounds), 2)]
    return [(bounds[i], b"".join(read(bounds[i], bounds[i + 1]))) for i in range(0, len(bounds), 2)]


def _encoding(message: Message) -> str:
    try:
        return str(message.get("content-transfer-encoding", "7bit")).strip().lower() or "7bit"
    except Exception:
        return "7bit"


def _content_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except Exception:
        return "text/plain"


def _boundary(message: Message) -> str | None:
    try:
        return message.get_boundary()
    except Exception:
        return None


class _Builder:
    def __init__(self, parts: tuple[fmt.Part, ...], gaps: list[tuple[int, bytes]], size: int) -> None:
        self.parts = parts
        self.gaps = gaps
        self.size = size
        self.next = 0
        self.mismatch = False

    def node(self, message: Message, depth: int, frame: tuple[str | None, int | None, int | None]) -> Node:
        kind = _content_type(message)
        payload = message.get_payload()
        if depth < MAX_DEPTH and isinstance(payload, list):
            if kind.startswith("multipart/"):
                boundary = _boundary(message)
                children = tuple(
                    self.node(child, depth + 1, (boundary, None, None))
                    for child in payload
                    if isinstance(child, Message)
                )
                if children:
                    return Multipart(kind.split("/", 1)[1], message, children)
            elif kind in NESTED_TYPES and _encoding(message) in IDENTITY_ENCODINGS and payload:
                inner = payload[0]
                if isinstance(inner, Message):
                    first = self.next
                    start = self._after_header_block(first, self._entity_start(first, frame))
                    body = self.node(inner, depth + 1, (None, start, None))
                    end = self._entity_end(self.next - 1, frame)
                    if isinstance(body, Nested) and body.end is None and body.start is not None:
                        body = dataclasses.replace(body, end=end)  # a message whose body is a message
                    return Nested(message, inner, body, start, end)
        return self.leaf(message, kind)

    def leaf(self, message: Message, kind: str) -> Leaf:
        number = self.next
        self.next += 1
        if number >= len(self.parts):
            self.mismatch = True
            return Leaf(number, self.parts[-1], message)
        part = self.parts[number]
        if part.content_type.lower() != kind.lower():
            self.mismatch = True
        return Leaf(number, part, message)

    def _gap_before(self, number: int) -> tuple[int, bytes] | None:
        return self.gaps[number] if 0 <= number < len(self.gaps) else None

    def _entity_start(self, first: int, frame: tuple[str | None, int | None, int | None]) -> int | None:
        """Where the entity that carries the nested message starts: after its delimiter line."""
        boundary, start, _ = frame
        if boundary is None:
            return start if start is not None else (0 if first == 0 else None)
        gap = self._gap_before(first)
        if gap is None:
            return None
        offset, data = gap
        delimiter = re.compile(
            rb"(?:^|\n)--" + re.escape(boundary.encode("utf-8", "surrogateescape")) + rb"[ \t]*(\r?\n)"
        )
        found = list(delimiter.finditer(data))
        last = found[-1] if found else None
        return None if last is None else offset + last.end()

    def _after_header_block(self, first: int, entity_start: int | None) -> int | None:
        """Past the header block (and its empty line) of the entity that starts at `entity_start`."""
        gap = self._gap_before(first)
        if gap is None or entity_start is None:
            return None
        offset, data = gap
        if not offset <= entity_start <= offset + len(data):
            return None
        position = entity_start - offset
        blank = re.compile(rb"(?:^|\n)\r?\n").search(data, max(0, position - 1) if position else 0)
        if blank is None:
            return None
        at = blank.end()
        return offset + at if at >= position else None

    def _entity_end(self, last: int, frame: tuple[str | None, int | None, int | None]) -> int | None:
        boundary, _, end = frame
        if boundary is None:
            return end if end is not None else (self.size if last == len(self.parts) - 1 else None)
        gap = self._gap_before(last + 1)
        if gap is None:
            return None
        offset, data = gap
        delimiter = re.compile(
            rb"(\r?\n)--" + re.escape(boundary.encode("utf-8", "surrogateescape")) + rb"(?:--)?[ \t]*(?:\r?\n|\Z)"
        )
        found = delimiter.search(data)
        if found is not None:
            return offset + found.start()
        return offset + len(data) if last + 1 == len(self.parts) else None


def _flat(index: fmt.MessageIndex, headers: Message, gaps: list[tuple[int, bytes]], catch_all: bool) -> MessageTree:
    empty = email.message.Message()
    leaves = tuple(Leaf(number, part, empty) for number, part in enumerate(index.parts))
    root: Node = leaves[0] if len(leaves) == 1 else Multipart("mixed", empty, leaves)
    return MessageTree(root=root, headers=headers, flat=True, catch_all=catch_all, gaps=gaps)


def build_tree(index: fmt.MessageIndex, size: int, read: ReadRange, *, catch_all: bool) -> MessageTree:
    """The tree of the message whose index is `index` and whose bytes `read` gives."""
    gaps = _gaps(index, size, read)
    if gaps is None:
        return _flat(index, email.message.Message(), [], catch_all)
    skeleton = b"".join(data for _, data in gaps)
    try:
        message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(skeleton)
    except Exception:
        return _flat(index, email.message.Message(), gaps, catch_all)
    if catch_all:
        return _flat(index, message, gaps, catch_all)
    builder = _Builder(index.parts, gaps, size)
    try:
        root = builder.node(message, 0, (None, 0, size))
    except (RecursionError, IndexError):
        return _flat(index, message, gaps, catch_all)
    if builder.mismatch or builder.next != len(index.parts):
        return _flat(index, message, gaps, catch_all)
    return MessageTree(root=root, headers=message, gaps=gaps)
