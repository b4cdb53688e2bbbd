"""CI runs the deployment tests for real: Postfix and Caddy must be there, not quietly skipped.

In a user's clone without them those tests skip with a reason; `.ci/run` sets the variables below."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.mark.parametrize(("variable", "program"), [
    ("MAILSEAL_REQUIRE_POSTFIX", "/usr/sbin/postfix"),
    ("MAILSEAL_REQUIRE_CADDY", "caddy"),
])
def test_a_required_deployment_tool_is_installed(variable: str, program: str) -> None:
    if not os.environ.get(variable):
        pytest.skip(f"{variable} is not set: {program}'s tests may skip in this clone")
    assert shutil.which(program) or os.access(program, os.X_OK), f"{variable} is set but {program} is missing"
