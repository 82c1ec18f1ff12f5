"""Read replicas: which database each read goes to (docs/operations.md, "Read replicas").

Everything reads and writes the primary (the `default` alias) except the reads inside
`reading()`: the dashboards, the weekly report, the dashboards' exports and the contact
search's check-in reads. Those go to a replica (`replica1`..`replicaN`, from
DATABASE_REPLICA_URLS) whose lag is at most JEJAK_REPLICA_MAX_LAG_SECONDS, else to the
primary. Even inside the scope, writes go to the primary, and so does every read made
inside a transaction on the primary: it may need what the transaction wrote, which no
replica has yet. A scope whose reads never read what the enclosing transaction writes
(tracing reads check-ins, which a search never writes) says so: `even_in_transaction`.

A replica's lag is measured on the replica, at most once a second per process:
`now() - pg_last_xact_replay_timestamp()` is how old the last transaction it replayed
is, which keeps growing on a replica that has replayed everything while the primary is
idle; so a replica streaming from the primary whose replay has reached what it received
counts as 0. A replica that cannot be reached, is not in recovery (promoted, or not a
replica at all) or lags too far is left out until it is measured again (after
DOWN_RECHECK_SECONDS when unreachable): its reads go to the primary, no request fails,
and each change is logged once per process.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import Error as DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

logger = logging.getLogger(__name__)

PREFIX = "replica"  # settings.py names the replicas' aliases replica1, replica2 ...
CHECK_SECONDS = 1.0  # a replica's lag is measured at most this often per process
DOWN_RECHECK_SECONDS = 5.0  # an unreachable replica costs a connect timeout per try

# On the replica: is it in recovery (a standby), and how far behind is it, in seconds.
# A walreceiver streaming from the primary with replay caught up with what it received
# is current, whatever the age of the last transaction. Without a walreceiver (the
# primary unreachable from the replica) nothing tells how much it is missing: the age
# of the last replayed transaction is the only bound. Functions any user may call.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE
         WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver)
              AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
         ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
       END
"""


@dataclass
class _Scope:
    even_in_transaction: bool
    alias: str | None = None  # chosen at the scope's first read, then kept


_scope: ContextVar[_Scope | None] = ContextVar("jejak_replica_scope", default=None)


@contextmanager
def reading(*, even_in_transaction: bool = False) -> Iterator[None]:
    """Reads inside go to a replica whose lag is under the bound, else to the primary
    (also usable as a decorator). Only for reads that may be that many seconds old.
    `even_in_transaction`: its reads never read what an enclosing transaction on the
    primary wrote, so they may use a replica inside one too."""
    outer = _scope.get()
    token = _scope.set(_Scope(even_in_transaction, outer.alias if outer else None))
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def primary() -> Iterator[None]:
    """Reads inside go to the primary, even within `reading()` (values cached for the
    whole process must never be loaded from a replica that is behind)."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(PREFIX)]


def read_alias() -> str:
    """The alias a read made here goes to."""
    scope = _scope.get()
    if scope is None:
        return DEFAULT_DB_ALIAS
    if not scope.even_in_transaction and connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if scope.alias is None:
        scope.alias = _choose() if replica_aliases() else DEFAULT_DB_ALIAS
    return scope.alias


def fetchall(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows of one read-only statement, on the alias `read_alias()` names; when a
    replica fails under it (stopped, or the statement cancelled by a conflict with
    recovery), on the primary instead, and the scope's later reads too."""
    alias = read_alias()
    if alias != DEFAULT_DB_ALIAS:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(sql, params)
                return list(cursor.fetchall())
        except DatabaseError as exc:
            _set_down(alias, f"failed a read: {exc}")
            scope = _scope.get()
            if scope is not None:
                scope.alias = DEFAULT_DB_ALIAS
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def replica_lags() -> dict[str, float | None]:
    """Each replica's lag in seconds as last measured (measured again if older than
    CHECK_SECONDS); None: unreachable, not a standby, or unknown."""
    return {alias: lag_of(alias) for alias in replica_aliases()}


