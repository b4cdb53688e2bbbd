"""Addresses from mail headers: normalised like sign-in addresses, and never read the wrong way."""

from __future__ import annotations

import pytest

from mailseal.errors import InputError
from mailseal.identity import normalise_address as identity_normalise
from mailseal.mail import display_name, normalise_address, parse_address_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bob@example.org", ["bob@example.org"]),
        ("Bob <Bob@Example.ORG>", ["bob@example.org"]),
        ('Alice <a@x.org>, "Smith, Bob" <b@y.org>, c@z.org', ["a@x.org", "b@y.org", "c@z.org"]),
        ("a@x.org, A@X.org", ["a@x.org"]),
        ("Team: a@x.org, b@y.org;", ["a@x.org", "b@y.org"]),
        ("undisclosed-recipients:;", []),
        ("=?utf-8?q?J=C3=B6rg?= <joerg@b\u00fccher.example>", ["joerg@xn--bcher-kva.example"]),
        ("Bob\r\n <bob@example.org>", ["bob@example.org"]),  # folded
        ("bob@example.org (Bob)", ["bob@example.org"]),
        ("not an address, bob@example.org", ["bob@example.org"]),
        ("", []),
        (None, []),
    ],
)
def test_parse_address_list(value: str | None, expected: list[str]) -> None:
    assert parse_address_list(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "alice@example.org <eve@evil.example>",  # CVE-2023-27043: one address shown, another used
        "alice@example.org)<eve@evil.example>",
        '"alice@example.org(" <eve@evil.example>)',
        "eve@[10.0.0.1]",
        "a@x.org" + ", b@y.org" * 10_000,
    ],
)
def test_ambiguous_lists_yield_nothing_rather_than_a_wrong_address(value: str) -> None:
    assert parse_address_list(value) == []


def test_display_name() -> None:
    assert display_name("Alice Example <alice@example.org>") == "Alice Example"
    assert display_name('"Smith, Bob" <b@y.org>, c@z.org') == "Smith, Bob"
    assert display_name("=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j@x.de>") == "Jörg Müller"
    assert display_name("Bob@Example.org") == "bob@example.org"
    assert display_name("=?utf-8?q?Eve=0D=0ABcc=3A_x=40y.z?= <e@x.org>") == "Eve Bcc: x@y.z"
    assert display_name("=?utf-8?q?Eve=0D=0ABcc:_x@y.z?= <e@x.org>") == ""  # reads as a group: ambiguous
    assert display_name("\u202eevil\u202c <e@x.org>") == "evil"
    assert display_name("") == "" and display_name(None) == ""


SAMPLES = [
    "alice@example.org", "  Alice.Smith@Example.ORG \n", "bob+tag@sub.example.co.uk", "anna@B\u00fccher.example",
    "x@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "o'brien@example.ie", "dev@localhost", "", "alice",
    "alice@", "@example.org", "alice@@example.org", "a b@example.org", '"quoted"@example.org',
    ".alice@example.org", "al..ice@example.org", "alice@example.org.", "alice@1.2.3.4", "j\u00f6rg@example.org",
    "alice@-example.org", "a" * 65 + "@example.org", "alice@" + "a" * 64 + ".org", "straße@stra\u00dfe.de",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_same_matching_form_as_identity(text: str) -> None:
    try:
        expected: str | None = identity_normalise(text)
    except InputError:
        expected = None
    try:
        got: str | None = normalise_address(text)
    except InputError:
        got = None
    assert got == expected
