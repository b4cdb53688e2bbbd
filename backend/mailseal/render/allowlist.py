"""The elements and attributes a mail may keep. Everything not named here is removed.

`MAIL_TAGS` and `MAIL_ATTRIBUTES` use the names a mail uses; `TAGS` and `ATTRIBUTES` are the same lists
under the names the parser sees after `markup.prepare` (`b` is `x-b` there).
"""

from __future__ import annotations

from mailseal.render.markup import FORMATTING_TAGS, RENAMED_PREFIX, TOKENIZER_SWITCHING_TAGS

_HEADINGS = {f"h{level}" for level in range(1, 7)}


def parser_name(tag: str) -> str:
    """The name `markup.prepare` gives a tag."""
    renamed = tag in FORMATTING_TAGS or tag in TOKENIZER_SWITCHING_TAGS
    return f"{RENAMED_PREFIX}{tag}" if renamed else tag


MAIL_TAGS = frozenset(
    {
        "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br", "caption",
        "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "font", "footer", "header", "hr", "i", "img", "ins", "kbd", "li", "main",
        "mark", "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
        "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
        "tr", "tt", "u", "ul", "var", "wbr",
    }
    | _HEADINGS
)  # fmt: skip
TAGS = frozenset(parser_name(tag) for tag in MAIL_TAGS)
# The formatting elements kept, which get their names back after sanitizing.
RESTORED_TAGS = tuple(tag for tag in FORMATTING_TAGS if tag in MAIL_TAGS)

# Removed together with everything inside them. The tokenizer-switching tags arrive renamed (`x-style`);
# their plain names are listed too, so this holds even for markup that was not prepared.
# `x-noscript`, `x-xmp` and `x-plaintext` are not here: their content is what a mail reader without
# scripts would show, so only the tags go.
_KEPT_CONTENT = {"noscript", "xmp", "plaintext"}
DROPPED_WITH_CONTENT = frozenset(
    {f"{RENAMED_PREFIX}{name}" for name in TOKENIZER_SWITCHING_TAGS if name not in _KEPT_CONTENT}
    | {name for name in TOKENIZER_SWITCHING_TAGS if name not in _KEPT_CONTENT}
    | {
        "applet", "audio", "canvas", "datalist", "embed", "frame", "frameset", "head", "map",
        "object", "option", "select", "template", "video",
    }
)  # fmt: skip

_TABLE_CELL = {"width", "height", "bgcolor", "background", "valign", "colspan", "rowspan", "nowrap", "scope"}

MAIL_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"title", "lang", "dir", "style", "align"},
    "a": {"href"},
    "img": {"src", "srcset", "alt", "width", "height", "border", "hspace", "vspace", "valign"},
    "table": {"width", "height", "border", "cellpadding", "cellspacing", "bgcolor", "background", "frame", "rules"},
    "tr": {"bgcolor", "background", "valign", "height"},
    "td": _TABLE_CELL,
    "th": _TABLE_CELL | {"abbr"},
    "thead": {"valign", "bgcolor"},
    "tbody": {"valign", "bgcolor"},
    "tfoot": {"valign", "bgcolor"},
    "col": {"span", "width", "valign", "bgcolor"},
    "colgroup": {"span", "width", "valign", "bgcolor"},
    "font": {"color", "face", "size"},
    "div": {"bgcolor", "background"},
    "p": {"bgcolor"},
    "span": {"bgcolor"},
    "hr": {"width", "size", "noshade", "color"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "time": {"datetime"},
    "pre": {"width"},
    "details": {"open"},
}
ATTRIBUTES = {tag if tag == "*" else parser_name(tag): names for tag, names in MAIL_ATTRIBUTES.items()}

# Links open outside the viewer, send no referrer, and pass no standing to the target.
LINK_REL = "noopener noreferrer nofollow"
LINK_TARGET = "_blank"

# Absolute URL schemes nh3 lets through to our attribute filter, which narrows them per attribute.
URL_SCHEMES = frozenset({"http", "https", "mailto", "cid", "data"})

DIRECTIONS = frozenset({"ltr", "rtl", "auto"})
TEXT_ATTRIBUTES = frozenset({"title", "alt", "abbr"})
MAX_TEXT_ATTRIBUTE_CHARS = 1024
MAX_PRESENTATIONAL_CHARS = 128
