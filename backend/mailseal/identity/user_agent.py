"""A human name for a device ("Chrome on Android") from its User-Agent, for the device list.

Only a label to help a person recognise their own devices, never a security decision: a User-Agent is
whatever the client says. Rules are tried in order; the first match wins (Edge and Opera claim to be
Chrome, Chrome claims to be Safari, iPadOS claims to be a Mac, so order matters).
"""

from __future__ import annotations

import re

MAX_DEVICE_NAME_LENGTH = 64
MAX_USER_AGENT_LENGTH = 1024
UNKNOWN_DEVICE = "Unknown device"

_BROWSERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("Edge", r"\bEdg(?:e|A|iOS)?/"),
        ("Opera", r"\bOPR/|\bOPiOS/|\bOpera\b"),
        ("Samsung Internet", r"\bSamsungBrowser/"),
        ("Firefox", r"\bFirefox/|\bFxiOS/"),
        ("Chrome", r"\bChrome/|\bCriOS/"),
        ("Safari", r"\bVersion/[\d.]+.*\bSafari/"),
    )
)

_SYSTEMS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("iPad", r"\biPad\b"),
        ("iPhone", r"\biPhone\b|\biPod\b"),
        ("Android", r"\bAndroid\b"),
        ("ChromeOS", r"\bCrOS\b"),
        ("Windows", r"\bWindows\b"),
        ("macOS", r"\bMacintosh\b|\bMac OS X\b"),
        ("Linux", r"\bLinux\b"),
    )
)


def device_name_from_user_agent(ua: str) -> str:
    """'<browser> on <system>', or the half that is known, or 'Unknown device'; at most 64 characters."""
    ua = ua[:MAX_USER_AGENT_LENGTH]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(ua)), None)
    system = next((name for name, pattern in _SYSTEMS if pattern.search(ua)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or UNKNOWN_DEVICE


def clean_device_name(name: str) -> str:
    """A device name safe to store and show: printable, single-line, trimmed, bounded."""
    printable = "".join(ch if ch.isprintable() else " " for ch in name[: MAX_DEVICE_NAME_LENGTH * 4])
    cleaned = " ".join(printable.split())[:MAX_DEVICE_NAME_LENGTH].strip()
    return cleaned or UNKNOWN_DEVICE
