"""The commands' progress line: redrawn in place on a terminal, a line per tenth otherwise."""

from __future__ import annotations

import io

from jejak.core.progress import ProgressLine, clock


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_at_every_tenth_with_the_time_left() -> None:
    out, ticks = io.StringIO(), Clock()
    line = ProgressLine(out, "cases", tty=False, monotonic=ticks)
    for done in range(1, 201):
        ticks.now = done * 0.5  # half a second per case
        line.update(done, 200)
    line.finish(200, 200)

    lines = out.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[:2] == ["cases 1/200  0%  1:40 left", "cases 20/200  10%  1:30 left"]
    assert lines[-1] == "cases 200/200  100%  1:40"


def test_a_terminal_gets_one_line_redrawn() -> None:
    out, ticks = io.StringIO(), Clock()
    line = ProgressLine(out, "cases", tty=True, monotonic=ticks)
    for done in range(1, 11):
        ticks.now = done * 1.0
        line.update(done, 10)
    line.finish(10, 10)

    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.startswith("\rcases 1/10  10%  0:09 left")
    assert "\rcases 10/10  100%  0:10" in text


def test_the_clock_reads_as_a_person_would() -> None:
    assert (clock(42), clock(725), clock(3729)) == ("0:42", "12:05", "1:02:09")
