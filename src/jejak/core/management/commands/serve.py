"""Serve jejak.asgi with uvicorn: one process per core, each on its own socket.

uvicorn's own `--workers` has its processes accept from one shared socket, and under
load whichever process is idle at that moment takes the next connection: a benchmark's
32 keep-alive connections were seen split 4 to 28, one process saturating a core while
the other idled. Here every process listens on a socket of its own bound to the same
address with SO_REUSEPORT, so the kernel spreads new connections evenly between them.
The parent binds the sockets (an address in use fails once, before anything starts),
starts the processes, restarts one that dies, and stops them all on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

APP = "jejak.asgi:application"
# A process that dies sooner than this after its start is not restarted: it would only
# die again (a broken setting, a missing module) and hide the error in a loop.
MIN_UPTIME = 5.0


class Command(BaseCommand):
    help = "Serve the application with uvicorn, one process (and socket) per worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
        parser.add_argument(
            "--forwarded-allow-ips",
            default="127.0.0.1",
            help="Proxies trusted for X-Forwarded-For/-Proto (uvicorn's option).",
        )
        parser.add_argument("--log-level", default="info")
        parser.add_argument("--no-access-log", action="store_true")
        parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # a worker's socket

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["fd"] is not None:
            return _worker(opts)
        if opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        try:
            sockets = [_listen(opts["host"], opts["port"]) for _ in range(opts["workers"])]
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        _Supervisor(sockets, opts, self.stderr.write).run()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Supervisor:
    def __init__(self, sockets: list[socket.socket], opts: dict[str, Any], say: Any) -> None:
        self.sockets, self.opts, self.say = sockets, opts, say
        self.procs: dict[int, tuple[subprocess.Popen[bytes], float]] = {}
        self.stopping = False

    def run(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        for k in range(len(self.sockets)):
            self._start(k)
        self.say(
            f"serving {APP} on http://{self.opts['host']}:{self.opts['port']} "
            f"({len(self.sockets)} processes)"
        )
        try:
            while not self.stopping:
                time.sleep(0.5)
                for k, (proc, started) in list(self.procs.items()):
                    if proc.poll() is None or self.stopping:
                        continue
                    if time.monotonic() - started < MIN_UPTIME:
                        self._stop()
                        raise CommandError(f"worker {k} exited at start (status {proc.returncode})")
                    self.say(f"worker {k} exited (status {proc.returncode}); restarting it")
                    self._start(k)
        finally:
            self._stop()
            for proc, _started in self.procs.values():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def _start(self, k: int) -> None:
        sock = self.sockets[k]
        argv = [
            sys.executable,
            "-m",
            "jejak",
            "serve",
            "--fd",
            str(sock.fileno()),
            "--forwarded-allow-ips",
            self.opts["forwarded_allow_ips"],
            "--log-level",
            self.opts["log_level"],
        ]
        if self.opts["no_access_log"]:
            argv.append("--no-access-log")
        proc = subprocess.Popen(argv, pass_fds=[sock.fileno()])  # noqa: S603 (our own command)
        self.procs[k] = (proc, time.monotonic())

    def _stop(self, *_signal: object) -> None:
        self.stopping = True
        for proc, _started in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)


def _worker(opts: dict[str, Any]) -> None:
    import uvicorn

    from jejak.core.http_protocol import HttpProtocol

    sock = socket.socket(fileno=opts["fd"])
    config = uvicorn.Config(
        APP,
        http=HttpProtocol,
        log_level=opts["log_level"],
        access_log=not opts["no_access_log"],
        forwarded_allow_ips=opts["forwarded_allow_ips"],
        proxy_headers=True,
    )
    uvicorn.Server(config).run(sockets=[sock])
