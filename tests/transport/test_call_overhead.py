"""What a call costs less of (issue 12, goal 1) must not change what it does.

* The journal is written in batches by a writer thread (``DatabaseJournal``), yet a call's row is in the database when
  its answer arrives: the control API and a reader in another process see it at once, and a clean stop loses nothing.
* Credentials are not checked with scrypt on every call (``DatabaseAuthenticator``), yet a user disabled or given a
  new password through the server is refused on the very next call; a change made elsewhere (the CLI, another server
  process) within the short memory's ``ttl``, and then without a new scrypt check for an unchanged password.
* The writer settles the waiting requests of an event loop with one wake-up per batch (``_Waker``), not one per entry.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from kassa_server.admin import infobases
from kassa_server.app import create_app
from kassa_server.exchange.journal import DatabaseJournal, JournalEntry
from kassa_server.models import Infobase, SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from kassa_server.transport.routes import _Waker
from tests.live_server import live_server
from tests.soap_support import LOGIN, PASSWORD, make_infobase

TOKEN = "overhead-token"
SERVICE = "/kassa/ws/EnterpriseDataExchange_1_0_1_1"
PING = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><m:Ping xmlns:m="http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1"/></soap:Body>'
    "</soap:Envelope>"
)


@pytest.fixture
def app(db_url: str) -> Iterator[Any]:
    make_infobase(db_url)
    yield create_app(Settings(database_url=db_url, admin_token=TOKEN))


def soap_ping(base_url: str, password: str = PASSWORD, client: httpx.Client | None = None) -> httpx.Response:
    post = (client or httpx).post  # type: ignore[attr-defined]
    return post(  # type: ignore[no-any-return]
        base_url + SERVICE,
        content=PING.encode("utf-8"),
        headers={"content-type": "text/xml; charset=utf-8", "soapaction": '""'},
        auth=(LOGIN.encode("utf-8"), password.encode("utf-8")),
        timeout=30,
    )


def count_in_another_process(db_url: str) -> int:
    """The journal's rows as another process (the CLI, another server) would count them: a connection of its own."""
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(session.scalar(select(func.count(SoapCall.id))) or 0)
    finally:
        engine.dispose()


# --- the journal --------------------------------------------------------------------------------------------------


def test_a_call_is_in_the_journal_when_its_answer_arrives(app: Any, db_url: str) -> None:
    api = {"Authorization": f"Bearer {TOKEN}"}
    with live_server(app) as base_url, httpx.Client(timeout=30) as client:
        for n in range(1, 6):
            answer = soap_ping(base_url, client=client)
            assert answer.status_code == 200 and b"PingResponse" in answer.content
            listed = client.get(f"{base_url}/api/v1/infobases/kassa/journal", headers=api, params={"limit": 100})
            assert listed.status_code == 200, listed.text
            pings = [e for e in listed.json() if e["operation"] == "Ping"]
            assert len(pings) == n and pings[0]["outcome"] == "ok"
            assert count_in_another_process(db_url) == n


def test_concurrent_calls_share_transactions_and_a_clean_stop_loses_none(app: Any, db_url: str) -> None:
    journal = app.state.endpoints.journal
    with live_server(app) as base_url, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: soap_ping(base_url).status_code, range(40)))
    assert statuses == [200] * 40
    assert count_in_another_process(db_url) == 40
    assert 1 <= journal.batches <= 40


def test_the_writer_writes_what_is_queued_when_closed(db_url: str) -> None:
    """Entries handed over without waiting are all written by ``close`` (the app's shutdown), in few transactions."""
    make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        journal = DatabaseJournal(make_sessionmaker(engine), body_limit=100)
        written: list[int] = []
        at = dt.datetime(2026, 12, 1)
        for n in range(300):
            entry = JournalEntry(at=at, infobase="kassa", operation="Ping", outcome="ok", request_body=b"x" * 500)
            journal.submit(entry, lambda n=n: written.append(n))
        journal.close()
        assert sorted(written) == list(range(300))
        assert journal.batches <= 300
        late = JournalEntry(at=at, infobase="kassa", operation="Late", outcome="ok")
        journal.record(late)  # after close: written by the caller
    finally:
        engine.dispose()
    assert count_in_another_process(db_url) == 301
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            bodies = session.scalars(select(SoapCall.request_body).where(SoapCall.operation == "Ping")).all()
    finally:
        engine.dispose()
    assert len(bodies) == 300 and all(body == "x" * 100 for body in bodies)  # clipped to the body limit


