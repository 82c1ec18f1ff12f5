"""A fake camera for Chromium: a poster's QR code as a YUV4MPEG2 (.y4m) video file.

Chromium plays the file in a loop as the camera when started with
--use-file-for-fake-video-capture. Written by hand (no image library): 4:2:0 planes,
luma from the QR's modules, chroma at 128 (grey).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import segno

from jejak.core.browser import CHROMIUM_FLAGS, chromium_path

WIDTH, HEIGHT = 640, 480


def qr_frame(text: str, *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The luma plane of one frame: the code (with its 4-module quiet zone) scaled as large
    as fits, centred on white."""
    rows = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=1, border=4)]
    size = len(rows)
    scale = min(width, height) // size
    side = size * scale
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y in range(side):
        row = rows[y // scale]
        line = bytes(0x10 if row[x // scale] else 0xFF for x in range(side))
        start = (top + y) * width + left
        luma[start : start + side] = line
    return bytes(luma)


def write_y4m(path: Path, text: str, *, frames: int = 5) -> Path:
    luma = qr_frame(text)
    chroma = b"\x80" * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)
    return path


@contextmanager
def camera_page(browser: Any, base_url: str, video: Path) -> Iterator[tuple[Any, list[str]]]:
    """A page in a separate Chromium whose camera plays `video` (the camera flags are
    fixed when a browser starts), with its JavaScript errors collected; closed after."""
    camera_browser = browser.browser_type.launch(
        executable_path=chromium_path(),
        args=[
            *CHROMIUM_FLAGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera_browser.new_context(
            viewport={"width": 360, "height": 740}, base_url=base_url, permissions=["camera"]
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        yield page, errors
    finally:
        camera_browser.close()
