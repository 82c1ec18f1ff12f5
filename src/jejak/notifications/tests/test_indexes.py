"""Migration notifications 0005: the message table keeps the indexes something reads and
loses the three nothing does, without touching the foreign key to the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("notifications", "0004_message_context")
AFTER = ("notifications", "0005_message_fewer_indexes")


def _constraints() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "notifications_message")


def _indexed(found: dict[str, Any]) -> list[list[str]]:
    return sorted(
        info["columns"] for info in found.values() if info["index"] and not info["primary_key"]
    )


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_migration_drops_the_unread_indexes_and_keeps_the_foreign_key() -> None:
    try:
        _migrate(BEFORE)
        before = _indexed(_constraints())
        assert ["to_user_id"] in before
        assert ["address_index"] in before

        _migrate(AFTER)
        found = _constraints()
        after = _indexed(found)
        assert ["to_user_id"] not in after
        assert ["address_index"] not in after
        # What the look-ups by account use, and the rest, are still there.
        assert ["to_user_id", "channel", "created_at"] in after
        assert ["to_person_id"] in after
        assert ["ref"] in after
        assert ["channel", "next_attempt_at"] in after
        assert any(
            info["foreign_key"] == ("accounts_user", "id") and info["columns"] == ["to_user_id"]
            for info in found.values()
        )

        _migrate(BEFORE)
        assert ["to_user_id"] in _indexed(_constraints())
    finally:
        _migrate(AFTER)
