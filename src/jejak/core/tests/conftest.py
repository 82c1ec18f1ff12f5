"""Fixtures of core's served tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connections


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Any, django_db_blocker: Any) -> Iterator[str]:
    """The DATABASE_URL of a database that this process and served processes share:
    PostgreSQL's test database (flushed after the test), or a copy of SQLite's in-memory
    test database in a file that this process switches to for the test."""
    default = connections["default"]
    if default.vendor == "postgresql":
        s = default.settings_dict
        assert s["NAME"].startswith("test_"), "never the real database"
        login = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
        yield f"postgres://{login}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
        return
    assert default.is_in_memory_db(), "never the real database"
    path = tmp_path / "jejak.sqlite3"
    with django_db_blocker.unblock():
        default.ensure_connection()
        with sqlite3.connect(path) as copy:
            default.connection.backup(copy)
        copy.close()
        on_file = default.__class__({**default.settings_dict, "NAME": str(path)}, "default")
        connections["default"] = on_file
        try:
            yield f"sqlite:///{path}"
        finally:
            on_file.close()
            connections["default"] = default