class ReplicaRouter:
    """DATABASE_ROUTERS: reads where `read_alias()` says, every write to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # A replica holds the primary's rows: an object read there may point at one
        # read on the primary.
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        return True if {obj1._state.db, obj2._state.db} <= ours else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # A streaming replica gets its schema from the primary and refuses writes.
        return False if db.startswith(PREFIX) else None


# What each process knows of each replica, shared by its threads (their connections
# are their own).
@dataclass
class _Health:
    lag: float | None = None
    checked_at: float = float("-inf")
    state: str = "unknown"  # "ok", "lagging" or "down": a change is logged


_health: dict[str, _Health] = {}
_locks: dict[str, threading.Lock] = {}
_turn = itertools.count()


def lag_of(alias: str) -> float | None:
    """`alias`'s lag in seconds, measured at most every CHECK_SECONDS (an unreachable
    replica every DOWN_RECHECK_SECONDS); None: not usable."""
    health = _health.setdefault(alias, _Health())
    wait = CHECK_SECONDS if health.lag is not None else DOWN_RECHECK_SECONDS
    if time.monotonic() - health.checked_at < wait:
        return health.lag
    lock = _locks.setdefault(alias, threading.Lock())
    # One thread measures; the others go on with the last value, never waiting on it.
    if not lock.acquire(blocking=False):
        return health.lag
    try:
        lag, problem = _measure(alias)
        health.lag, health.checked_at = lag, time.monotonic()
        bound = settings.JEJAK_REPLICA_MAX_LAG_SECONDS
        if lag is None:
            _note(alias, health, "down", problem)
        elif lag > bound:
            _note(alias, health, "lagging", f"{lag:.1f} s behind (bound {bound} s)")
        else:
            _note(alias, health, "ok", f"{lag:.1f} s behind")
        return lag
    finally:
        lock.release()


def reset() -> None:
    """Forget every measurement (tests)."""
    _health.clear()


def _choose() -> str:
    aliases = replica_aliases()
    bound = settings.JEJAK_REPLICA_MAX_LAG_SECONDS
    first = next(_turn)  # round robin over the replicas
    for step in range(len(aliases)):
        alias = aliases[(first + step) % len(aliases)]
        lag = lag_of(alias)
        if lag is not None and lag <= bound and _connected(alias):
            return alias
    return DEFAULT_DB_ALIAS


def _connected(alias: str) -> bool:
    """Whether this thread's connection to `alias` works, reconnecting if it broke."""
    connection = connections[alias]
    try:
        _drop_if_broken(connection)
        # Once per request (Django's CONN_HEALTH_CHECKS): a replica that went away since
        # this thread last used it is found here, not by the request's query.
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except DatabaseError as exc:
        _close(connection)
        _set_down(alias, f"unreachable: {exc}")
        return False
    return True


def _measure(alias: str) -> tuple[float | None, str]:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None, "not PostgreSQL"
    try:
        _drop_if_broken(connection)
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            row = cursor.fetchone()
    except DatabaseError as exc:
        _close(connection)
        return None, f"unreachable: {exc}"
    standby, lag = row if row is not None else (False, None)
    if not standby:
        return None, "not a standby (pg_is_in_recovery() is false): promoted?"
    if lag is None:
        return None, "lag unknown: nothing replayed yet"
    # A negative age is the two hosts' clocks disagreeing.
    return max(float(lag), 0.0), ""


def _set_down(alias: str, problem: str) -> None:
    health = _health.setdefault(alias, _Health())
    health.lag, health.checked_at = None, time.monotonic()
    _note(alias, health, "down", problem)


def _note(alias: str, health: _Health, state: str, detail: str) -> None:
    if state == health.state:
        return
    before, health.state = health.state, state
    if state == "ok":
        if before != "unknown":
            logger.warning("Replica %s is used again (%s).", alias, detail)
    else:
        logger.warning("Replica %s not used, reads go to the primary: %s", alias, detail)


def _drop_if_broken(connection: BaseDatabaseWrapper) -> None:
    # A statement failed on it earlier (outside a request nothing else looks): keep it
    # if it still answers, else close it so that the next use connects again.
    if connection.connection is not None and connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            _close(connection)


def _close(connection: BaseDatabaseWrapper) -> None:
    with contextlib.suppress(DatabaseError):
        connection.close()


@register()
def replicas_are_postgresql(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Lag is measured with PostgreSQL's recovery functions."""
    engines = {alias: settings.DATABASES[alias]["ENGINE"] for alias in replica_aliases()}
    engines[DEFAULT_DB_ALIAS] = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"]
    if len(engines) == 1 or all(e == "django.db.backends.postgresql" for e in engines.values()):
        return []
    return [
        Error(
            "DATABASE_REPLICA_URLS needs PostgreSQL, for DATABASE_URL and every replica.",
            hint="Streaming replicas of the primary (docs/operations.md, 'Read replicas').",
            id="jejak.core.E001",
        )
    ]
