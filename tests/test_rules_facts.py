"""Facts from raw mail: what the rules see, and that no mail (however broken) makes reading them fail."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mailseal.rules import MailFacts, evaluate, example_rules_text, facts_from_message, parse_rules
from support.corpora import corpus_eml_files


def read(raw: bytes) -> MailFacts:
    return facts_from_message(
        raw, envelope_from="alice@example.org", envelope_to=["bob@gmail.com", "carol@example.org"]
    )


MULTIPART = b"""From: Alice <alice@example.org>\r
To: Bob <bob@gmail.com>\r
Subject: =?utf-8?q?Vertraulich=3A_=C3=84nderung?=\r
 [secure]\r
Sensitivity: Company-Confidential\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary="outer"\r
\r
--outer\r
Content-Type: multipart/alternative; boundary="inner"\r
\r
--inner\r
Content-Type: text/plain; charset=utf-8\r
\r
Plain body with the account number.\r
--inner\r
Content-Type: text/html; charset=utf-8\r
\r
<p>HTML body</p>\r
--inner--\r
--outer\r
Content-Type: application/pdf; name="Q3 Report.PDF"\r
Content-Disposition: attachment; filename="Q3 Report.PDF"\r
Content-Transfer-Encoding: base64\r
\r
JVBERi0xLjQK\r
--outer\r
Content-Type: image/png\r
Content-Disposition: inline; filename*=utf-8''%C3%BCbersicht.png\r
Content-Transfer-Encoding: base64\r
\r
iVBORw0KGgo=\r
--outer--\r
"""


def test_facts_of_a_multipart_message() -> None:
    facts = read(MULTIPART)
    assert facts.sender == "alice@example.org"
    assert facts.recipients == ("bob@gmail.com", "carol@example.org")
    assert facts.subject == "Vertraulich: Änderung [secure]"
    assert ("Sensitivity", "Company-Confidential") in facts.headers
    assert list(facts.header_values("sensitivity")) == ["Company-Confidential"]
    assert facts.body_text.strip() == "Plain body with the account number."
    assert "HTML body" not in facts.body_text  # plain text is preferred over its HTML alternative
    assert facts.attachment_names == ("Q3 Report.PDF", "übersicht.png")
    assert facts.size == len(MULTIPART)


def test_html_only_mail_is_read_as_text_without_script_or_style() -> None:
    raw = (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><title>T</title><style>p{}</style></head><body><script>var secret=1</script>"
        b"<p>Account&nbsp;number: 1234</p></body></html>"
    )
    facts = read(raw)
    assert "Account\xa0number: 1234" in facts.body_text
    assert "secret" not in facts.body_text and "p{}" not in facts.body_text


def test_unknown_charset_and_broken_encoding_do_not_raise() -> None:
    raw = (
        b"Subject: =?x-unknown?q?abc?=\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64\xff\xfe\r\n"
    )
    facts = read(raw)
    assert isinstance(facts.body_text, str)
    assert facts.subject


def test_facts_are_valid_utf8_even_from_undecodable_bytes() -> None:
    raw = b"Subject: caf\xe9 \xff\r\nX-Bin: \x80\x81\r\n\r\nbody \xff\xfe\r\n"
    facts = facts_from_message(raw, envelope_from="a\udcff@x", envelope_to=["b@y"])
    for text in (facts.sender, facts.subject, facts.body_text, *(v for _, v in facts.headers)):
        text.encode("utf-8")  # raises on lone surrogates


def test_headers_and_attachments_are_bounded() -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(2000))
    raw = many + b"Subject: " + b"s" * 100_000 + b"\r\n\r\nbody"
    facts = read(raw)
    assert len(facts.headers) == 500
    assert all(len(value) <= 16 * 1024 for _, value in facts.headers)


def test_no_body_and_no_headers() -> None:
    for raw in (b"", b"\r\n", b"no colon here", b"Subject: only\r\n"):
        facts = read(raw)
        assert isinstance(facts, MailFacts)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    read(raw)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"Content-Type: multipart/mixed; boundary=b\r\n",
                b"Content-Type: message/rfc822\r\n",
                b"Content-Transfer-Encoding: base64\r\n",
                b"Content-Transfer-Encoding: quoted-printable\r\n",
                b"Content-Disposition: attachment; filename*=bogus''%ZZ\r\n",
                b"Subject: =?utf-8?b?!!?=\r\n",
                b"\r\n",
                b"--b\r\n",
                b"--b--\r\n",
                b"=E9=\r\n",
                b"<html><script>",
            ]
        ),
        max_size=40,
    )
)
def test_mime_shaped_garbage_never_raises(pieces: list[bytes]) -> None:
    read(b"".join(pieces))


def test_every_corpus_message_gives_facts_and_a_decision(corpora: Path) -> None:
    files = corpus_eml_files()
    assert files, f"no .eml files under {corpora}"
    rules = parse_rules(example_rules_text().replace("enabled = false", "enabled = true"), source="example")
    failures = []
    for file in files:
        try:
            facts = read(file.read_bytes())
            evaluate(rules, facts, org_domains=["example.org"])
        except Exception as exc:  # report every failing file, not just the first
            failures.append(f"{file.relative_to(corpora)}: {type(exc).__name__}: {exc}")
    assert failures == []
