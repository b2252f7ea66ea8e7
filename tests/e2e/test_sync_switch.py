"""«Синхронизация данных» off and on again (Администрирование, issue 10 §8), over real HTTP with zeep on both services:
off, the exchange operations answer 1C's fault and GetFunctionalOption is false, Ping still answers; on again, the
device gets everything, numbered as if nothing had happened."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import zeep
from sqlalchemy import select

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import seed_demo
from kassa_server.admin.infobases import get_infobase, set_sync_enabled
from kassa_server.app import create_app
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.infobases import Infobase
from kassa_server.settings import Settings
from tests.e2e.test_device_sync_http import FIRST, PLAN, Device
from tests.live_server import live_server

DISABLED = "Синхронизация данных запрещена администратором."


@pytest.fixture
def shop(db_url: str) -> Iterator[tuple[str, Any, Any]]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
    app = create_app(Settings(database_url=db_url))
    with live_server(app) as base_url:
        yield base_url, sessions, app
    engine.dispose()


def _switch(sessions: Any, app: Any, enabled: bool) -> None:
    with sessions.begin() as session:
        set_sync_enabled(session, get_infobase(session, "kassa"), enabled)
    # the endpoint caches the infobase for 2 s; forget it instead of waiting that long (the control API does the same)
    app.state.endpoints.forget()


def _fault(call: Any, *args: Any) -> str:
    with pytest.raises(zeep.exceptions.Fault) as raised:
        call(*args)
    return str(raised.value.message)


def test_exchange_2_0_1_6_refuses_while_synchronization_is_off(shop: tuple[str, Any, Any]) -> None:
    base_url, sessions, app = shop
    device = Device(base_url, "Exchange_2_0_1_6", FIRST)
    svc = device.svc
    assert svc.GetFunctionalOption("ИспользоватьСинхронизациюДанных") is True
    _switch(sessions, app, False)

    assert svc.Ping() in ("", None)
    assert svc.GetFunctionalOption("ИспользоватьСинхронизациюДанных") is False
    assert _fault(svc.UploadData, PLAN, FIRST, "", False, "", False) == DISABLED
    assert _fault(svc.DownloadData, PLAN, FIRST, "00000000-0000-0000-0000-000000000001", False, "", False) == DISABLED
    assert _fault(svc.Upload, PLAN, FIRST) == DISABLED
    assert _fault(svc.CreateExchange, PLAN, "<ПараметрыНастройки/>", {"Property": []}, {"Property": []}) == DISABLED
    # as in SSL 3.1: TestConnection checks rights, the update lock and the node, not the option
    assert svc.TestConnection(PLAN, FIRST)["return"] is True

    _switch(sessions, app, True)
    assert svc.GetFunctionalOption("ИспользоватьСинхронизациюДанных") is True
    reader = ed.read_message(io.BytesIO(device.download()), strict=True)
    assert reader.header.message_no == 1  # the refused calls numbered nothing
    counts = Counter(type(o).__name__ for o in reader)
    assert counts["Item"] == 55 and counts["CashRegister"] == 1


def test_enterprisedata_exchange_refuses_while_synchronization_is_off(shop: tuple[str, Any, Any]) -> None:
    base_url, sessions, app = shop
    device = Device(base_url, "EnterpriseDataExchange_1_0_1_1", FIRST)
    _switch(sessions, app, False)
    assert device.svc.Ping() in ("", None)
    assert _fault(device.svc.PrepareDataForGetting, PLAN, FIRST, 1) == DISABLED
    assert _fault(device.svc.PutData, PLAN, FIRST, "no-such-file") == DISABLED
    with sessions() as session:
        assert session.scalars(select(Infobase.sync_enabled)).one() is False

    _switch(sessions, app, True)
    reader = ed.read_message(io.BytesIO(device.download()), strict=True)
    assert reader.header.message_no == 1
    assert any(isinstance(o, ed.CashRegister) for o in reader)
