"""The SOAP endpoint's cached infobase look-up carries «Синхронизация данных»: a switch shows after the cache time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.infobases import create_infobase, get_infobase, set_sync_enabled
from kassa_server.exchange.accounts import InfobaseDirectory
from kassa_server.exchange.errors import SyncDisabled
from kassa_server.models.engine import make_engine, make_sessionmaker


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    made = make_sessionmaker(engine)
    with made.begin() as session:
        create_infobase(session, "kassa", defaults=False)
    yield made
    engine.dispose()


def _switch(sessions: sessionmaker[Session], enabled: bool) -> None:
    with sessions.begin() as session:
        infobase = set_sync_enabled(session, get_infobase(session, "kassa"), enabled)
        assert infobase.sync_enabled is enabled


def test_the_switch_travels_in_the_cached_look_up(sessions: sessionmaker[Session]) -> None:
    now = [0.0]
    directory = InfobaseDirectory(sessions, ttl=2.0, clock=lambda: now[0])
    found = directory.find(["kassa"])
    assert found is not None and found.sync_enabled
    found.require_sync()  # on by default: nothing raised

    _switch(sessions, False)
    assert directory.find(["kassa"]).sync_enabled  # type: ignore[union-attr]  # cached for ttl seconds
    now[0] = 2.5
    off = directory.find(["kassa"])
    assert off is not None and not off.sync_enabled
    with pytest.raises(SyncDisabled) as raised:
        off.require_sync()
    assert raised.value.infobase == "kassa"

    _switch(sessions, True)
    directory.forget()
    assert directory.find(["kassa"]).sync_enabled  # type: ignore[union-attr]
