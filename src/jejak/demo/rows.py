"""Plain INSERT and UPDATE statements for the demo's tens of thousands of rows.

The ORM's bulk_create builds a model instance and prepares every value through its
field, which for the demo's check-ins cost more than the rest of the demo together.
These take tuples already in the database's terms (`Values` converts the few types
that differ between SQLite and PostgreSQL) and send each batch as one prepared
statement. The caller numbers the rows from `next_id` (the demo is the only writer of
these tables while it builds), and `reset_sequences` then moves PostgreSQL's id
sequences past them.
"""

from __future__ import annotations

import datetime as dt
import json as json_module
import uuid as uuid_module
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

BATCH = 5000


def columns(model: type[models.Model], names: Sequence[str], *, every: bool = True) -> list[str]:
    """The database columns of `names` (fields, "request" -> "request_id"). With `every`
    (for an insert), checked to be every concrete field of the model: a field added later
    must be given a value here."""
    fields = {f.name: f for f in model._meta.concrete_fields}
    if every and (missing := set(fields) - set(names)):
        raise LookupError(f"{model.__name__}: no value for {sorted(missing)}")
    return [str(fields[n].column) for n in names]


def next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


class Values:
    """Python values in the database's terms, as the ORM's fields would send them; made
    once per batch (every look-up through `connection` is a context-local's)."""

    def __init__(self) -> None:
        self.ops = connection.ops
        self.sqlite = connection.vendor == "sqlite"
        self.native_uuid = connection.features.has_native_uuid_field

    def when(self, value: dt.datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        # What Django's SQLite backend stores: the naive UTC time as text.
        return str(value.astimezone(dt.UTC).replace(tzinfo=None))

    def day(self, value: dt.date | None) -> Any:
        return self.ops.adapt_datefield_value(value)

    def json(self, value: Any) -> Any:
        return json_module.dumps(value) if self.sqlite else self.ops.adapt_json_value(value, None)

    def uuid(self, value: uuid_module.UUID) -> Any:
        return value if self.native_uuid else value.hex


def insert(model: type[models.Model], cols: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    qn = connection.ops.quote_name
    # Table and column names from the models, quoted; the values are parameters.
    table, names = qn(model._meta.db_table), ", ".join(qn(c) for c in cols)
    marks = ", ".join(["%s"] * len(cols))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608  # nosec B608
    _executemany(sql, rows)


def update(model: type[models.Model], cols: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Each row is the new values of `cols`, then the primary key."""
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(c)} = %s" for c in cols)
    pk = qn(str(model._meta.pk.column))
    table = qn(model._meta.db_table)
    _executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", rows)  # noqa: S608  # nosec B608


def _executemany(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def reset_sequences(*models_: type[models.Model]) -> None:
    """Move the id sequences past the ids given here (PostgreSQL; SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
