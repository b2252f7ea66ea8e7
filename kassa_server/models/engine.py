"""Engines, sessions and schema migrations for a database URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.errors import ConfigError, DatabaseUnavailable

SQLITE_CASEFOLD = "kassa_casefold"
"""A SQL function on SQLite connections: Python's ``str.casefold``, since SQLite's ``lower`` folds ASCII only."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout so several threads can share it."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
        else:
            kwargs.setdefault("pool_pre_ping", True)
            if "poolclass" not in kwargs:
                kwargs.setdefault("pool_size", 10)
                kwargs.setdefault("max_overflow", 20)
            engine = create_engine(url, **kwargs)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"database URL {url!r}: {exc}") from exc
    except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
        raise ConfigError(f"database URL {url!r}: {exc}") from exc
    return engine


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


def _sqlite_on_begin(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: concurrent writers wait (busy_timeout) instead of failing with
    # "database is locked" when a read transaction tries to upgrade.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


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
