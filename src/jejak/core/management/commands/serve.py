"""Serve jejak.asgi with uvicorn: one process per core, connections dealt out in turn.

Keep-alive connections are few and long-lived: a reverse proxy's pool, or a benchmark's
32. The usual ways of sharing a port split them by chance. With one socket shared by the
processes, whichever is idle takes the next ones (32 were seen split 4 to 28); with a
socket per process and SO_REUSEPORT, the kernel hashes each connection's addresses
(splits of 10 to 22 were common). A process runs Python on one core at a time, so the
busier one saturated while the other idled: a sixth of the throughput lost on a bad split.

Here the parent listens and accepts, and hands each connection to the next process in
turn over a Unix socket (SCM_RIGHTS); a process serves the connections it is handed, and
the parent never touches their traffic. The parent binds the socket (an address in use
fails once, before anything starts), starts the processes, restarts one that dies, and
stops them all on SIGTERM or Ctrl-C; a process whose parent is gone stops as well.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from uvicorn import server as uvicorn_server

APP = "jejak.asgi:application"
# A process that dies sooner than this after its start is not restarted: it would only
# die again (a broken setting, a missing module) and hide the error in a loop.
MIN_UPTIME = 5.0
# How often the parent looks at its processes when no connection arrives.
POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Serve the application with uvicorn, one process per worker."

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
        # A worker's end of the Unix socket its connections come over.
        parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["fd"] is not None:
            return _worker(opts)
        if opts["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        try:
            listener = _listen(opts["host"], opts["port"])
        except OSError as exc:
            raise CommandError(f"cannot listen on {opts['host']}:{opts['port']}: {exc}") from exc
        _Supervisor(listener, opts, self.stderr.write).run()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    channel: socket.socket  # the parent's end of the Unix socket that carries connections
    started: float


class _Supervisor:
    def __init__(self, listener: socket.socket, opts: dict[str, Any], say: Any) -> None:
        self.listener, self.opts, self.say = listener, opts, say
        self.workers: list[_Worker] = []
        self.turn = 0
        self.stopping = False

    def run(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self.workers = [self._start() for _ in range(self.opts["workers"])]
        self.say(
            f"serving {APP} on http://{self.opts['host']}:{self.opts['port']} "
            f"({len(self.workers)} processes)"
        )
        # A timeout, so that a stop or a dead process is noticed while nobody connects.
        self.listener.settimeout(POLL_SECONDS)
        checked = time.monotonic()
        try:
            while not self.stopping:
                try:
                    conn, _address = self.listener.accept()
                except TimeoutError:
                    pass
                except OSError as exc:  # out of file descriptors, say: wait, don't spin
                    if not self.stopping:
                        self.say(f"accept failed: {exc}")
                        time.sleep(0.1)
                else:
                    self._deal(conn)
                if time.monotonic() - checked >= POLL_SECONDS:
                    self._check()
                    checked = time.monotonic()
        finally:
            self._stop()
            for worker in self.workers:
                try:
                    worker.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.proc.kill()
            self.listener.close()

    def _deal(self, conn: socket.socket) -> None:
        """Hand the connection to the next live process; the parent's copy is closed."""
        with conn:
            # Small answers leave at once (the option is the connection's, not this copy's).
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(len(self.workers)):
                worker = self.workers[self.turn]
                self.turn = (self.turn + 1) % len(self.workers)
                if worker.proc.poll() is not None:
                    continue
                try:
                    socket.send_fds(worker.channel, [b"c"], [conn.fileno()])
                    return
                except OSError:  # gone, or not taking any more: the next one
                    continue
            # No process could take it: closing it tells the client at once.

    def _check(self) -> None:
        for k, worker in enumerate(self.workers):
            if worker.proc.poll() is None or self.stopping:
                continue
            if time.monotonic() - worker.started < MIN_UPTIME:
                self._stop()
                raise CommandError(f"worker {k} exited at start (status {worker.proc.returncode})")
            self.say(f"worker {k} exited (status {worker.proc.returncode}); restarting it")
            worker.channel.close()
            self.workers[k] = self._start()

    def _start(self) -> _Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        argv = [
            sys.executable,
            "-m",
            "jejak",
            "serve",
            "--fd",
            str(theirs.fileno()),
            "--forwarded-allow-ips",
            self.opts["forwarded_allow_ips"],
            "--log-level",
            self.opts["log_level"],
        ]
        if self.opts["no_access_log"]:
            argv.append("--no-access-log")
        proc = subprocess.Popen(argv, pass_fds=[theirs.fileno()])  # noqa: S603 (our own command)
        theirs.close()
        # Never block the parent on a process that has stopped taking connections.
        ours.setblocking(False)
        return _Worker(proc, ours, time.monotonic())

    def _stop(self, *_signal: object) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)


def _worker(opts: dict[str, Any]) -> None:
    import uvicorn

    from jejak.core.http_protocol import HttpProtocol

    config = uvicorn.Config(
        APP,
        http=HttpProtocol,
        log_level=opts["log_level"],
        access_log=not opts["no_access_log"],
        forwarded_allow_ips=opts["forwarded_allow_ips"],
        proxy_headers=True,
    )
    _HandedServer(config, socket.socket(fileno=opts["fd"])).run(sockets=[])


class _HandedServer(uvicorn_server.Server):
    """uvicorn's server, serving the connections the parent hands over `channel`."""

    def __init__(self, config: Any, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._adopting: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the application, and no socket of its own
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._take)

    def _take(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                data, fds, _flags, _address = socket.recv_fds(self.channel, 1, 8)
            except BlockingIOError:
                return
            except OSError:
                data, fds = b"", []
            for fd in fds:
                task = loop.create_task(self._adopt(socket.socket(fileno=fd)))
                self._adopting.add(task)  # held until done: the loop keeps weak references
                task.add_done_callback(self._adopting.discard)
            if not data:  # the parent is gone: nobody will restart or stop this process
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return

    async def _adopt(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        # The parent's accept left the connection blocking, and the flag belongs to the
        # connection, not to this process's descriptor of it.
        sock.setblocking(False)
        lifespan_state = self.lifespan.state

        def protocol() -> asyncio.Protocol:
            return self.config.http_protocol_class(  # type: ignore[call-arg]
                config=self.config, server_state=self.server_state, app_state=lifespan_state
            )

        try:
            await loop.connect_accepted_socket(protocol, sock)
        except OSError:  # the client left before it was served
            sock.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel.fileno())  # take no more
        await super().shutdown(sockets=sockets)
