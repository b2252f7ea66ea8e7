"""SQLite writers of one process queue on a turnstile and are let in when the last one's transaction ends, instead of
polling the file's lock with SQLite's growing sleeps (``models/engine.py`` ``_Turnstile``)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from kassa_server.models.engine import make_engine


def _engine_without_sqlite_wait(path: Path):  # type: ignore[no-untyped-def]
    """An engine whose connections give up on a locked file at once: only the turnstile can make a writer wait."""
    engine = make_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return engine


def _writer_behind(engine, holder_ends):  # type: ignore[no-untyped-def]
    """Start a thread that inserts 2 once it gets in; returns (thread, its errors)."""
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (2)"))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(0.3)
    assert thread.is_alive(), "the second writer did not wait for the first"
    holder_ends()
    thread.join(10)
    assert not thread.is_alive()
    return errors


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_writer_waits_for_the_one_before_and_goes_in_when_its_transaction_ends(tmp_path: Path, ending: str) -> None:
    engine = _engine_without_sqlite_wait(tmp_path / "db.sqlite3")
    try:
        conn = engine.connect()
        transaction = conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1)"))
        ends = {"commit": transaction.commit, "rollback": transaction.rollback, "close": conn.close}
        errors = _writer_behind(engine, ends[ending])
        conn.close()
        assert errors == []  # without the turnstile: "database is locked" at once (busy_timeout 0)
        with engine.connect() as check:
            rows = sorted(n for (n,) in check.execute(text("SELECT n FROM t")))
        assert rows == ([1, 2] if ending == "commit" else [2])
    finally:
        engine.dispose()


def test_two_engines_on_one_file_share_the_turnstile(tmp_path: Path) -> None:
    first = _engine_without_sqlite_wait(tmp_path / "db.sqlite3")
    second = _engine_without_sqlite_wait(tmp_path / "db.sqlite3")
    try:
        with first.connect() as conn:
            transaction = conn.begin()
            conn.execute(text("INSERT INTO t VALUES (1)"))
            assert _writer_behind(second, transaction.commit) == []
    finally:
        first.dispose()
        second.dispose()


def test_a_failed_begin_lets_the_next_writer_in(tmp_path: Path) -> None:
    """Another process holds the file (here: a raw sqlite3 connection, which the turnstile does not know): the BEGIN
    fails after SQLite's own wait (0 here), and the turnstile is not left shut behind it."""
    import sqlite3

    engine = _engine_without_sqlite_wait(tmp_path / "db.sqlite3")
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(Exception, match="locked"), engine.begin() as conn:
            conn.execute(text("SELECT 1"))
        other.execute("ROLLBACK")
        with engine.begin() as conn:  # would wait SQLITE_BUSY_SECONDS if the failed BEGIN had kept the turnstile
            conn.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        other.close()
        engine.dispose()


def test_a_second_transaction_of_the_same_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    """It meets SQLite's lock as it did before the turnstile (here at once), rather than hanging on the turnstile."""
    engine = _engine_without_sqlite_wait(tmp_path / "db.sqlite3")
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
            with pytest.raises(Exception, match="locked"), engine.begin() as nested:
                nested.execute(text("SELECT 1"))
    finally:
        engine.dispose()
