"""Mailseal's own mails and message.html in the reader's language: catalogues, choice, and the real flows.

The wrapper and passcode mails are composed, parsed back and read in German, French and Arabic; a bilingual
template gives both languages, the first leading; the passcode mail follows the language the app asked in.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import io
import re
from pathlib import Path
from typing import Any

import pytest
from babel import Locale

from mailseal import format as fmt
from mailseal.composition import open_instance
from mailseal.config import Settings, load_settings
from mailseal.errors import ConfigError, InputError, MailsealError, RulesError
from mailseal.languages import LANGUAGES, checked_languages, negotiate
from mailseal.mail import Branding, compose_passcode_mail, compose_wrapper_mail, find_envelopes
from mailseal.mail.language import catalogue, placeholders, words
from mailseal.mail.message_page import message_page_head
from mailseal.mail.outbox import MaildirOutbox
from mailseal.mail.relay import Submission
from mailseal.messages.outgoing import OutgoingFlow, OutgoingSettings
from mailseal.rules import RulesFile
from mailseal.rules.parse import parse_rules
from support.mailseal_app import running_app

VIEW_URL = "https://mail.contoso.example/m/abc123"
EXPIRES = 1_900_000_000  # Sunday 17 March 2030, 17:46 UTC
ENVELOPE = b"mailseal/v1\n" + bytes(range(256)) * 4


def parse(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def bodies(raw: bytes) -> tuple[str, str]:
    message = parse(raw)
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def wrapper(languages: tuple[str, ...], **changes: Any) -> bytes:
    values: dict[str, Any] = {
        "branding": Branding(org_name="Contoso", languages=languages),
        "mail_from": "no-reply@contoso.example", "sender_display": "Alice Martin", "recipient": "bob@example.org",
        "subject": "Q3", "view_url": VIEW_URL, "expires_at": EXPIRES, "template": "do-not-forward",
        "message_html": b"<html></html>", "forward_hint_domain": "in.contoso.example",
        "message_id_domain": "contoso.example",
    }
    values.update(changes)
    raw: bytes = compose_wrapper_mail(**values)
    return raw


def passcode(language: str, code: str = "04815162") -> bytes:
    raw: bytes = compose_passcode_mail(
        branding=Branding(org_name="Contoso"), mail_from="no-reply@contoso.example", recipient="bob@example.org",
        code=code, reference="K7QF", expires_minutes=10, message_id_domain="contoso.example", language=language,
    )
    return raw


# The catalogues


@pytest.mark.parametrize("tag", LANGUAGES)
def test_every_catalogue_has_the_english_keys_and_placeholders(tag: str) -> None:
    english, own = catalogue("en"), catalogue(tag)
    assert sorted(own) == sorted(english), f"{tag}: missing {set(english) - set(own)}, unused {set(own) - set(english)}"
    needed = set(Locale.parse(tag, sep="-").plural_form.tags) | {"other"}
    for key, value in english.items():
        translated = own[key]
        assert type(translated) is type(value), f"{tag}.{key}: a plural in one and not the other"
        assert placeholders(translated) == placeholders(value), f"{tag}.{key}: placeholders differ"
        if isinstance(translated, dict):
            assert needed <= set(translated), f"{tag}.{key}: plural forms {needed - set(translated)} missing"
        if tag != "en":
            assert translated != value or key in {"expiry_moment", "wrapper_from"}, f"{tag}.{key} is English"


def test_every_key_is_used_by_the_mails() -> None:
    sources = "".join(path.read_text(encoding="utf-8") for path in (
        Path(__file__).resolve().parent.parent / "backend" / "mailseal" / "mail"
    ).glob("*.py"))
    unused = [key for key in catalogue("en") if f'"{key}"' not in sources and f"'{key}'" not in sources]
    assert not unused, f"keys no mail uses: {unused}"


def test_plurals_follow_each_language() -> None:
    assert words("en").text("passcode_valid", count=1) == "It is valid for 1 minute and works once."
    assert "5 minut " in words("pl").text("passcode_valid", count=5)
    assert "3 minuty" in words("pl").text("passcode_valid", count=3)
    assert "دقيقتين" in words("ar").text("passcode_valid", count=2)
    assert "3 دقائق" in words("ar").text("passcode_valid", count=3)


@pytest.mark.parametrize(("header", "expected"), [
    (None, "en"), ("", "en"), ("de", "de"), ("de-CH,de;q=0.9,en;q=0.8", "de"), ("fr-CA", "fr"),
    ("en;q=0.5, ja", "ja"), ("xx, nl;q=0.2", "nl"), ("pt", "pt-BR"), ("pt-PT", "pt-BR"), ("zh-CN", "zh-Hans"),
    ("zh-Hans-CN", "zh-Hans"), ("ar-EG", "ar"), ("de;q=0, it", "it"), ("tlh", "en"), ("de;q=banana, es", "es"),
    ("*", "en"), ("es;q=1.0000001", "en"), ("," * 10_000 + "de", "en"),
])
def test_accept_language_chooses_a_language_we_speak(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected


def test_language_lists_are_checked() -> None:
    assert checked_languages(["DE", "en", "de"], where="x") == ("de", "en")
    with pytest.raises(ConfigError, match="unknown language 'tlh'"):
        checked_languages(["tlh"], where="x")
    with pytest.raises(ConfigError, match="at most 2"):
        checked_languages(["de", "fr", "en"], where="x")


# The mails


def test_the_passcode_mail_in_german() -> None:
    message = parse(passcode("de"))
    assert message["Subject"] == "Ihr Mailseal-Code"
    text, html = bodies(passcode("de"))
    for body in (text, html):
        assert "04815162" in body and "K7QF" in body
        assert "10 Minuten lang gültig" in body
        assert "Geben Sie diesen Code niemals weiter." in body
        assert "ignore this mail" not in body and "valid for" not in body
        assert "Gesendet von Contoso mit Mailseal." in body
    assert '<html lang="de" dir="ltr">' in html


def test_the_passcode_mail_in_arabic_reads_right_to_left_and_keeps_the_code_left_to_right() -> None:
    text, html = bodies(passcode("ar", code="0481516223420815"))
    assert parse(passcode("ar"))["Subject"] == "رمز Mailseal الخاص بك"
    assert '<html lang="ar" dir="rtl">' in html
    assert 'lang="ar" dir="rtl" align="right"' in html
    assert re.search(r'<td align="center" dir="ltr"[^>]*>\s*<div[^>]*>0481 5162 2342 0815</div>', html)
    assert "0481 5162 2342 0815" in text and "10 دقائق" in text


def test_the_wrapper_mail_in_french() -> None:
    raw = wrapper(("fr",))
    message = parse(raw)
    assert message["Subject"] == "Alice Martin vous a envoyé un message protégé"
    assert message["From"].addresses[0].display_name == "Alice Martin via Contoso"
    text, html = bodies(raw)
    for body in (text, html):
        assert "Lire le message" in body
        assert "Ne pas transférer" in body
        assert "dimanche 17 mars 2030 à 17:46 UTC" in body
        assert "@in.contoso.example" in body
        assert "Read the message" not in body and "Do Not Forward" not in body
    attachment = [part for part in message.iter_attachments()]
    assert [part.get_filename() for part in attachment] == ["message.html"]


def test_a_bilingual_wrapper_speaks_both_the_first_leading() -> None:
    raw = wrapper(("de", "en"))
    message = parse(raw)
    assert message["Subject"] == "Alice Martin hat Ihnen eine geschützte Nachricht gesendet"
    text, html = bodies(raw)
    for body in (text, html):
        german, english = body.index("Nachricht lesen"), body.index("Read the message")
        assert german < english
        assert "Nicht weiterleiten" in body and "Do Not Forward" in body
        assert "Gesendet von Contoso mit Mailseal." in body and "Sent by Contoso with Mailseal." in body
    assert '<html lang="de" dir="ltr">' in html
    assert 'lang="en" dir="ltr"' in html


def test_a_bilingual_arabic_wrapper_marks_each_part_with_its_direction() -> None:
    _, html = bodies(wrapper(("ar", "en")))
    assert '<html lang="ar" dir="rtl">' in html
    rtl, ltr = html.index('lang="ar" dir="rtl"'), html.index('lang="en" dir="ltr"')
    assert rtl < ltr
    assert 'padding:0 20px 0 0' in html, "the Arabic list is indented on the right"


def test_values_stay_escaped_in_every_language() -> None:
    _, html = bodies(wrapper(("ja",), sender_display='<img src=x onerror=alert(1)> "Eve"'))
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_message_html_in_two_languages_round_trips() -> None:
    head = message_page_head(languages=("de", "en"), view_url=VIEW_URL, org_name="Contoso <Ltd>",
                             sender="alice@contoso.example", subject_hint="Q3")
    out = io.BytesIO()
    fmt.armor(io.BytesIO(ENVELOPE), out, head=head)
    page = out.getvalue()
    assert fmt.sniff(page[:64]) == "armored"
    text = page.decode()
    assert text.startswith('<!DOCTYPE html>\n<html data-mailseal-armor="v1" lang="de" dir="ltr">')
    assert text.index("Sie haben eine geschützte Nachricht") < text.index("You have a protected message")
    assert '<section lang="en" dir="ltr">' in text and "Contoso &lt;Ltd&gt;" in text
    assert "default-src 'none'" in text and "<script" not in text
    back = io.BytesIO()
    fmt.dearmor(io.BytesIO(page), back)
    assert back.getvalue() == ENVELOPE


def test_a_foreign_head_that_does_not_look_like_ours_is_refused() -> None:
    with pytest.raises(InputError):
        fmt.armor(io.BytesIO(ENVELOPE), io.BytesIO(), head="<html>no mark</html>")
    with pytest.raises(InputError):
        message_page_head(languages=("de",), view_url="javascript:alert(1)", org_name="x", sender="y")


# Settings and templates


def template_with(languages: str) -> str:
    return f'version = 1\n[templates.partners]\nrights = ["view"]\nlanguages = {languages}\n'


def test_templates_and_settings_name_languages(tmp_path: Path) -> None:
    rules = parse_rules(template_with('["de", "en"]'), source="rules.toml")
    assert rules.templates["partners"].languages == ("de", "en")
    with pytest.raises(RulesError, match=r"line 4.*unknown language 'klingon'"):
        parse_rules(template_with('["klingon"]'), source="rules.toml")
    with pytest.raises(RulesError, match="at most 2"):
        parse_rules(template_with('["de", "fr", "it"]'), source="rules.toml")
    assert load_settings(environ={}, data=str(tmp_path), mail_languages=["fr"]).mail_languages == ("fr",)
    with pytest.raises(MailsealError, match="mail_languages"):
        load_settings(environ={}, data=str(tmp_path), mail_languages=["xx"])


RULES = """
version = 1

