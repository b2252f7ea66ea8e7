"""Work done before authentication is bounded (issue 14 §1): path length, base candidates, look-up caches.

Before: a 63 KB path of ``/ws/`` segments without credentials blocked the event loop 3-4 s per request and grew the
process from 1 GB to 8 GB over 11 requests (an ``IN (…)`` of every candidate, kept by SQLAlchemy's statement cache and
by the directory's cache keyed by the whole candidate list).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from kassa_server.app import create_app
from kassa_server.settings import Limits, Settings
from tests.live_server import live_server
from tests.soap_support import make_infobase


@pytest.fixture
def served(sqlite_url: str) -> Iterator[tuple[str, Any]]:
    make_infobase(sqlite_url)
    app = create_app(Settings(database_url=sqlite_url, limits=Limits(max_path_bytes=64 * 1024)))
    with live_server(app) as base_url:
        yield base_url, app


def test_a_path_over_the_limit_is_414_without_a_lookup(sqlite_url: str) -> None:
    make_infobase(sqlite_url)
    app = create_app(Settings(database_url=sqlite_url))
    statements = _count_statements(app)
    with live_server(app) as base_url:
        path = "/kassa" + "/ws" * 16_000 + "/Exchange_2_0_1_6"  # 64 KB
        response = httpx.get(base_url + path, timeout=30)
        assert response.status_code == 414
        assert statements == []
        assert httpx.get(base_url + "/kassa/ws/Exchange_2_0_1_6/ping").status_code == 401


def test_lookups_per_request_do_not_grow_with_the_path(served: tuple[str, Any]) -> None:
    base_url, app = served
    statements = _count_statements(app)
    for segments in (1, 10, 1000, 10_000):
        statements.clear()
        path = "/nope" + "/ws/x" * segments + "/Exchange_2_0_1_6"
        assert httpx.get(base_url + path, timeout=30).status_code == 404
        assert len(statements) <= app.state.settings.limits.max_base_candidates
        assert all(len(sql) < 1000 and " IN " not in sql.upper() for sql in statements)


def test_nothing_per_request_stays_in_a_cache(served: tuple[str, Any]) -> None:
    base_url, app = served
    directory = app.state.endpoints.directory
    engine = app.state.sessions.kw["bind"]
    for i in range(50):
        path = f"/kassa/ws/x{i}" + "/ws/y" * (i % 7) + "/ws/Exchange_2_0_1_6"
        assert httpx.get(base_url + path, timeout=30).status_code in (401, 404)
    compiled = len(engine._compiled_cache)
    for i in range(50, 100):
        path = f"/kassa/ws/x{i}" + "/ws/y" * (i % 7) + "/ws/Exchange_2_0_1_6"
        assert httpx.get(base_url + path, timeout=30).status_code in (401, 404)
    assert list(directory._cache) == ["kassa"]
    assert len(engine._compiled_cache) == compiled


def _count_statements(app: Any) -> list[str]:
    statements: list[str] = []
    engine = app.state.sessions.kw["bind"]

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "infobases" in statement:
            statements.append(statement)

    return statements
