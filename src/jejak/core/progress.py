"""A plain-text progress line for long commands, on stderr:

    cases 1234/10903  11%  0:42 left

Redrawn in place (carriage return) when the stream is a terminal; otherwise one line
at every tenth of the way, so a log or a CI job gets eleven lines, not thousands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def clock(seconds: float) -> str:
    """ "0:42", "12:05", "1:02:09": the time left as a person reads it."""
    whole = max(0, int(seconds + 0.5))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """`update(done, total)` as often as you like; `finish()` once at the end."""

    def __init__(
        self,
        stream: TextIO,
        label: str,
        *,
        tty: bool | None = None,
        every: float = 0.1,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty() if tty is None else tty
        self.every = every
        self.monotonic = monotonic
        self.started = monotonic()
        self.last_drawn = float("-inf")
        self.next_step = 0.0  # the fraction at which the next plain line is written
        self.width = 0
        self.done = self.total = 0

    def text(self, done: int, total: int) -> str:
        fraction = done / total if total else 1.0
        line = f"{self.label} {done}/{total}  {int(fraction * 100)}%"
        elapsed = self.monotonic() - self.started
        if 0 < done < total:
            line += f"  {clock(elapsed / done * (total - done))} left"
        elif done >= total:
            line += f"  {clock(elapsed)}"
        return line

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        fraction = done / total if total else 1.0
        if self.tty:
            now = self.monotonic()
            # At most ten redraws a second: a terminal is slower than the work.
            if now - self.last_drawn < 0.1 and done < total:
                return
            self.last_drawn = now
            line = self.text(done, total)
            padding = " " * max(0, self.width - len(line))
            self.width = len(line)
            self.stream.write(f"\r{line}{padding}")
            self.stream.flush()
            return
        if fraction + 1e-9 >= self.next_step:
            self.stream.write(self.text(done, total) + "\n")
            self.stream.flush()
            while self.next_step <= fraction + 1e-9:
                self.next_step += self.every

    def finish(self, done: int, total: int) -> None:
        """The last line (always drawn), and the terminal's line ended."""
        if self.tty:
            self.last_drawn = float("-inf")
            self.update(done, total)
            self.stream.write("\n")
            self.stream.flush()
        elif self.next_step <= 1.0 + 1e-9 or done < total:
            self.stream.write(self.text(done, total) + "\n")
            self.stream.flush()
