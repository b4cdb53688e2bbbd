"""The MIME tree rebuilt from the format's index (messages/display_tree.py): it matches the index leaf for
leaf on every corpus mail, each attached message's range is its original bytes, and when the two parsers
disagree the tree falls back to flat without losing a leaf."""

from __future__ import annotations

import email
import io
from pathlib import Path

import msgspec

from mailseal.format.mime_scan import scan_message
from mailseal.messages.display_layout import LeafBytes, lay_out
from mailseal.messages.display_tree import Multipart, Nested, Node, build_tree
from support.corpora import corpus_eml_files


def _nested(node: Node) -> list[Nested]:
    if isinstance(node, Nested):
        return [node, *_nested(node.body)]
    if isinstance(node, Multipart):
        return [found for child in node.children for found in _nested(child)]
    return []


def test_every_corpus_mail_gets_its_structure_and_each_attached_message_its_own_bytes(corpora: Path) -> None:
    flat, attached = [], 0
    for path in corpus_eml_files():
        data = path.read_bytes()
        index, size = scan_message(io.BytesIO(data))
        tree = build_tree(index, size, lambda start, end, data=data: [data[start:end]], catch_all=False)
        if tree.flat:
            flat.append(path.name)
        for nested in _nested(tree.root):
            attached += 1
            assert nested.start is not None and nested.end is not None, path
            again = email.message_from_bytes(data[nested.start : nested.end])
            assert again.get("subject") == nested.headers.get("subject"), path
            assert len(list(again.walk())) == len(list(nested.headers.walk())), path
    assert flat == [] and attached > 30


def test_when_the_parsers_disagree_the_tree_is_flat_and_every_leaf_is_kept() -> None:
    raw = (b"From: a@example.org\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: image/png\r\n\r\nPNG\r\n"
           b"--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n")
    index, size = scan_message(io.BytesIO(raw))
    parts = list(index.parts)
    parts[1] = msgspec.structs.replace(parts[1], content_type="application/x-other")  # not what `email` reads
    changed = msgspec.structs.replace(index, parts=tuple(parts))
    tree = build_tree(changed, size, lambda start, end: [raw[start:end]], catch_all=False)
    assert tree.flat
    layout = lay_out(tree, changed, lambda part, limit: raw[part.start : part.end])
    shown = {piece.number for piece in layout.pieces}
    offered = {offer.source.number for offer in layout.offers if isinstance(offer.source, LeafBytes)}
    assert shown | offered == {0, 1, 2}
    assert [note.kind for note in layout.notes] == ["flat"]