# --- credentials ----------------------------------------------------------------------------------------------------


def test_a_user_disabled_or_given_a_new_password_through_the_server_is_refused_at_once(app: Any) -> None:
    sessions = app.state.sessions  # the sessions the back office and the control API change users through
    with live_server(app) as base_url:
        assert soap_ping(base_url).status_code == 200
        assert soap_ping(base_url).status_code == 200  # remembered now
        with sessions.begin() as session:
            infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
            infobases.set_user_disabled(session, infobase, LOGIN)
        assert soap_ping(base_url).status_code == 401
        with sessions.begin() as session:
            infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
            infobases.set_user_disabled(session, infobase, LOGIN, disabled=False)
        assert soap_ping(base_url).status_code == 200
        with sessions.begin() as session:
            infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
            infobases.set_password(session, infobase, LOGIN, "новый-пароль-2")
        assert soap_ping(base_url).status_code == 401
        assert soap_ping(base_url, "новый-пароль-2").status_code == 200


def test_a_change_made_elsewhere_shows_after_the_short_memory_and_scrypt_runs_once(app: Any, db_url: str) -> None:
    authenticator = app.state.endpoints.authenticator
    now = [1000.0]
    authenticator.clock = lambda: now[0]

    def elsewhere(change: Any) -> None:  # the CLI or another server process: sessions of their own
        engine = make_engine(db_url)
        try:
            with make_sessionmaker(engine).begin() as session:
                change(session, session.scalars(select(Infobase).where(Infobase.name == "kassa")).one())
        finally:
            engine.dispose()

    with live_server(app) as base_url:
        assert soap_ping(base_url).status_code == 200
        checks = authenticator.verifications
        now[0] += authenticator.ttl + 1  # the short memory is over: the user's row is read again, scrypt is not run
        assert soap_ping(base_url).status_code == 200
        assert authenticator.verifications == checks

        elsewhere(lambda session, infobase: infobases.set_user_disabled(session, infobase, LOGIN))
        assert soap_ping(base_url).status_code == 200  # within ttl of the last check
        now[0] += authenticator.ttl + 1
        assert soap_ping(base_url).status_code == 401

        elsewhere(lambda session, infobase: infobases.set_user_disabled(session, infobase, LOGIN, disabled=False))
        elsewhere(lambda session, infobase: infobases.set_password(session, infobase, LOGIN, "новый-пароль-3"))
        assert soap_ping(base_url).status_code == 401  # a new hash: scrypt again, and the old password fails
        assert soap_ping(base_url, "новый-пароль-3").status_code == 200


def test_the_writer_wakes_a_loop_once_for_what_it_reports_meanwhile() -> None:
    loop = asyncio.new_event_loop()
    try:
        calls = []
        threadsafe = loop.call_soon_threadsafe

        def counting(*args: Any) -> Any:
            calls.append(args)
            return threadsafe(*args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign,assignment]
        waker = _Waker(loop)
        futures = [loop.create_future() for _ in range(100)]
        futures[3].cancel()  # a request cancelled meanwhile (shutdown)

        def report() -> None:
            for future in futures:
                waker.settle(future)

        writer = threading.Thread(target=report)
        writer.start()
        writer.join()
        assert len(calls) == 1  # the loop has not run yet: one wake-up takes all 100
        loop.run_until_complete(asyncio.sleep(0))
        assert all(f.done() for f in futures) and futures[3].cancelled()
        later = loop.create_future()
        waker.settle(later)
        assert len(calls) == 2
        loop.run_until_complete(later)
    finally:
        loop.close()
    waker.settle(asyncio.Future(loop=loop))  # a closed loop: nobody waits, nothing raised
