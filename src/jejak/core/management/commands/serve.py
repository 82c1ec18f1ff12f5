"""`jejak serve`: the production server as it ships, gunicorn with uvicorn's worker.

This command only assembles gunicorn's command line and becomes gunicorn (exec): the
process that systemd, honcho or a test started is gunicorn's master, which binds the
socket, starts the workers (each serving jejak.asgi with uvicorn), replaces one that
dies or stops answering (`--timeout`), recycles workers after `--max-requests`, reloads
gracefully on SIGHUP and stops gracefully on SIGTERM. Anything gunicorn can do more is
reached by running gunicorn directly with the same arguments (docs/deployment.md).
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

APP = "jejak.asgi:application"
WORKER = "uvicorn_worker.UvicornWorker"


def gunicorn_argv(opts: dict[str, Any]) -> list[str]:
    """gunicorn's arguments for these options (also what docs/deployment.md shows)."""
    host = opts["host"]
    bind = f"[{host}]:{opts['port']}" if ":" in host else f"{host}:{opts['port']}"
    argv = [
        APP,
        "--worker-class",
        WORKER,
        "--bind",
        bind,
        "--workers",
        str(opts["workers"]),
        "--forwarded-allow-ips",
        opts["forwarded_allow_ips"],
        "--timeout",
        str(opts["timeout"]),
        "--graceful-timeout",
        str(opts["graceful_timeout"]),
        "--keep-alive",
        str(opts["keep_alive"]),
        "--log-level",
        opts["log_level"],
    ]
    if opts["max_requests"]:
        # The jitter keeps the workers from recycling all at once.
        jitter = max(1, opts["max_requests"] // 10)
        argv += ["--max-requests", str(opts["max_requests"]), "--max-requests-jitter", str(jitter)]
    if not opts["no_access_log"]:
        argv += ["--access-logfile", "-"]
    # Signals do what gunicorn's control interface would (reload: HUP, stop: TERM). Its
    # socket's default path is one per user (~/.gunicorn/gunicorn.ctl): two servers of
    # one host, as nodes behind nginx, would take it from each other, and under the
    # unit's read-only /srv each start would log an error.
    argv.append("--no-control-socket")
    return argv


def _check_address(host: str, port: int) -> None:
    # gunicorn would retry a taken address for a while and then exit with a log line;
    # saying so at once, before becoming gunicorn, is clearer at a terminal.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from exc


class Command(BaseCommand):
    help = "Serve the application with gunicorn and uvicorn workers (becomes gunicorn)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument(
            "--forwarded-allow-ips",
            default=settings.JEJAK_TRUSTED_PROXIES,
            help="Proxies trusted for X-Forwarded-For/-Proto (comma-separated addresses; "
            "default JEJAK_TRUSTED_PROXIES).",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=30,
            help="seconds a silent worker is given before the master replaces it",
        )
        parser.add_argument(
            "--graceful-timeout",
            type=int,
            default=30,
            help="seconds a stopping worker has to finish its requests",
        )
        parser.add_argument(
            "--keep-alive", type=int, default=5, help="seconds an idle connection is kept"
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=100_000,
            help="requests after which a worker is replaced (0: never)",
        )
        parser.add_argument("--log-level", default="info")
        parser.add_argument("--no-access-log", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        _check_address(opts["host"], opts["port"])
        argv = [sys.executable, "-m", "gunicorn", *gunicorn_argv(opts)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter and arguments)
