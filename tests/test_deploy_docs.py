"""docs/deploy.md says what the deployment tests run: the same Postfix lines, Caddy block and settings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import msgspec

from mailseal.config import Settings
from support.postfix import MAILSEAL_TRANSPORT, RETURN_LISTENER, SUBMISSION

DOC = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_the_postfix_options_the_test_runs_are_the_documented_ones() -> None:
    for entry in (SUBMISSION, MAILSEAL_TRANSPORT, RETURN_LISTENER):
        for option in re.findall(r"-o (\S+)", entry):
            documented = option.replace("{relay}", "2526")
            assert f"-o {documented}" in DOC, f"docs/deploy.md lacks -o {documented}"


def test_the_caddy_blocks_proxy_to_mailseal() -> None:
    assert DOC.count("reverse_proxy 127.0.0.1:8080") == 2
    assert "tls internal" in DOC


def test_the_example_settings_are_settings_and_valid() -> None:
    example = re.search(r"```toml\n(.*?)```", DOC, re.S)
    assert example is not None
    values = tomllib.loads(example.group(1))
    assert set(values) <= set(Settings.__struct_fields__)
    msgspec.convert(values, Settings)
    assert values["smtp_url"].startswith("smtp://127.0.0.1:10026")
    assert "127.0.0.1:10026 inet" in DOC
