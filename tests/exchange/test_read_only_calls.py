"""On SQLite the calls that only read (``TestConnection``'s node check, ``GetDataPart``) begin a DEFERRED transaction:
they answer while another connection holds the file's write lock, instead of queueing behind it
(``models/engine.py`` ``read_only``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, seed_demo
from kassa_server.exchange.files import TransferStore
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import CashRegister, ExchangeNode, Infobase, Organization, Unit
from kassa_server.models.engine import ReadOnlyViolation, make_engine, make_sessionmaker, read_only
from kassa_server.models.enums import RegisterKind
from kassa_server.settings import ProtocolOptions, Settings
from tests.exchange import device_messages as dm


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions whose connections give up on a locked file at once (busy_timeout 0): a call that queued for the
    write lock fails with "database is locked" instead of waiting."""
    engine = make_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def no_busy_wait(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
    yield sessions
    engine.dispose()


@pytest.fixture
def writer(sqlite_url: str) -> Iterator[sqlite3.Connection]:
    """Another process's writer, as SQLite sees it: it holds the write lock for the whole test."""
    path = sqlite_url.removeprefix("sqlite:///")
    connection = sqlite3.connect(path, isolation_level=None)
    yield connection
    connection.execute("ROLLBACK")
    connection.close()


def _infobase_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalars(select(Infobase.id)).one()


def test_a_node_check_and_a_download_part_answer_while_a_writer_holds_the_file(
    sqlite_url: str, sessions: sessionmaker[Session], writer: sqlite3.Connection
) -> None:
    transfers = TransferStore(sessions)
    infobase_id = _infobase_id(sessions)
    transfers.put_outgoing(infobase_id, "file-1", b"0123456789", 4, plan=dm.PLAN, node_code=DEMO_FACTORY_NUMBER)
    gateway = DatabaseExchangeGateway(sessions, Settings(database_url=sqlite_url))
    writer.execute("BEGIN IMMEDIATE")

    gateway.check_node("kassa", dm.PLAN, DEMO_FACTORY_NUMBER)
    assert transfers.outgoing_part(infobase_id, "file-1", 3) == b"89"


def test_a_node_check_that_may_create_the_node_still_takes_the_write_lock(
    sqlite_url: str, sessions: sessionmaker[Session], writer: sqlite3.Connection
) -> None:
    settings = Settings(database_url=sqlite_url, protocol=ProtocolOptions(auto_create_nodes=True))
    gateway = DatabaseExchangeGateway(sessions, settings)
    writer.execute("BEGIN IMMEDIATE")
    with pytest.raises(Exception, match="locked"):
        gateway.check_node("kassa", dm.PLAN, "a new device")


def test_a_register_without_its_node_gets_one_at_its_first_node_check(
    sqlite_url: str, sessions: sessionmaker[Session]
) -> None:
    """The read-only check finds a register made by other code without a node; it runs again as a writer and the node
    is made, as before."""
    with sessions.begin() as session:
        infobase = session.scalars(select(Infobase)).one()
        organization = session.scalars(select(Organization)).first()
        session.add(
            CashRegister(
                infobase_id=infobase.id,
                name="Касса без узла",
                kind=RegisterKind.MOBILE_KASSA,
                factory_number="4242",
                organization=organization,
            )
        )
    gateway = DatabaseExchangeGateway(sessions, Settings(database_url=sqlite_url))
    gateway.check_node("kassa", dm.PLAN, "4242")
    with sessions() as session:
        assert session.scalar(select(func.count()).where(ExchangeNode.code == "4242")) == 1


def test_a_read_only_transaction_refuses_to_write_and_the_next_one_may(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        with session.begin():
            read_only(session)
            session.add(Unit(infobase_id=_infobase_id(sessions), name="ящик", code="999"))
            with pytest.raises(ReadOnlyViolation):
                session.flush()
            session.rollback()
        with session.begin():  # an ordinary transaction again
            session.add(Unit(infobase_id=_infobase_id(sessions), name="ящик", code="999"))
    with sessions() as session:
        assert session.scalar(select(func.count()).where(Unit.code == "999")) == 1
