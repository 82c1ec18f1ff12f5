"""What the file importers report (regions, venues, the civil registry): every problem
found, each with a stable code, numbered as a spreadsheet numbers rows. An import with
any problem stores nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import TextChoices


@dataclass(frozen=True)
class RowError:
    """One problem: `line` as a spreadsheet numbers rows (header = 1; 0 = the whole file)."""

    line: int
    column: str
    code: str
    message: str
    value: str = ""  # the cell as read, shortened, to help find it
    source: str = ""  # which file, when one import reads several


@dataclass
class RowReport:
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(
        self,
        line: int,
        column: str,
        problem: TextChoices,
        value: str = "",
        /,
        *,
        source: str = "",
        **params: Any,
    ) -> None:
        """Record `problem` (its label is the message, formatted with `params`)."""
        message = str(problem.label) % params if params else str(problem.label)
        self.errors.append(RowError(line, column, str(problem.value), message, value[:80], source))
