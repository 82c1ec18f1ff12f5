"""The database has every index and constraint the models declare.

A migration that alters a field can drop more than it says: checkins 0003 lost the
partial unique index `checkin_one_active_per_person` on PostgreSQL (0005 put it back),
and nothing noticed until the check-in path slowed down. This reads the schema back."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db


def _declared() -> list[tuple[str, str]]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("jejak.") or not model._meta.managed:
            continue
        for item in [*model._meta.indexes, *model._meta.constraints]:
            found.append((model._meta.db_table, item.name))
    return found


def test_every_declared_index_and_constraint_exists():
    declared = _declared()
    with connection.cursor() as cursor:
        present = {
            table: connection.introspection.get_constraints(cursor, table)
            for table in {table for table, _name in declared}
        }
    missing = [(table, name) for table, name in declared if name not in present[table]]
    assert declared and missing == []
