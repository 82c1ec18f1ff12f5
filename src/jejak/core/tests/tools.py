"""What the gate and fault tests need from the machine, found or reported alike.

A missing tool (initdb, redis-server, nginx ...) skips the test on a laptop and fails it
under CI=true, so CI cannot pass without running it (the browser tests do the same).
"""

from __future__ import annotations

import glob
import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(message: str) -> None:
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, *, hint: str = "") -> str:
    """The path of `name` on PATH, in /usr/sbin (Debian's nginx, off a user's PATH) or in
    Debian's PostgreSQL bin folders, else skip/fail."""
    found = shutil.which(name)
    if found is None:
        for folder in ["/usr/sbin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
            candidate = os.path.join(folder, name)
            if os.access(candidate, os.X_OK):
                found = candidate
                break
    if found is None:
        missing(f"{name} not found{f' ({hint})' if hint else ''}")
    assert found is not None
    return found
