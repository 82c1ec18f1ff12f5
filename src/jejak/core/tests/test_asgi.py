"""What a server process has done before it takes its first request."""

import subprocess
import sys

_PROBE = """
import sys
import jejak.asgi
from django.urls import get_resolver
# The URLconf and the API (every app's router) are imported, and the resolver holds its
# patterns: a worker's first request does not wait seconds for them.
assert "jejak.urls" in sys.modules and "jejak.api" in sys.modules, "URLconf not loaded"
assert "url_patterns" in get_resolver().__dict__, "patterns not resolved"
"""


def test_the_application_loads_the_urlconf_before_its_first_request(tmp_path):
    # A fresh interpreter: this one imported the URLconf long ago.
    env = {"JEJAK_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "jejak.settings"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**_inherited(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _inherited() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
