"""Every .eml of the shared corpus, sent to the relay over SMTP with a rule that seals everything.

Each mail is answered (accepted, or refused with a reason), none hangs or crashes the listener, and the
listener still answers afterwards. A 451 would mean an unforeseen error inside the flow: none may occur.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from support.corpora import corpus_eml_files
from support.mail_listeners import SEAL_EVERYTHING, mail_stack, smtp_alive, smtp_send


async def test_every_corpus_mail_is_answered_by_the_relay(corpora: Path, data_dir: Path) -> None:
    files = corpus_eml_files()
    assert files, "the corpus has no .eml files"
    codes: Counter[int] = Counter()
    unforeseen = []
    async with mail_stack(data_dir, rules=SEAL_EVERYTHING) as stack:
        for file in files:
            sent = await smtp_send(stack.relay_port, file.read_bytes(), recipients=["bob@partner.example"])
            reply = sent.final
            codes[reply.code] += 1
            if reply.code == 451 or not (reply.ok or 500 <= reply.code < 600):
                unforeseen.append((file.name, reply))
        assert await smtp_alive(stack.relay_port)
        sealed = len(await stack.instance.keys.list_records(limit=1000))
        wrappers = len(stack.outbox.list())
    assert unforeseen == []
    assert sum(codes.values()) == len(files)
    assert codes[250] == sealed == wrappers
    assert codes[250] >= len(files) * 3 // 4, codes
