"""The erasure log: one JSON line per erasure, in a file outside the database
(JEJAK_ERASURE_LOG), so that a database restored from a backup taken before an erasure
can be erased again before it serves (`jejak replay-erasures`, docs/erasure.md).

A line holds the request's public id, the moment, the account's id and the people's NIK
blind indexes: no name, NIK or phone number. The file is only ever appended to.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Entry:
    request: str
    at: dt.datetime
    account: int
    nik_indexes: list[str]


def path() -> Path:
    return Path(settings.JEJAK_ERASURE_LOG)


def append(entry: Entry, *, to: Path | None = None) -> None:
    """Append one line and flush it to disk before the caller goes on."""
    target = to or path()
    target.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(
        {
            "request": entry.request,
            "at": entry.at.isoformat(),
            "account": entry.account,
            "nik_indexes": sorted(entry.nik_indexes),
        },
        sort_keys=True,
    )
    with target.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def entries(source: Path | None = None) -> Iterator[Entry]:
    """Every logged erasure, oldest first; a missing file has none."""
    target = source or path()
    if not target.exists():
        return
    with target.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            yield Entry(
                request=str(row["request"]),
                at=dt.datetime.fromisoformat(row["at"]),
                account=int(row["account"]),
                nik_indexes=[str(i) for i in row["nik_indexes"]],
            )
