"""Real server processes on loopback for the served tests, and a client for them.

`served()` is the one place that knows how Jejak is started as a server (today
`jejak serve`); the tests only see a base URL and the server's process.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent
JEJAK = shutil.which("jejak", path=str(BIN)) or "jejak"
START_SECONDS = 60.0  # a busy two-core CI machine imports Django slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """(status, body) of a GET, or of a POST when `data` is given."""
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def jejak(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """Run a `jejak` command (migrate, demo, shell ...) to completion."""
    return subprocess.run([JEJAK, *args], env=env, check=True, capture_output=True, timeout=300)


@contextmanager
def served(
    env: dict[str, str], *, workers: int = 2, ready: str = "/healthz"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server on a free loopback port with `workers` processes, answering 200 at `ready`
    once this enters; stopped (by its own pid) when it exits. Its errors go to a log file
    in JEJAK_VAR_DIR, shown if it fails to start."""
    port = free_port()
    log = Path(env["JEJAK_VAR_DIR"]) / f"serve-{port}.log"
    command = [JEJAK, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as errors:
        proc = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if fetch(base + ready)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def server_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a server: its own var directory, no Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {"JEJAK_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "jejak.settings"} | extra
