"""Hand-written SQL for the hot paths (the check-in batch, the bearer-token look-up).

The ORM spends more CPU building a statement than PostgreSQL spends running it (about
a third of a check-in's CPU went to `SQLCompiler.as_sql`). The few statements a check-in
runs are therefore written once, by hand, and executed through Django's own cursor (so
they are counted, logged and wrapped like any other) with values prepared and results
converted by the same field methods the ORM uses, which keeps SQLite and PostgreSQL
alike. Everything else in Jejak uses the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

Converter = Callable[[Any], Any]


def column(model: type[models.Model], name: str) -> str:
    """The quoted column of field `name` (for SQL written by hand)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return connection.ops.quote_name(str(field.column))


@cache
def vendor() -> str:
    """The default database's backend: part of the cache key of statements built once.

    Looked up once: Django cannot change a database's engine while running, and going
    through the thread-local connection proxy each time was a few per cent of a batch."""
    return connections[DEFAULT_DB_ALIAS].vendor


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _converters(vendor: str, model: type[models.Model], names: tuple[str, ...]) -> list[Converter]:
    del vendor  # part of the cache key only: test runs switch backends in one process
    out: list[Converter] = []
    for name in names:
        field = model._meta.get_field(name)
        col = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
        steps = connection.ops.get_db_converters(col) + field.get_db_converters(connection)  # type: ignore[union-attr]
        if not steps:
            out.append(_same)
            continue

        def convert(value: Any, steps: list[Any] = steps, col: Any = col) -> Any:
            for step in steps:
                value = step(value, col, connection)
            return value

        out.append(convert)
    return out


def _same(value: Any) -> Any:
    return value


def converters(model: type[models.Model], names: Sequence[str]) -> list[Converter]:
    """How to turn raw column values of these fields into what the ORM would return
    (SQLite hands back datetimes and JSON as text, for instance)."""
    return _converters(vendor(), model, tuple(names))


def prepare(model: type[models.Model], name: str, value: Any) -> Any:
    """A Python value as the ORM would send it for field `name` (UUIDs, JSON, times)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_db_prep_save(value, connections[DEFAULT_DB_ALIAS])


@contextmanager
def _cursor() -> Iterator[Any]:
    """Django's cursor, or on PostgreSQL one that binds values on the server and keeps
    each statement prepared for the life of the connection.

    Planning was most of PostgreSQL's time per check-in (about 0.2-1 ms a statement,
    against 0.05 ms running it). The ORM's own cursors bind on the client and never
    prepare, so only these statements are affected. Poolers that cannot carry prepared
    statements across transactions (PgBouncer before 1.21 in transaction mode) need
    JEJAK_DB_PREPARED_STATEMENTS=false.

    Django's own `server_side_binding` option would prepare the ORM's statements too,
    but Django 5.2 does not limit a statement to PostgreSQL's 65,535 parameters then:
    `make bench` failed with it on a `bulk_create` of its visitors (Django ticket 36822)."""
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor != "postgresql" or not settings.JEJAK_DB_PREPARED_STATEMENTS:
        with conn.cursor() as cursor:
            yield cursor
        return
    # What BaseDatabaseWrapper.cursor() does, with our cursor class: the health check,
    # the connection, and Django's wrapper (queries stay counted and logged, errors
    # wrapped as Django's).
    conn.close_if_health_check_failed()
    conn.ensure_connection()
    raw = conn.connection
    # One cursor for the life of the connection, never closed here: making a cursor
    # copies psycopg's adapters, a few per cent of a check-in batch of ten statements.
    # A connection belongs to one thread, and each statement's rows are read at once.
    kept: Any = getattr(raw, "_jejak_prepared_cursor", None)
    if kept is None or kept.closed:
        kept = _prepared_cursor_class()(raw)
        raw._jejak_prepared_cursor = kept
    # Wrapped as Django wraps its own cursors, through the connection's public methods:
    # counted and logged when queries are logged, execute_wrappers applied.
    conn.validate_thread_sharing()
    yield conn.make_debug_cursor(kept) if conn.queries_logged else conn.make_cursor(kept)


@cache
def _prepared_cursor_class() -> type:
    import psycopg

    class Described:
        """The statement with its values, built only if Django logs it (DEBUG, tests):
        Django reads `cursor._query.query`, which psycopg leaves unset for a prepared
        statement."""

        def __init__(self, connection: Any, query: Any, params: Any) -> None:
            self.args = connection, query, params

        @property
        def query(self) -> bytes:
            connection, query, params = self.args
            return psycopg.ClientCursor(connection).mogrify(query, params).encode()

    class PreparedCursor(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            # Results in binary: parsing timestamps from text was a tenth of a batch's
            # CPU. These statements read no JSON (Django loads jsonb as text).
            super().execute(query, params, prepare=True, binary=True)
            # Read only by Django's query log, for the statement just run.
            self._query = Described(self.connection, query, params)  # type: ignore[assignment]
            return self

    return PreparedCursor


def fetchall(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run a statement; returns the number of rows it changed."""
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run one statement for each row of values (psycopg sends them in one round trip)."""
    if rows:
        with _cursor() as cursor:
            cursor.executemany(sql, rows)


def copy_in(model: type[models.Model], objects: Iterable[models.Model]) -> int:
    """Write model instances with PostgreSQL's COPY (PostgreSQL only): every concrete
    field but an automatic primary key, each value prepared as the ORM would (`prepare`),
    in the caller's transaction. Returns how many rows.

    For a mass run's bulk writes: `bulk_create` of a thousand messages binds its 19,000
    values into the statement's text on the client (Django's cursors bind there), and
    quoting them was a fifth of the messages' time, more than PostgreSQL took to store
    them. The rows' ids are not read back."""
    conn = connections[DEFAULT_DB_ALIAS]
    fields = _copied_fields(model)
    names = ", ".join(conn.ops.quote_name(str(f.column)) for f in fields)
    statement = f"COPY {table(model)} ({names}) FROM STDIN"
    written = 0
    with conn.cursor() as cursor, conn.wrap_database_errors, cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row([f.get_db_prep_save(getattr(obj, f.attname), conn) for f in fields])
            written += 1
    return written


@cache
def _copied_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]


def any_of(expression: str, backend: str = "") -> str:
    """`expression` is one of a list of values passed as a single parameter (`many`).

    One statement text whatever the list's length, so it is prepared once: an array on
    PostgreSQL, a JSON array read by json_each on SQLite."""
    if (backend or vendor()) == "postgresql":
        return f"{expression} = ANY(%s)"
    # `expression` is the caller's quoted column; the values are the one parameter.
    return f"{expression} IN (SELECT value FROM json_each(%s))"  # nosec B608


def many(values: Sequence[Any], backend: str = "") -> Any:
    """The parameter for an `any_of` condition: on PostgreSQL an array literal in text,
    which the server reads as an array of the column's type.

    A Python list would be dumped by psycopg's array dumper, element by element in Python
    (about a tenth of a check-in batch's CPU); building the literal is one join."""
    if (backend or vendor()) == "postgresql":
        return "{" + ",".join(map(_array_element, values)) + "}"
    return json.dumps(list(values))


def _array_element(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or isinstance(value, bool | float | bytes):
        raise TypeError(f"not an array element for any_of: {value!r}")
    # Quoted, so that commas, braces, spaces and the word NULL stay text.
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
