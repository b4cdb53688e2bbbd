"""The identity room's pure parts: address matching form, device names, passcode shapes."""

from __future__ import annotations

import pytest

from mailseal.errors import InvalidAddress
from mailseal.identity import device_name_from_user_agent, normalise_address
from mailseal.identity.passcode import LONG_CODE, REFERENCE_ALPHABET, clean_code, new_code, new_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@example.org", "alice@example.org"),
        ("  Alice.Smith@Example.ORG \n", "alice.smith@example.org"),
        ("bob+tag@sub.example.co.uk", "bob+tag@sub.example.co.uk"),
        ("anna@Bücher.example", "anna@xn--bcher-kva.example"),
        ("anna@xn--bcher-kva.example", "anna@xn--bcher-kva.example"),
        ("x@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", "x@example.com"),  # full-width letters
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("dev@localhost", "dev@localhost"),
    ],
)
def test_normalise_address_matching_form(text: str, expected: str) -> None:
    assert normalise_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "alice",
        "alice@",
        "@example.org",
        "alice@@example.org",
        "a b@example.org",
        '"quoted"@example.org',
        ".alice@example.org",
        "alice.@example.org",
        "al..ice@example.org",
        "alice@example..org",
        "alice@-example.org",
        "alice@example.org.",
        "alice@exa mple.org",
        "alice@[192.0.2.1]",
        "alice@192.0.2.1",
        "alice@exa_mple.org",
        "élodie@example.org",
        "alice@example.org\r\nBcc: x@example.org",
        "a" * 65 + "@example.org",
        "a@" + ".".join(["b" * 63] * 4) + ".org",
        "a" * 2000 + "@example.org",
    ],
)
def test_normalise_address_refuses(text: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        normalise_address(text)
    assert info.value.code == "input.invalid-address"


def test_normalise_address_length_limit_is_254() -> None:
    domain = ".".join(["d" * 60] * 3) + ".example"  # 190 characters
    local = "l" * (254 - 1 - len(domain))
    assert len(normalise_address(f"{local}@{domain}")) == 254
    with pytest.raises(InvalidAddress):
        normalise_address(f"{local}x@{domain}")


@pytest.mark.parametrize(
    ("ua", "name"),
    [
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.68",
            "Edge on Windows",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox on Linux"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_device_name_from_user_agent(ua: str, name: str) -> None:
    assert device_name_from_user_agent(ua) == name


def test_device_name_is_bounded() -> None:
    assert len(device_name_from_user_agent("Firefox/1 " * 10_000)) <= 64


def test_codes_and_references_have_their_shapes() -> None:
    codes = {new_code() for _ in range(200)}
    assert all(len(c) == 8 and c.isdigit() for c in codes)
    assert len(codes) > 190
    long_codes = {new_code(LONG_CODE) for _ in range(200)}
    assert all(len(c) == 16 and c.isdigit() for c in long_codes) and len(long_codes) == 200
    references = {new_reference() for _ in range(200)}
    assert all(len(r) == 4 and set(r) <= set(REFERENCE_ALPHABET) for r in references)
    assert not set(REFERENCE_ALPHABET) & set("0O1IL")


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("12345678", "12345678"), ("1234 5678", "12345678"), ("1234-5678", "12345678"), (" 12345678 ", "12345678"),
     ("1234 5678 9012 3456", "1234567890123456"), ("1234-5678-9012-3456", "1234567890123456")],
)
def test_clean_code_accepts_spacing(typed: str, digits: str) -> None:
    assert clean_code(typed) == digits


@pytest.mark.parametrize("typed", ["", "1234567", "123456789", "123456789012", "12345678901234567",
                                   "1234567a", "١٢٣٤٥٦٧٨", "1" * 1000])
def test_clean_code_refuses(typed: str) -> None:
    assert clean_code(typed) is None
