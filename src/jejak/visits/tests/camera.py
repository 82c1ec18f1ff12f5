"""A fake camera for Chromium: a poster's QR code as a YUV4MPEG2 (.y4m) video file.

Chromium plays the file in a loop as the camera when started with
--use-file-for-fake-video-capture. Written by hand (no image library): 4:2:0 planes,
luma from the QR's modules, chroma at 128 (grey).
"""

from __future__ import annotations

from pathlib import Path

import segno

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
