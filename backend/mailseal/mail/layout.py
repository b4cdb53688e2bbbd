"""The bodies of Mailseal's own mails: a plain-text part and an HTML part that reads well on a phone.

The HTML is what mail clients render reliably: nested tables, inline styles, a 600 px column that
shrinks on a phone, a button built from a coloured table cell, web-safe fonts, no script, no CSS
blocks and no remote image except an https logo. Every inserted value is HTML-escaped here, at the one
place where text meets markup. The words come from `language.Words`, one language or two (bilingual),
each part marked with its own `lang` and `dir`.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Sequence

import msgspec

from mailseal.mail.language import Words

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
MONO = "'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace"
TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"'
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Frame(msgspec.Struct, frozen=True, kw_only=True):
    """The branded frame around every mail's content (values are plain text, not yet escaped)."""

    org_name: str
    colour: str
    button_text_colour: str
    logo_src: str = ""
    disclaimer: str = ""


class WrapperContent(msgspec.Struct, frozen=True, kw_only=True):
    """What the wrapper mail is about (plain text values; the words around them come per language)."""

    sender: str
    subject: str
    intro: str
    template: str
    view_url: str
    expires_at: int | None
    forward_hint_domain: str


class PasscodeContent(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    reference: str
    expires_minutes: int


# The built-in templates' names, said in each language; an organisation's own template keeps its name.
TEMPLATE_KEYS = {"encrypt-only": "template_encrypt_only", "do-not-forward": "template_do_not_forward"}


def template_label(words: Words, template: str) -> str:
    key = TEMPLATE_KEYS.get(template)
    return words.text(key) if key else template


def wrapper_heading(words: Words, sender: str) -> str:
    return words.text("wrapper_heading", sender=sender)


def body_text(value: str, *, limit: int = 4000) -> str:
    """Text for a body: line breaks kept, controls and bidi overrides removed."""
    value = _BODY_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.strip()[:limit]


def wrapper_text(frame: Frame, content: WrapperContent, languages: Sequence[Words]) -> str:
    lines: list[str] = []
    for index, words in enumerate(languages):
        if index:
            lines += ["", "* * *", ""]
        lines += _wrapper_text_section(words, content)
    lines += ["", *_footer_lines(frame, languages)]
    return _wrap(lines)


def _wrapper_text_section(words: Words, content: WrapperContent) -> list[str]:
    button = words.text("read_button")
    lines = [wrapper_heading(words, content.sender), ""]
    if content.subject:
        lines += [words.text("subject", subject=content.subject), ""]
    if content.intro:
        lines += [content.intro, ""]
    if content.template:
        lines.append(f"{words.text('protection')} {template_label(words, content.template)}")
    if content.expires_at is not None:
        lines.append(words.text("read_until", moment=words.moment(content.expires_at)))
    lines += [
        "",
        f"{button}:",
        content.view_url,
        "",
        f"{words.text('ways_heading')}:",
        f"- {words.text('way_link', button=button)}",
        f"- {words.text('way_ios')}",
        f"- {words.text('way_android')}",
    ]
    if content.forward_hint_domain:
        lines.append(f"- {words.text('way_forward', domain='@' + content.forward_hint_domain)}")
    return lines


def wrapper_html(frame: Frame, content: WrapperContent, languages: Sequence[Words]) -> str:
    rows: list[str] = []
    for index, words in enumerate(languages):
        if index:
            rows.append(_divider_row())
        rows += _wrapper_html_section(frame, content, words)
    first = languages[0]
    heading = wrapper_heading(first, content.sender)
    return _page(frame, languages, title=heading, preheader=heading, rows=rows)


def _wrapper_html_section(frame: Frame, content: WrapperContent, words: Words) -> list[str]:
    e = _escape
    button = words.text("read_button")
    rows = [_heading_row(words, wrapper_heading(words, content.sender))]
    if content.subject:
        rows.append(_text_row(words, words.markup("subject", bold=False, subject=content.subject)))
    if content.intro:  # the organisation's words, in whatever language it wrote them
        rows.append(_text_row(words, f'<div dir="auto">{_paragraphs(content.intro)}</div>'))
    facts = []
    if content.template:
        facts.append(
            f'<span style="display:inline-block;padding:2px 8px;border-radius:4px;background-color:#eef2ff;'
            f'color:#3730a3;font-size:13px;">{e(template_label(words, content.template))}</span>'
        )
    if content.expires_at is not None:
        facts.append(words.markup("read_until", moment=words.moment(content.expires_at)))
    if facts:
        rows.append(_text_row(words, " ".join(facts), size=14))
    rows.append(_button_row(frame, words, content.view_url))
    ways = [
        words.markup("way_link", button=button),
        _labelled(words.text("way_ios")),
        _labelled(words.text("way_android")),
    ]
    if content.forward_hint_domain:
        ways.append(words.markup("way_forward", domain="@" + content.forward_hint_domain))
    items = "".join(f'<li style="margin:0 0 6px 0;">{way}</li>' for way in ways)
    indent = "0 20px 0 0" if words.direction == "rtl" else "0 0 0 20px"
    rows.append(_text_row(
        words,
        f'<p style="margin:0 0 8px 0;font-weight:bold;color:#111827;">{e(words.text("ways_heading"))}</p>'
        f'<ul style="margin:0;padding:{indent};">{items}</ul>',
        size=15,
    ))
    rows.append(_text_row(
        words,
        f'{e(words.text("link_fallback"))} <a href="{e(content.view_url)}" '
        f'style="color:{e(frame.colour)};word-break:break-all;" dir="ltr">{e(content.view_url)}</a>',
        size=13,
        colour="#6b7280",
    ))
    return rows


def _readable_code(code: str) -> str:
    """A long code in groups of four digits, as people read and type it; an 8-digit code as it is."""
    if len(code) <= 8:
        return code
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def passcode_text(frame: Frame, content: PasscodeContent, words: Words) -> str:
    lines = [
        f"{words.text('passcode_heading')}:",
        "",
        f"    {_readable_code(content.code)}",
        "",
        words.text("passcode_reference", reference=content.reference),
        words.text("passcode_valid", count=content.expires_minutes),
        "",
        words.text("passcode_ignore"),
        "",
        *_footer_lines(frame, [words]),
    ]
    return _wrap(lines)


def passcode_html(frame: Frame, content: PasscodeContent, words: Words) -> str:
    e = _escape
    size, line, spacing = (36, 44, 6) if len(content.code) <= 8 else (24, 32, 3)
    heading = words.text("passcode_heading")
    rows = [
        _heading_row(words, heading),
        '<tr><td align="center" dir="ltr" style="padding:8px 24px 16px 24px;">'
        f'<div style="display:inline-block;padding:12px 20px;border-radius:8px;background-color:#f3f4f6;'
        f"font-family:{MONO};font-size:{size}px;line-height:{line}px;letter-spacing:{spacing}px;font-weight:bold;"
        f'color:#111827;">{e(_readable_code(content.code))}</div></td></tr>',
        _text_row(words, words.markup("passcode_reference", reference=content.reference)),
        _text_row(words, e(words.text("passcode_valid", count=content.expires_minutes))),
        _text_row(words, e(words.text("passcode_ignore")), size=14, colour="#6b7280"),
    ]
    preheader = words.text("passcode_reference", reference=content.reference).split(". ")[0].rstrip(".") + "."
    return _page(frame, [words], title=heading, preheader=preheader, rows=rows)


def _labelled(text: str) -> str:
    """"iPhone or iPad: or save…" with the part before the first colon in bold (any language's colon)."""
    for colon in (":", "\uff1a"):  # the ASCII colon, and the full-width one of Chinese and Japanese
        label, found, rest = text.partition(colon)
        if found and len(label) <= 40:
            return f"<strong>{_escape(label)}{colon}</strong>{_escape(rest)}"
    return _escape(text)


def _wrap(lines: list[str]) -> str:
    """Lines of at most 76 characters where words allow, so the text part can travel as 7bit."""
    out = []
    for line in "\n".join(lines).split("\n"):
        indent = "  " if line.startswith("- ") else ""
        out.append(textwrap.fill(line, width=76, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) if len(line) > 76 else line)
    return "\n".join(out) + "\n"


PRODUCT = "Mailseal"


def sent_by(words: Words, org_name: str) -> str:
    """The footer's last line; an organisation that kept the default name is not named twice."""
    if org_name.strip().casefold() == PRODUCT.casefold():
        return words.text("sent_with")
    return words.text("sent_by", org=org_name)


def _footer_lines(frame: Frame, languages: Sequence[Words]) -> list[str]:
    lines = ["--"]
    if frame.disclaimer:
        lines += [frame.disclaimer, ""]
    lines += [sent_by(words, frame.org_name) for words in languages]
    return lines


def _page(frame: Frame, languages: Sequence[Words], *, title: str, preheader: str, rows: list[str]) -> str:
    e = _escape
    first = languages[0]
    if frame.logo_src:
        brand = (f'<img src="{e(frame.logo_src)}" alt="{e(frame.org_name)}" height="40" '
                 'style="display:block;height:40px;width:auto;max-width:240px;border:0;outline:none;">')
    else:
        brand = (f'<span style="font-family:{FONT};font-size:18px;font-weight:bold;color:{e(frame.colour)};">'
                 f"{e(frame.org_name)}</span>")
    footer = []
    if frame.disclaimer:
        footer.append(f'<p dir="auto" style="margin:0 0 8px 0;">{_lines(frame.disclaimer)}</p>')
    footer += [f'<p style="margin:0;" lang="{words.tag}" dir="{words.direction}">'
               f"{e(sent_by(words, frame.org_name))}</p>" for words in languages]
    body = "\n".join(rows)
    footer_html = "".join(footer)
    return f"""<!DOCTYPE html>
<html lang="{first.tag}" dir="{first.direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<meta name="supported-color-schemes" content="light">
<title>{e(title)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f3f4f6;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">{e(preheader)}</div>
<table {TABLE} width="100%" style="background-color:#f3f4f6;">
<tr><td align="center" style="padding:24px 8px;">
<!--[if mso]><table {TABLE} width="600"><tr><td><![endif]-->
<table {TABLE} width="100%" style="max-width:600px;background-color:#ffffff;border-radius:8px;">
<tr><td style="padding:24px 24px 8px 24px;border-top:4px solid {e(frame.colour)};">{brand}</td></tr>
{body}
<tr><td style="padding:16px 24px 24px 24px;border-top:1px solid #e5e7eb;font-family:{FONT};font-size:12px;
line-height:18px;color:#6b7280;">{footer_html}</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
"""


def _cell(words: Words) -> str:
    """A cell's language and direction, so a bilingual mail reads each part in its own."""
    align = "right" if words.direction == "rtl" else "left"
    return f'lang="{words.tag}" dir="{words.direction}" align="{align}"'


def _heading_row(words: Words, text: str) -> str:
    return (f'<tr><td {_cell(words)} style="padding:8px 24px 8px 24px;font-family:{FONT};font-size:22px;'
            f'line-height:30px;font-weight:bold;color:#111827;">{_escape(text)}</td></tr>')


def _text_row(words: Words, inner_html: str, *, size: int = 16, colour: str = "#374151") -> str:
    return (f'<tr><td {_cell(words)} style="padding:8px 24px 8px 24px;font-family:{FONT};font-size:{size}px;'
            f'line-height:{size + 8}px;color:{colour};">{inner_html}</td></tr>')


def _divider_row() -> str:
    return ('<tr><td style="padding:16px 24px 8px 24px;">'
            '<hr style="border:0;border-top:1px solid #e5e7eb;margin:0;"></td></tr>')


def _button_row(frame: Frame, words: Words, url: str) -> str:
    e = _escape
    return (
        f'<tr><td align="center" lang="{words.tag}" dir="{words.direction}" style="padding:16px 24px 24px 24px;">'
        f'<table {TABLE} width="100%" style="max-width:360px;">'
        f'<tr><td align="center" bgcolor="{e(frame.colour)}" '
        f'style="border-radius:8px;background-color:{e(frame.colour)};">'
        f'<a href="{e(url)}" target="_blank" style="display:block;padding:16px 24px;font-family:{FONT};font-size:18px;'
        f'line-height:24px;font-weight:bold;color:{e(frame.button_text_colour)};text-decoration:none;border-radius:8px;">'
        f"{e(words.text('read_button'))}</a></td></tr></table></td></tr>"
    )


def _paragraphs(text: str) -> str:
    return "".join(f'<p style="margin:0 0 8px 0;">{_lines(block)}</p>' for block in text.split("\n\n") if block)


def _lines(text: str) -> str:
    return "<br>".join(_escape(line) for line in text.split("\n"))


def _escape(value: str) -> str:
    return html.escape(value, quote=True)
