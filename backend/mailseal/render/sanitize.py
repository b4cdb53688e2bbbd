"""Untrusted HTML mail → safe HTML: an nh3 allow-list, our own URL and style rules, no remote images.

This is the server's half of DESIGN §5.3; the viewer's sandbox and CSP (`viewer.py`) are the other half,
and each must hold alone. The steps: refuse oversized input; `markup.prepare` it (rename the tags with
parser side effects, cut long text nodes, measure), and show markup too complex to parse within `Limits`
as text; let nh3 parse and keep only `allowlist` elements and attributes, each attribute passing
`_AttributeRules`; give the formatting elements their names back and drop the `<img>` elements left
without a source.
"""

from __future__ import annotations

import re

import msgspec
import nh3

from mailseal.errors import TooLarge
from mailseal.render import allowlist
from mailseal.render.css import filter_style
from mailseal.render.flatten import markup_to_text
from mailseal.render.markup import LIMITS, RENAMED_PREFIX, Limits, prepare
from mailseal.render.text import text_to_html
from mailseal.render.unicode import well_formed
from mailseal.render.urls import CidUrl, image_src, is_remote, link_href

MAX_HTML_CHARS = 5 * 1024 * 1024

# nh3's serializer writes a tag as `<name` and then ` name="value"` per attribute, with `<`, `>` and `"`
# escaped in values and `<` in text, so these find each tag exactly.
_IMG = re.compile(r'<img((?: [^\s"\'>/=]+="[^"]*")*)>')
_RENAMED = re.compile(rf"<(/?){RENAMED_PREFIX}({'|'.join(allowlist.RESTORED_TAGS)})(?=[ >])")
_LINK = re.compile(r"<a href=")
_LINK_TAG = allowlist.parser_name("a")


class SanitizedHtml(msgspec.Struct, frozen=True, kw_only=True):
    """A mail body safe to put in the viewer, and what was taken out of it.

    `remote_images_blocked` counts images (and backgrounds) that would have been fetched from elsewhere;
    `links` counts the links kept. `simplified` means the markup was too complex to parse within our
    limits, so `html` shows its text only.
    """

    html: str
    remote_images_blocked: int
    links: int
    simplified: bool = False


class _AttributeRules:
    """The per-attribute decisions nh3 hands us, with what they removed; errors are kept to raise later."""

    def __init__(self, cid_url: CidUrl) -> None:
        self.cid_url = cid_url
        self.remote_images = 0
        self.links = 0
        self.error: Exception | None = None

    def __call__(self, tag: str, name: str, value: str) -> str | None:
        # nh3 would swallow an exception here and only drop the attribute; keep it and raise after cleaning.
        try:
            return self.decide(tag, name, value)
        except Exception as exc:
            self.error = self.error or exc
            return None

    def decide(self, tag: str, name: str, value: str) -> str | None:
        if name == "style":
            filtered = filter_style(value)
            self.remote_images += filtered.remote_urls
            return filtered.style
        if name in ("background", "srcset"):
            self.remote_images += is_remote(value)
            return None
        if tag == _LINK_TAG and name == "href":
            href = link_href(value)
            self.links += href is not None
            return href
        if tag == _LINK_TAG and name in ("rel", "target"):
            return value  # set by us: allowlist.LINK_REL and LINK_TARGET
        if tag == "img" and name == "src":
            src = image_src(value, self.cid_url)
            self.remote_images += src is None and is_remote(value)
            return src
        if name == "dir":
            direction = value.strip().lower()
            return direction if direction in allowlist.DIRECTIONS else None
        if name in allowlist.TEXT_ATTRIBUTES:
            return value[: allowlist.MAX_TEXT_ATTRIBUTE_CHARS]
        return value if len(value) <= allowlist.MAX_PRESENTATIONAL_CHARS else None


def _finish(cleaned: str) -> str:
    named = _RENAMED.sub(r"<\1\2", cleaned)
    return _IMG.sub(lambda m: m[0] if ' src="' in m[1] else "", named)


def _simplified(markup: str) -> SanitizedHtml:
    shown = text_to_html(markup_to_text(markup))
    return SanitizedHtml(html=shown, remote_images_blocked=0, links=len(_LINK.findall(shown)), simplified=True)


def sanitize_html(html: str, *, cid_url: CidUrl, limits: Limits = LIMITS) -> SanitizedHtml:
    """Sanitize an HTML mail body. `cid_url(content_id)` gives the URL of an inline part, or None to drop it.

    Raises `TooLarge` over `MAX_HTML_CHARS`, and whatever `cid_url` raises.
    """
    if len(html) > MAX_HTML_CHARS:
        raise TooLarge("The HTML body is too large to show")
    html = well_formed(html)
    prepared = prepare(html, limits)
    if prepared.exceeded:
        return _simplified(html)
    rules = _AttributeRules(cid_url)
    cleaned = nh3.clean(
        prepared.markup,
        tags=allowlist.TAGS,
        clean_content_tags=allowlist.DROPPED_WITH_CONTENT,
        attributes=allowlist.ATTRIBUTES,
        attribute_filter=rules,
        strip_comments=True,
        link_rel=None,  # nh3 adds it to `a` only, which is `x-a` here
        set_tag_attribute_values={_LINK_TAG: {"rel": allowlist.LINK_REL, "target": allowlist.LINK_TARGET}},
        url_schemes=allowlist.URL_SCHEMES,
        url_relative="pass_through",
    )
    if rules.error is not None:
        raise rules.error
    return SanitizedHtml(
        html=_finish(cleaned),
        remote_images_blocked=rules.remote_images,
        links=rules.links,
    )
