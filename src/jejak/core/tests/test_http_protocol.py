"""The served protocol (core/http_protocol.py): a response's writes leave in one call."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from jejak.core.http_protocol import CoalescingTransport, HttpProtocol


class Recorder:
    """A transport that records what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _turns(run_async: Any, run: Any) -> None:
    async def main() -> None:
        run(asyncio.get_running_loop())
        for _ in range(3):
            await asyncio.sleep(0)  # let the loop turn

    run_async(main())


def test_the_writes_of_one_turn_leave_together_in_order(run_async):
    recorder = Recorder()

    def run(loop: asyncio.AbstractEventLoop) -> None:
        transport = CoalescingTransport(recorder, loop)  # type: ignore[arg-type]
        transport.write(b"head ")
        transport.write(memoryview(b"body"))
        assert recorder.writes == []  # nothing before the turn ends

    _turns(run_async, run)
    assert recorder.writes == [b"head body"]


def test_close_sends_what_is_pending_first_and_abort_drops_it(run_async):
    closing, aborting = Recorder(), Recorder()

    def run(loop: asyncio.AbstractEventLoop) -> None:
        first = CoalescingTransport(closing, loop)  # type: ignore[arg-type]
        first.write(b"last answer")
        first.close()
        second = CoalescingTransport(aborting, loop)  # type: ignore[arg-type]
        second.write(b"never")
        second.abort()

    _turns(run_async, run)
    assert closing.writes == [b"last answer"] and closing.closed
    assert aborting.writes == [] and aborting.aborted


def test_a_response_leaves_in_one_write(run_async):
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})

    recorder = Recorder()

    async def main() -> None:
        config = uvicorn.Config(app, http=HttpProtocol, log_level="warning")
        config.load()
        loop = asyncio.get_running_loop()
        protocol = HttpProtocol(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        protocol.connection_made(recorder)  # type: ignore[arg-type]
        protocol.data_received(b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        for _ in range(10):
            await asyncio.sleep(0)
        protocol.connection_lost(None)

    run_async(main())
    (answer,) = recorder.writes
    assert answer.startswith(b"HTTP/1.1 201 Created\r\n") and answer.endswith(b"\r\n\r\n{}")
