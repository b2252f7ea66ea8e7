"""A pooled PostgreSQL connection is pinged only after it sat idle (``make_engine(ping_after_idle=…)``)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kassa_server.models.engine import make_engine

pytestmark = pytest.mark.postgres


def _backend_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=None)
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


@pytest.fixture
def pg_url(postgres_databases) -> str:  # type: ignore[no-untyped-def]
    return str(postgres_databases.create_empty())


def test_idle_connection_dropped_by_the_server_is_replaced_without_an_error(pg_url: str) -> None:
    engine = make_engine(pg_url, ping_after_idle=0.0, pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        second = _backend_pid(engine)  # pinged at checkout: the dead connection is replaced, no error
        assert second != first
    finally:
        engine.dispose()


def test_connection_used_moments_ago_is_not_pinged(pg_url: str) -> None:
    engine = make_engine(pg_url, ping_after_idle=3600.0, pool_size=1, max_overflow=0)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    engine.dialect.do_ping = lambda dbapi_connection: pings.append(dbapi_connection) or ping(dbapi_connection)  # type: ignore[method-assign]
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first
        assert pings == []
        # The trade-off: the server dropped it in between, so its next statement fails once; the pool then
        # reconnects and the call after that goes through.
        _terminate(pg_url, first)
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


def test_pre_ping_at_every_checkout_when_asked(pg_url: str) -> None:
    engine = make_engine(pg_url, ping_after_idle=None, pool_size=1, max_overflow=0)
    try:
        assert engine.pool._pre_ping  # type: ignore[attr-defined]
        first = _backend_pid(engine)
        _terminate(pg_url, first)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
