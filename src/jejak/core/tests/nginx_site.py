"""The repository's nginx file (deploy/nginx/jejak.conf) run in front of test servers.

`site_for_test` keeps what the file says about Jejak (the log format, the upstream's
balancing and keep-alive, the headers, timeouts, retries and locations) and changes only
what a test machine cannot have: the upstream's addresses become the test servers', the
TLS site listens on plain http on a free loopback port, the redirecting and refusing
sites go, and the logs are written under the test's folder. `nginx()` runs it as a
foreground master with its own prefix, pid file and temporary folders, stopped by its pid.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jejak
from jejak.core.tests.serving import START_SECONDS, fetch, free_port

TEMPLATE = Path(jejak.__file__).resolve().parents[2] / "deploy" / "nginx" / "jejak.conf"

# Lines of the TLS site that a plain-http test site cannot keep.
_DROPPED = re.compile(r"\s*(listen|server_name|ssl_\w+|add_header\s+Strict-Transport-Security)\b")


def _statements(text: str) -> list[str]:
    """The top-level statements of an nginx file (`name ...;` or `name ... { ... }`), its
    comments removed."""
    statements, current, depth, quote = [], [], 0, ""
    for line in text.splitlines():
        kept = []
        for char in line:
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#":
                break
            kept.append(char)
        if not "".join(kept).strip():
            continue
        for char in "".join(kept) + "\n":
            current.append(char)
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "{":
                depth += 1
            elif char == "}" or (char == ";" and depth == 0):
                depth -= char == "}"
                if depth == 0:
                    statements.append("".join(current).strip())
                    current = []
    assert not "".join(current).strip(), "unbalanced braces in the nginx file"
    return statements


def _upstream(block: str, servers: list[str]) -> str:
    lines = block.splitlines()
    entries = [line for line in lines if re.match(r"\s*server\s", line)]
    assert entries, "the upstream names no server"
    parameters = entries[0].split(None, 2)[2] if len(entries[0].split(None, 2)) > 2 else ";"
    first = lines.index(entries[0])
    ours = [f"    server {server} {parameters}" for server in servers]
    rest = [line for line in lines if line not in entries]
    return "\n".join(rest[:first] + ours + rest[first:])


def _site(block: str, port: int, logs: Path) -> str:
    lines = [line for line in block.splitlines() if not _DROPPED.match(line)]
    body = "\n".join([lines[0], f"    listen 127.0.0.1:{port};", *lines[1:]])
    body = re.sub(r"(\baccess_log\s+)[^\s;]+", rf"\g<1>{logs / 'access.log'}", body)
    return re.sub(r"(\berror_log\s+)[^\s;]+", rf"\g<1>{logs / 'error.log'}", body)


def site_for_test(template: str, *, servers: list[str], port: int, logs: Path) -> str:
    """The nginx file's http-level statements for `servers` ("127.0.0.1:8001", ...)
    behind plain http on `port`."""
    out = []
    for statement in _statements(template):
        if statement.startswith("upstream"):
            out.append(_upstream(statement, servers))
        elif statement.startswith("server"):
            # The site is the one with locations; the others only redirect or refuse.
            if re.search(r"^\s*location\b", statement, re.MULTILINE):
                out.append(_site(statement, port, logs))
        else:
            out.append(statement)
    return "\n\n".join(out) + "\n"


def main_config(site: str, prefix: Path) -> str:
    """nginx's main file around `site`: foreground, one worker, everything under `prefix`."""
    temp = prefix / "tmp"
    paths = "\n".join(
        f"    {kind}_temp_path {temp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root the workers would switch to `nobody`, who cannot enter pytest's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'logs' / 'main.log'} notice;\n"
        "events { worker_connections 512; }\n"
        f"http {{\n{paths}\n    access_log off;\n{site}}}\n"
    )


@contextmanager
def nginx(binary: str, *, servers: list[str], folder: Path) -> Iterator[tuple[str, Path]]:
    """nginx with the repository's site in front of `servers`, on a free loopback port,
    answering through them once this enters: (its base URL, its access log). Its error
    log is shown if it fails to start."""
    logs, port = folder / "logs", free_port()
    for path in (logs, folder / "tmp"):
        path.mkdir(parents=True, exist_ok=True)
    site = site_for_test(TEMPLATE.read_text(), servers=servers, port=port, logs=logs)
    config = folder / "nginx.conf"
    config.write_text(main_config(site, folder))
    command = [binary, "-p", str(folder), "-c", str(config), "-e", str(logs / "main.log")]
    tested = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, f"{tested.stderr}\n{config.read_text()}"
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                errors = "".join(p.read_text() for p in logs.glob("*.log") if "error" in p.name)
                raise RuntimeError(f"nginx did not start:\n{errors}")
            time.sleep(0.1)
        yield base, logs / "access.log"
    finally:
        proc.terminate()  # a fast stop: the test is over
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
