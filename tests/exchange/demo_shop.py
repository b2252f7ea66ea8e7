"""A database holding the demo shop, with a gateway over it: what the exchange tests' ``shop`` fixtures stand on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.demo import seed_demo
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import Infobase
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings


class DemoShop(NamedTuple):
    engine: Engine
    sessions: sessionmaker[Session]
    gateway: DatabaseExchangeGateway
    own_code: str
    """The infobase's own node code (``ОтКого`` of our messages)."""


@contextmanager
def demo_shop(db_url: str, *devices: DeviceInput) -> Iterator[DemoShop]:
    """``db_url`` seeded with the demo shop and ``devices`` registered beside its own; the engine is disposed after."""
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions.begin() as session:
            seed_demo(session)
            infobase = session.scalars(select(Infobase)).one()
            for device in devices:
                register_device(session, infobase, device)
            own = infobase.node_code
        yield DemoShop(engine, sessions, DatabaseExchangeGateway(sessions, Settings(database_url=db_url)), own)
    finally:
        engine.dispose()
