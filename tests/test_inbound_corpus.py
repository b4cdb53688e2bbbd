"""Every .eml of the shared corpus, forwarded over SMTP to a live forward address.

None of them carries a sealed message: each must be answered with a reason (never a hang, a crash or a
451 from an unforeseen error), and the listener must still answer afterwards.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from support.corpora import corpus_eml_files
from support.mail_listeners import mail_stack, smtp_alive, smtp_send


async def test_every_corpus_mail_is_answered_by_the_inbound_listener(corpora: Path, data_dir: Path) -> None:
    files = corpus_eml_files()
    assert files, "the corpus has no .eml files"
    replies: Counter[str] = Counter()
    async with mail_stack(data_dir) as stack:
        address = await stack.forward.address_for(["bob@partner.example"])
        assert address is not None
        for file in files:
            sent = await smtp_send(stack.inbound_port, file.read_bytes(), recipients=[address])
            reply = sent.final
            assert reply.code != 451 and 500 <= reply.code < 600, (file.name, reply)
            replies[f"{reply.code} {reply.text}"] += 1
        assert await smtp_alive(stack.inbound_port)
        assert stack.outbox.list() == []
    assert sum(replies.values()) == len(files)
    no_envelope = [text for text in replies if "No protected Mailseal message" in text]
    assert no_envelope and replies[no_envelope[0]] >= len(files) * 3 // 4, replies
