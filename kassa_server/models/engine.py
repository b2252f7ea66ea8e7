"""Engines, sessions and schema migrations for a database URL."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.errors import ConfigError, DatabaseUnavailable

SQLITE_CASEFOLD = "kassa_casefold"
"""A SQL function on SQLite connections: Python's ``str.casefold``, since SQLite's ``lower`` folds ASCII only."""


PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection is pinged (``SELECT 1``) at checkout only when it has sat in the pool this long."""


def make_engine(url: str, *, ping_after_idle: float | None = PING_AFTER_IDLE_SECONDS, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout so several threads can share it.

    A server connection is checked before use only when it has been idle ``ping_after_idle`` seconds or more (None:
    SQLAlchemy's ``pool_pre_ping``, a ping at every checkout). A SOAP call checks a connection out several times (the
    journal, the infobase, the operation), and a ping is a round trip plus psycopg's Python work: ~25 pings a sync
    cycle. A connection used moments ago that the server dropped since (a restart) fails its next statement instead;
    SQLAlchemy then discards the pool's connections, and that one call is answered "database unavailable"."""
    try:
        if url.startswith("sqlite"):
            connect_args = {"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False, "factory": _SqliteConnection}
            engine = create_engine(url, connect_args=connect_args, **kwargs)
            turnstile = _turnstile_for(engine.url.database)
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", lambda conn: _sqlite_on_begin(conn, turnstile))
        else:
            kwargs.setdefault("pool_pre_ping", ping_after_idle is None)
            if "poolclass" not in kwargs:
                kwargs.setdefault("pool_size", 10)
                kwargs.setdefault("max_overflow", 20)
            engine = create_engine(url, **kwargs)
            if ping_after_idle is not None and not kwargs["pool_pre_ping"]:
                _ping_when_idle(engine, ping_after_idle)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"database URL {url!r}: {exc}") from exc
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise ConfigError(f"database URL {url!r}: {exc}") from exc
    return engine


_IDLE_SINCE = "kassa_idle_since"


def _ping_when_idle(engine: Engine, idle: float) -> None:
    dialect = engine.dialect

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < idle:  # new, or back in the pool moments ago
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool drops this connection and checks out another (a new one if need be)
            raise DisconnectionError(f"idle connection lost: {exc}") from exc

    def checkin(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions break SAVEPOINTs and locking order).
    dbapi_connection.isolation_level = None
    dbapi_connection.create_function(SQLITE_CASEFOLD, 1, _casefold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    with contextlib.suppress(Exception):
        cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits. It saves an fsync per
    # commit, which every SOAP call makes (the call journal).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


SQLITE_BUSY_SECONDS = 30
"""How long a SQLite writer waits for the write lock (the turnstile below, then SQLite's busy timeout)."""


class _Turnstile:
    """One SQLite database file's write lock, as seen by the threads of this process.

    Every transaction on SQLite begins ``IMMEDIATE`` (it takes the file's write lock at once), so its writers queue.
    SQLite lets a waiter poll the lock, sleeping between tries, at 100 ms steps after the first quarter second; under
    a fleet's load the file sat unlocked while its waiters slept. The threads of one process therefore queue on this
    lock first, and the next one is let in the moment the last one commits or rolls back. Another process on the same
    file still meets SQLite's own wait (``busy_timeout``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holder: int | None = None  # the thread ident that took it

    def enter(self) -> bool:
        """Wait for the turnstile; False when this thread already holds it (a second transaction of the same thread,
        which then meets SQLite's wait as before) or when it stayed shut for the whole busy timeout."""
        me = threading.get_ident()
        if self.holder == me:
            return False
        if not self.lock.acquire(timeout=SQLITE_BUSY_SECONDS):
            return False
        self.holder = me
        return True

    def leave(self) -> None:
        self.holder = None
        self.lock.release()


_TURNSTILES: dict[str, _Turnstile] = {}
_TURNSTILES_LOCK = threading.Lock()


def _turnstile_for(database: str | None) -> _Turnstile | None:
    """The process's turnstile of a database file (shared by every engine on it); None for an in-memory database."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = str(Path(database).resolve())
    with _TURNSTILES_LOCK:
        return _TURNSTILES.setdefault(key, _Turnstile())


class _SqliteConnection(sqlite3.Connection):
    """A DBAPI connection that lets the next writer through the turnstile once its transaction has ended: after the
    COMMIT or ROLLBACK itself (a pool's reset on return and a close included), not before."""

    turnstile: _Turnstile | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()

    def _leave(self) -> None:
        turnstile, self.turnstile = self.turnstile, None
        if turnstile is not None:
            turnstile.leave()


READ_ONLY = "kassa_read_only"
"""Execution option of a connection whose transaction only reads (``read_only``)."""


class ReadOnlyViolation(RuntimeError):
    """A transaction declared read-only (``read_only``) was about to write through the session; nothing was written.
    The caller runs its work again in an ordinary transaction."""


def read_only(session: Session) -> None:
    """Declare ``session``'s transaction read-only; call it before its first statement. On SQLite the transaction
    then begins DEFERRED, a WAL reader that neither takes nor waits for the write lock; elsewhere nothing changes.
    A flush with anything to write raises ``ReadOnlyViolation`` instead (on SQLite the write could fail at once with
    "database is locked"); SQL written by hand is not checked: declare only reads."""
    session.connection(execution_options={READ_ONLY: True})
    session.info[READ_ONLY] = True


@event.listens_for(Session, "before_flush", insert=True)  # before the change tracking stamps anything
def _refuse_writes_when_read_only(session: Session, _flush: Any, _instances: Any) -> None:
    if not session.info.get(READ_ONLY):
        return
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        raise ReadOnlyViolation("a read-only transaction was about to write")


@event.listens_for(Session, "after_transaction_end")
def _forget_read_only(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # the session's next transaction is an ordinary one again
        session.info.pop(READ_ONLY, None)


def _sqlite_on_begin(conn: Any, turnstile: _Turnstile | None) -> None:
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
        return
    # BEGIN IMMEDIATE takes the write lock up front: concurrent writers wait (busy_timeout) instead of failing with
    # "database is locked" when a read transaction tries to upgrade.
    dbapi_connection = conn.connection.dbapi_connection
    entered = turnstile is not None and isinstance(dbapi_connection, _SqliteConnection) and turnstile.enter()
    if entered:
        dbapi_connection.turnstile = turnstile
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if entered:
            dbapi_connection._leave()
        raise


def affected_rows(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (``Session.execute`` is typed as returning a plain ``Result``)."""
    return int(getattr(result, "rowcount", 0) or 0)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def database_errors() -> Iterator[None]:
    """Turn a lost or unreachable database into ``DatabaseUnavailable`` (as warehouse's db.py does)."""
    try:
        yield
    except OperationalError as exc:
        if is_conflict(exc):  # not a lost database: the caller may run its transaction again
            raise
        raise DatabaseUnavailable(f"database unavailable: {exc.orig}") from exc


def is_conflict(exc: OperationalError) -> bool:
    """A deadlock or a serialization failure (SQLSTATE 40P01, 40001): PostgreSQL rolled this transaction back so that
    a concurrent one could go on; running it again is the remedy."""
    return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01"}


def migrations_dir() -> Path:
    import kassa_server._migrations as migrations  # type: ignore[import-not-found]

    return Path(migrations.__file__).parent


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Apply the migrations up to ``revision`` (all heads by default)."""
    from alembic import command

    with database_errors():
        command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    with database_errors():
        command.downgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models and the migrations disagree (``alembic check``)."""
    from alembic import command

    with database_errors():
        command.check(alembic_config(url))
