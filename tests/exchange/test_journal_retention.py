"""The call journal's retention (KASSA_JOURNAL_MAX_ROWS / KASSA_JOURNAL_MAX_AGE_DAYS) and clearing (issue 13)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.app import create_app
from kassa_server.exchange import journal
from kassa_server.exchange.journal import Retention, clear_journal, prune_journal
from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from tests.live_server import live_server

NOW = dt.datetime(2026, 11, 30, 12, 0)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _add(sessions: sessionmaker[Session], ages_days: list[float], infobase: str = "kassa") -> None:
    with sessions.begin() as session:
        session.execute(
            insert(SoapCall),
            [{"at": NOW - dt.timedelta(days=age), "infobase": infobase, "operation": f"op{age}"} for age in ages_days],
        )


def _operations(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(SoapCall.operation).order_by(SoapCall.id)))


def test_max_rows_keeps_the_newest_in_small_batches(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "PRUNE_BATCH", 2)
    _add(sessions, [float(age) for age in range(12, 0, -1)])  # oldest first
    assert prune_journal(sessions, Retention(max_rows=5), now=NOW) == 7
    assert _operations(sessions) == ["op5.0", "op4.0", "op3.0", "op2.0", "op1.0"]
    assert prune_journal(sessions, Retention(max_rows=5), now=NOW) == 0


def test_max_age_forgets_old_calls_only(sessions: sessionmaker[Session]) -> None:
    _add(sessions, [40, 31, 29, 1])
    assert prune_journal(sessions, Retention(max_age=dt.timedelta(days=30)), now=NOW) == 2
    assert _operations(sessions) == ["op29", "op1"]


def test_no_limits_keep_everything_and_an_empty_journal_is_fine(sessions: sessionmaker[Session]) -> None:
    assert prune_journal(sessions, Retention(max_rows=3, max_age=dt.timedelta(days=1)), now=NOW) == 0
    _add(sessions, [400, 300, 200, 100])
    assert prune_journal(sessions, Retention(), now=NOW) == 0
    assert len(_operations(sessions)) == 4


def test_clear_one_infobase_or_all(sessions: sessionmaker[Session]) -> None:
    _add(sessions, [3, 2], infobase="kassa")
    _add(sessions, [1], infobase="other")
    with sessions.begin() as session:
        assert clear_journal(session, infobase="kassa") == 2
    assert _operations(sessions) == ["op1"]
    with sessions.begin() as session:
        assert clear_journal(session) == 1
    assert _operations(sessions) == []


def test_a_running_server_applies_the_retention_in_the_background(db_url: str, sessions: sessionmaker[Session]) -> None:
    settings = Settings(database_url=db_url, journal_max_rows=3, journal_max_age_days=0, journal_prune_seconds=1)
    with live_server(create_app(settings)) as base:
        for number in range(8):  # journaled 404s
            assert httpx.get(f"{base}/nobase{number}/ws/Exchange_2_0_1_6").status_code == 404
        deadline = time.monotonic() + 60
        while True:
            with sessions() as session:
                count = session.scalar(select(func.count()).select_from(SoapCall))
            if count == 3:
                break
            assert time.monotonic() < deadline, f"still {count} calls in the journal"
            threading.Event().wait(0.2)
    with sessions() as session:
        assert list(session.scalars(select(SoapCall.infobase).order_by(SoapCall.id))) == [
            "nobase5",
            "nobase6",
            "nobase7",
        ]
