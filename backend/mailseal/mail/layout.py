"""The bodies of Mailseal's own mails: a plain-text part and an HTML part that reads well on a phone.

The HTML is what mail clients render reliably: nested tables, inline styles, a 600 px column that
shrinks on a phone, a button built from a coloured table cell, web-safe fonts, no script, no CSS
blocks and no remote image except an https logo. Every inserted value is HTML-escaped here, at the one
place where text meets markup.
"""

from __future__ import annotations

import html
import re
import textwrap
from datetime import UTC, datetime

import msgspec

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
MONO = "'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace"
READ_BUTTON = "Read the message"
TABLE = 'role="presentation" cellpadding="0" cellspacing="0" border="0"'
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_BODY_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Frame(msgspec.Struct, frozen=True, kw_only=True):
    """The branded frame around every mail's content (values are plain text, not yet escaped)."""

    org_name: str
    colour: str
    button_text_colour: str
    logo_src: str = ""
    disclaimer: str = ""


class WrapperContent(msgspec.Struct, frozen=True, kw_only=True):
    """What the wrapper mail says (plain text values)."""

    heading: str
    sender: str
    subject: str
    intro: str
    template_label: str
    view_url: str
    expires: str
    forward_hint_domain: str


class PasscodeContent(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    reference: str
    expires_minutes: int


def format_expiry(expires_at: int) -> str:
    """`Friday 28 November 2025, 14:05 UTC`: unambiguous in every locale, no clock of the reader needed."""
    moment = datetime.fromtimestamp(expires_at, UTC)
    return (f"{_WEEKDAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}, "
            f"{moment.hour:02d}:{moment.minute:02d} UTC")


def body_text(value: str, *, limit: int = 4000) -> str:
    """Text for a body: line breaks kept, controls and bidi overrides removed."""
    value = _BODY_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.strip()[:limit]


def wrapper_text(frame: Frame, content: WrapperContent) -> str:
    lines = [content.heading, ""]
    if content.subject:
        lines += [f"Subject: {content.subject}", ""]
    if content.intro:
        lines += [content.intro, ""]
    if content.template_label:
        lines.append(f"Protection: {content.template_label}")
    if content.expires:
        lines.append(f"You can read it until {content.expires}.")
    lines += [
        "",
        "Read the message:",
        content.view_url,
        "",
        "How to open it with Mailseal:",
        "- open the link above and sign in with a code we send to this address (any phone or computer);",
        "- iPhone or iPad: or save the attached message.html to Files, then open it in the Mailseal app"
        " (Open a protected message);",
        "- Android: or share the attached message.html to the Mailseal app;",
    ]
    if content.forward_hint_domain:
        lines.append(f"- or forward this mail to your Mailseal address (it ends in @{content.forward_hint_domain}).")
    lines += ["", *_footer_lines(frame)]
    return _wrap(lines)


def wrapper_html(frame: Frame, content: WrapperContent) -> str:
    e = _escape
    rows = [_heading_row(content.heading)]
    if content.subject:
        rows.append(_text_row(f"<strong>Subject:</strong> {e(content.subject)}"))
    if content.intro:
        rows.append(_text_row(_paragraphs(content.intro)))
    facts = []
    if content.template_label:
        facts.append(
            f'<span style="display:inline-block;padding:2px 8px;border-radius:4px;background-color:#eef2ff;'
            f'color:#3730a3;font-size:13px;">{e(content.template_label)}</span>'
        )
    if content.expires:
        facts.append(f"You can read it until <strong>{e(content.expires)}</strong>.")
    if facts:
        rows.append(_text_row(" ".join(facts), size=14))
    rows.append(_button_row(frame, content.view_url))
    ways = [
        f"Tap <strong>{READ_BUTTON}</strong> and sign in with a code we send to this address.",
        "<strong>iPhone or iPad:</strong> or save the attached <strong>message.html</strong> to Files, then "
        "open it in the Mailseal app (<em>Open a protected message</em>).",
        "<strong>Android:</strong> or share the attached <strong>message.html</strong> to the Mailseal app.",
    ]
    if content.forward_hint_domain:
        ways.append(
            "Or forward this mail to your Mailseal address "
            f"(it ends in <strong>@{e(content.forward_hint_domain)}</strong>)."
        )
    items = "".join(f'<li style="margin:0 0 6px 0;">{way}</li>' for way in ways)
    rows.append(_text_row(
        '<p style="margin:0 0 8px 0;font-weight:bold;color:#111827;">How to open it</p>'
        f'<ul style="margin:0;padding:0 0 0 20px;">{items}</ul>',
        size=15,
    ))
    rows.append(_text_row(
        f'If the button does not work, open this link: <a href="{e(content.view_url)}" '
        f'style="color:{e(frame.colour)};word-break:break-all;">{e(content.view_url)}</a>',
        size=13,
        colour="#6b7280",
    ))
    return _page(frame, title=content.heading, preheader=content.heading, rows=rows)


def _readable_code(code: str) -> str:
    """A long code in groups of four digits, as people read and type it; an 8-digit code as it is."""
    if len(code) <= 8:
        return code
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def passcode_text(frame: Frame, content: PasscodeContent) -> str:
    lines = [
        "Your Mailseal code:",
        "",
        f"    {_readable_code(content.code)}",
        "",
        f"This code belongs to sign-in {content.reference}. Check that the screen shows the same reference.",
        f"It is valid for {content.expires_minutes} minutes and works once.",
        "",
        "If you did not ask for it, ignore this mail: nobody can sign in without the code.",
        "Never give this code to anyone.",
        "",
        *_footer_lines(frame),
    ]
    return _wrap(lines)


def passcode_html(frame: Frame, content: PasscodeContent) -> str:
    e = _escape
    size, line, spacing = (36, 44, 6) if len(content.code) <= 8 else (24, 32, 3)
    rows = [
        _heading_row("Your Mailseal code"),
        '<tr><td align="center" style="padding:8px 24px 16px 24px;">'
        f'<div style="display:inline-block;padding:12px 20px;border-radius:8px;background-color:#f3f4f6;'
        f"font-family:{MONO};font-size:{size}px;line-height:{line}px;letter-spacing:{spacing}px;font-weight:bold;"
        f'color:#111827;">{e(_readable_code(content.code))}</div></td></tr>',
        _text_row(
            f"This code belongs to sign-in <strong>{e(content.reference)}</strong>. "
            "Check that the screen shows the same reference."
        ),
        _text_row(f"It is valid for {content.expires_minutes} minutes and works once."),
        _text_row(
            "If you did not ask for it, ignore this mail: nobody can sign in without the code. "
            "Never give this code to anyone.",
            size=14,
            colour="#6b7280",
        ),
    ]
    return _page(frame, title="Your Mailseal code",
                 preheader=f"This code belongs to sign-in {content.reference}.", rows=rows)


def _wrap(lines: list[str]) -> str:
    """Lines of at most 76 characters where words allow, so the text part can travel as 7bit."""
    out = []
    for line in "\n".join(lines).split("\n"):
        indent = "  " if line.startswith("- ") else ""
        out.append(textwrap.fill(line, width=76, subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) if len(line) > 76 else line)
    return "\n".join(out) + "\n"


PRODUCT = "Mailseal"


def sent_by(org_name: str) -> str:
    """The footer's last line; an organisation that kept the default name is not named twice."""
    if org_name.strip().casefold() == PRODUCT.casefold():
        return f"Sent with {PRODUCT}."
    return f"Sent by {org_name} with {PRODUCT}."


def _footer_lines(frame: Frame) -> list[str]:
    lines = ["--"]
    if frame.disclaimer:
        lines += [frame.disclaimer, ""]
    lines.append(sent_by(frame.org_name))
    return lines


def _page(frame: Frame, *, title: str, preheader: str, rows: list[str]) -> str:
    e = _escape
    if frame.logo_src:
        brand = (f'<img src="{e(frame.logo_src)}" alt="{e(frame.org_name)}" height="40" '
                 'style="display:block;height:40px;width:auto;max-width:240px;border:0;outline:none;">')
    else:
        brand = (f'<span style="font-family:{FONT};font-size:18px;font-weight:bold;color:{e(frame.colour)};">'
                 f"{e(frame.org_name)}</span>")
    footer = []
    if frame.disclaimer:
        footer.append(f'<p style="margin:0 0 8px 0;">{_lines(frame.disclaimer)}</p>')
    footer.append(f'<p style="margin:0;">{e(sent_by(frame.org_name))}</p>')
    body = "\n".join(rows)
    footer_html = "".join(footer)
    return f"""<!DOCTYPE html>
<html lang="en">
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


def _heading_row(text: str) -> str:
    return (f'<tr><td style="padding:8px 24px 8px 24px;font-family:{FONT};font-size:22px;line-height:30px;'
            f'font-weight:bold;color:#111827;">{_escape(text)}</td></tr>')


def _text_row(inner_html: str, *, size: int = 16, colour: str = "#374151") -> str:
    return (f'<tr><td style="padding:8px 24px 8px 24px;font-family:{FONT};font-size:{size}px;'
            f'line-height:{size + 8}px;color:{colour};">{inner_html}</td></tr>')


def _button_row(frame: Frame, url: str) -> str:
    e = _escape
    return (
        '<tr><td align="center" style="padding:16px 24px 24px 24px;">'
        f'<table {TABLE} width="100%" style="max-width:360px;">'
        f'<tr><td align="center" bgcolor="{e(frame.colour)}" '
        f'style="border-radius:8px;background-color:{e(frame.colour)};">'
        f'<a href="{e(url)}" target="_blank" style="display:block;padding:16px 24px;font-family:{FONT};font-size:18px;'
        f'line-height:24px;font-weight:bold;color:{e(frame.button_text_colour)};text-decoration:none;border-radius:8px;">'
        f"{READ_BUTTON}</a></td></tr></table></td></tr>"
    )


def _paragraphs(text: str) -> str:
    return "".join(f'<p style="margin:0 0 8px 0;">{_lines(block)}</p>' for block in text.split("\n\n") if block)


def _lines(text: str) -> str:
    return "<br>".join(_escape(line) for line in text.split("\n"))


def _escape(value: str) -> str:
    return html.escape(value, quote=True)