[[rule]]
name = "Partners"
priority = 10
conditions = { subject_contains = ["[partners]"] }
action = { seal = "partners" }

[[rule]]
name = "Everything else to partners"
priority = 20
conditions = { subject_contains = ["[encrypt]"] }
action = { seal = "encrypt-only" }

[templates.partners]
rights = ["view", "reply"]
expires_days = 30
languages = ["de", "en"]
show_subject = true
"""


async def test_the_relay_seals_under_a_bilingual_template_and_the_org_language_otherwise(tmp_path: Path) -> None:
    settings = Settings(data=str(tmp_path), public_url="https://mail.contoso.example", org_name="Contoso",
                        org_domains=("contoso.example",), mail_from="no-reply@contoso.example",
                        mail_languages=("fr",))
    instance = await open_instance(settings)
    try:
        instance.folder.rules.write_text(RULES, encoding="utf-8")
        outbox = MaildirOutbox(instance.folder.outbox)
        flow = OutgoingFlow(instance.messages, RulesFile(instance.folder.rules), outbox, OutgoingSettings.of(settings))
        for subject in (b"[partners] Q3", b"[encrypt] plain"):
            result = await flow.submit(Submission(
                mail_from="alice@contoso.example", recipients=("bob@partner.example",), trace=b"", client="127.0.0.1",
                data=b"From: alice@contoso.example\r\nTo: bob@partner.example\r\nSubject: " + subject
                + b"\r\n\r\nHello\r\n",
            ))
            assert result.sealed
        mails = sorted((outbox.read_mail(entry.key).message for entry in outbox.list()),
                       key=lambda raw: b"[partners]" not in raw)
        partners, plain = (parse(raw) for raw in mails)
        text, _ = bodies(mails[0])
        assert "Nachricht lesen" in text and "Read the message" in text
        page = next(part for part in partners.iter_attachments()).get_content()
        assert 'lang="de"' in page[:120] and "You have a protected message" in page
        assert find_envelopes(mails[0])
        plain_text, _ = bodies(mails[1])
        assert "Lire le message" in plain_text and "Read the message" not in plain_text
        plain_page = next(part for part in plain.iter_attachments()).get_content()
        assert "Vous avez un message protégé" in plain_page
    finally:
        await instance.close()


async def test_the_passcode_mail_speaks_the_language_the_app_asked_in(tmp_path: Path) -> None:
    async with running_app(tmp_path) as app:
        for header, expected in (("de-DE,de;q=0.9", "Ihr Mailseal-Code"), ("ja", "Mailseal のコード"),
                                 ("tlh", "Your Mailseal code")):
            response = await app.post("/api/auth/code", json={"email": "bob@gmail.com"},
                                      headers={"Accept-Language": header})
            assert response.status_code == 202
            assert app.last_mail_to("bob@gmail.com")["Subject"] == expected
