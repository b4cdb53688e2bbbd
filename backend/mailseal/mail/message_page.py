"""The head of `message.html` in the template's language, or two (bilingual), for `format.armor`.

The same page as the format room's English one (its look, `PAGE_STYLE`; no script, nothing remote), with
the words from the mail catalogues. Every inserted value is HTML-escaped here. In a bilingual page each
language is its own section with its own `lang` and `dir`, so a screen reader and the layout follow it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from mailseal.errors import InputError
from mailseal.format.armor_page import PAGE_END_OF_HEAD, PAGE_START, PAGE_STYLE
from mailseal.mail.language import Words, words_of

_EXTRA_STYLE = """section + section { margin-top: 32px; padding-top: 24px; border-top: 1px solid var(--line); }
"""


def message_page_head(
    *, languages: Sequence[str], view_url: str, org_name: str, sender: str, subject_hint: str | None = None
) -> str:
    """The page up to the armored envelope, in `languages` (the first leads: title and page language)."""
    if not view_url.startswith(("https://", "http://")):
        raise InputError("the view link must be an http(s) URL")
    said = words_of(languages)
    first = said[0]
    sections = "".join(_section(each, view_url=view_url, org_name=org_name, sender=sender,
                                subject_hint=subject_hint) for each in said)
    return (
        f'{PAGE_START}lang="{first.tag}" dir="{first.direction}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; form-action 'none'; base-uri 'none'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{_e(first.text('page_title', sender=sender))}</title>\n"
        f"<style>\n{PAGE_STYLE}{_EXTRA_STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        "<main>\n"
        f'<p class="org">{_e(org_name)}</p>\n'
        '<span class="lock" aria-hidden="true"></span>\n'
        f"{sections}"
        "</main>\n"
        f"{PAGE_END_OF_HEAD}"
    )


def _section(said: Words, *, view_url: str, org_name: str, sender: str, subject_hint: str | None) -> str:
    button = said.text("read_button")
    subject = (f'<p class="subject">{said.markup("subject", bold=False, subject=subject_hint)}</p>\n'
               if subject_hint else "")
    steps = "".join(f"<li>{text}</li>\n" for text in (
        said.markup("page_step_tap", button=button),
        _e(said.text("page_step_ios")),
        _e(said.text("page_step_android")),
        _e(said.text("page_step_forward")),
    ))
    return (
        f'<section lang="{said.tag}" dir="{said.direction}">\n'
        f"<h1>{_e(said.text('page_heading'))}</h1>\n"
        f"<p>{said.markup('page_sent', sender=sender, org=org_name)}</p>\n"
        f'{subject}<a class="read" href="{_e(view_url)}">{_e(button)}</a>\n'
        f"<h2>{_e(said.text('ways_heading'))}</h2>\n"
        f"<ol>\n{steps}</ol>\n"
        f'<p class="small">{_e(said.text("page_note"))}</p>\n'
        "</section>\n"
    )


def _e(value: str) -> str:
    return html.escape(value, quote=True)
