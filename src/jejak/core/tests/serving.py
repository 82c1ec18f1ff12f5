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


def _start(env: dict[str, str], workers: int) -> tuple[str, subprocess.Popen[bytes], Path]:
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
    return f"http://127.0.0.1:{port}", proc, log


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, ready: str) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            if fetch(base + ready)[0] == 200:
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start:\n{log.read_text()}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def served(
    env: dict[str, str], *, workers: int = 2, ready: str = "/healthz"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server on a free loopback port with `workers` processes, answering 200 at `ready`
    once this enters; stopped (by its own pid) when it exits. Its errors go to a log file
    in JEJAK_VAR_DIR, shown if it fails to start."""
    base, proc, log = _start(env, workers)
    try:
        _wait_ready(base, proc, log, ready)
        yield base, proc
    finally:
        _stop(proc)


@contextmanager
def served_many(
    env: dict[str, str], count: int, *, workers: int = 1, ready: str = "/healthz"
) -> Iterator[list[tuple[str, subprocess.Popen[bytes]]]]:
    """`count` servers like `served`'s, started side by side (one start-up's wait, not
    `count`), as the app hosts behind one nginx."""
    started = []
    try:
        for _ in range(count):
            started.append(_start(env, workers))
        for base, proc, log in started:
            _wait_ready(base, proc, log, ready)
        yield [(base, proc) for base, proc, _ in started]
    finally:
        for _, proc, _ in started:
            _stop(proc)


def server_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment for a server: its own var directory, no Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return env | {"JEJAK_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "jejak.settings"} | extra
