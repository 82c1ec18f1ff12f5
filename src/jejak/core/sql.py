"""Hand-written SQL for the hot paths (check-in, token look-up, code verification).

The ORM spends more CPU building a statement than PostgreSQL spends running it (about
a third of a check-in's CPU went to `SQLCompiler.as_sql`). The few statements a check-in
runs are therefore written once, by hand, and executed through Django's own cursor (so
they are counted, logged and wrapped like any other) with values prepared and results
converted by the same field methods the ORM uses, which keeps SQLite and PostgreSQL
alike. Everything else in Jejak uses the ORM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
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
    (field,) = _fields(model, (name,))
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


def any_of(expression: str, backend: str = "") -> str:
    """`expression` is one of a list of values passed as a single parameter (`many`).

    One statement text whatever the list's length, so it is prepared once: an array on
    PostgreSQL, a JSON array read by json_each on SQLite."""
    if (backend or vendor()) == "postgresql":
        return f"{expression} = ANY(%s)"
    return f"{expression} IN (SELECT value FROM json_each(%s))"


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


@cache
def json_source(
    model: type[models.Model], names: tuple[str, ...], alias: str, extra: str = ""
) -> str:
    """PostgreSQL: a FROM item reading `json_document` rows of these fields as columns
    `alias.c0`, `alias.c1`... (in `names` order), plus `extra` column definitions."""
    types = [f.db_type(connection) for f in _fields(model, names)]
    record = ", ".join(f"c{k} {type_}" for k, type_ in enumerate(types))
    return f"json_to_recordset(%s::json) AS {alias}({record}{', ' + extra if extra else ''})"


def json_document(
    model: type[models.Model],
    names: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    extra: Sequence[dict[str, Any]] = (),
) -> str:
    """PostgreSQL: rows of field values (in `names` order) as the JSON that
    `json_source` reads, each row with its `extra` keys if given.

    One json.dumps for a batch's rows instead of psycopg's per-element array dumpers (an
    array per column through unnest was a sixth of a check-in batch's CPU); and the
    statement is the same text for any number of rows, so it is prepared once."""
    convert = _json_converters(model, names)
    keys = _keys(len(names))
    document = [
        {key: c(value) for key, c, value in zip(keys, convert, row, strict=True)} for row in rows
    ]
    for row, more in zip(document, extra, strict=False):
        row.update(more)
    return json.dumps(document)


@cache
def _keys(count: int) -> list[str]:
    return [f"c{k}" for k in range(count)]


@cache
def _insert_sql(
    vendor: str, model: type[models.Model], names: tuple[str, ...], count: int, returning: str
) -> str:
    into = f"INSERT INTO {table(model)} ({', '.join(column(model, n) for n in names)}) "
    if vendor == "postgresql":
        # The rows as one JSON document (json_document).
        keys = ", ".join(f"r.{key}" for key in _keys(len(names)))
        sql = into + f"SELECT {keys} FROM {json_source(model, names, 'r')}"
    else:
        one = "(" + ", ".join(["%s"] * len(names)) + ")"
        sql = into + f"VALUES {', '.join([one] * count)}"
    return sql + f" RETURNING {column(model, returning)}" if returning else sql


@cache
def _fields(model: type[models.Model], names: tuple[str, ...]) -> list[models.Field[Any, Any]]:
    found = [model._meta.get_field(n) for n in names]
    return [f for f in found if isinstance(f, models.Field)]


def _as_is(value: Any) -> Any:
    return value


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _text(value: Any) -> Any:
    return None if value is None else str(value)


# Fields whose value goes into a JSON row unprepared (exact classes: a subclass may
# prepare its values differently, an encrypting field say, and gets its own method).
_PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.CharField,
    models.TextField,
    models.BooleanField,
)


def _to_json(field: models.Field[Any, Any]) -> Converter:
    """How `insert` puts a Python value of `field` into its JSON row on PostgreSQL."""
    if isinstance(field, models.ForeignKey):
        return _to_json(field.target_field)
    kind = type(field)
    if kind in _PLAIN_FIELDS:
        return _as_is
    if kind is models.DateTimeField:
        # What get_db_prep_save checks first: an aware moment (USE_TZ).
        return lambda value: _iso(field.get_prep_value(value))
    if kind is models.DateField:
        return _iso
    if kind is models.UUIDField:
        return _text
    if kind is models.GenericIPAddressField:
        return field.get_prep_value  # the address as text, blank as NULL
    if kind is models.JSONField and getattr(field, "encoder", None) is None:
        return _as_is  # nested in the row's JSON, read back as jsonb
    raise TypeError(f"insert() cannot send {field!r} as JSON; add a case to sql._to_json")


@cache
def _json_converters(model: type[models.Model], names: tuple[str, ...]) -> list[Converter]:
    return [_to_json(f) for f in _fields(model, names)]


def insert(
    model: type[models.Model],
    names: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    *,
    returning: str = "",
) -> list[Any]:
    """INSERT rows of field values (in `names` order) in one statement; returns the
    `returning` column of each new row, in order, when asked."""
    if not rows:
        return []
    conn = connections[DEFAULT_DB_ALIAS]
    params: list[Any]
    if conn.vendor == "postgresql":
        params = [json_document(model, names, rows)]
        count = 0  # any number of rows: one statement
    else:
        fields = _fields(model, names)
        params = [
            field.get_db_prep_save(value, conn)
            for row in rows
            for field, value in zip(fields, row, strict=True)
        ]
        count = len(rows)
    sql = _insert_sql(conn.vendor, model, names, count, returning)
    if not returning:
        execute(sql, params)
        return []
    # Both backends return RETURNING rows in the order given for a single-statement
    # insert (Django's bulk_create relies on it too, UNNEST included).
    return [row[0] for row in fetchall(sql, params)]


def lock_clause() -> str:
    """ " FOR UPDATE" where rows can be locked. SQLite has no row locks: its writers
    are serialised by the IMMEDIATE transactions configured in settings."""
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


class Joined:
    """A SELECT of whole rows of several models joined along foreign keys, built once,
    read back as model instances linked the way select_related links them.

    `chain` is (model, alias, join condition or None for the first), in FROM order;
    `links` says which instance's foreign key holds which: (from alias, field, to alias).
    `where` is the condition, or a function that writes it for the connection's backend.
    """

    # Rows whose objects `read_shared` keeps (then it starts again from none).
    SHARED_ROWS = 4096

    def __init__(
        self,
        chain: Sequence[tuple[type[models.Model], str, str | None]],
        links: Sequence[tuple[str, str, str]],
        where: str | Callable[[], str],
    ) -> None:
        self.chain = chain
        self.links = links
        self.where = where
        self._shared: dict[tuple[Any, ...], dict[str, models.Model]] = {}

    @property
    def sql(self) -> str:
        return self._sql(vendor())

    @cache  # noqa: B019 (one instance per statement, module-level and long-lived)
    def _sql(self, vendor: str) -> str:
        del vendor
        columns, joins = [], []
        for model, alias, on in self.chain:
            columns += [f"{alias}.{column(model, f.attname)}" for f in model._meta.concrete_fields]
            joins.append(
                f"{table(model)} {alias}" if on is None else f"JOIN {table(model)} {alias} ON {on}"
            )
        where = self.where if isinstance(self.where, str) else self.where()
        return f"SELECT {', '.join(columns)} FROM {' '.join(joins)} WHERE {where}"

    @cache  # noqa: B019 (as _sql)
    def _plan(self, vendor: str) -> list[tuple[type[models.Model], str, list[str], slice, Any]]:
        """Per model: its alias, fields, columns' place in a row, and their converters,
        worked out once rather than for every row."""
        plan = []
        at = 0
        for model, alias, _on in self.chain:
            names = [f.attname for f in model._meta.concrete_fields]
            convert = _converters(vendor, model, tuple(names))
            plan.append((model, alias, names, slice(at, at + len(names)), convert))
            at += len(names)
        return plan

    def read_shared(self, row: tuple[Any, ...]) -> dict[str, models.Model]:
        """`read`, except that a row read before, column for column, gives the objects
        it gave then: for callers that only look at them and never change them.

        Still one query per use, so a change of any column (a code revoked, a venue
        suspended) is seen at once; only building the instances is saved (five models
        a row for the codes of a check-in batch, a tenth of its CPU)."""
        try:
            return self._shared[row]
        except KeyError:
            pass
        except TypeError:  # a column that does not hash (JSON)
            return self.read(row)
        objs = self.read(row)
        if len(self._shared) >= self.SHARED_ROWS:
            self._shared.clear()
        self._shared[row] = objs
        return objs

    def read(self, row: Sequence[Any]) -> dict[str, models.Model]:
        objs: dict[str, models.Model] = {}
        for model, alias, names, columns, convert in self._plan(vendor()):
            values = [c(v) for c, v in zip(convert, row[columns], strict=True)]
            objs[alias] = model.from_db(DEFAULT_DB_ALIAS, names, values)
        for source, field, target in self.links:
            # What select_related does: the related object rides in the fields cache.
            objs[source]._state.fields_cache[field] = objs[target]
        return objs
