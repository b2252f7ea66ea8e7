"""Shared pieces of the SOAP tests: infobases with users, a fake exchange gateway, ZIP payloads, raw envelopes."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pytest
from sqlalchemy import select

from kassa_server.app import create_app
from kassa_server.exchange.errors import MessageRejected, NodeMarkedForDeletion, NodeNotFound, UnknownExchangePlan
from kassa_server.exchange.interface import FormatObjectSupport, ImportOutcome, InfobaseParameters
from kassa_server.models import Infobase, User
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from tests.live_server import live_server

PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
LOGIN = "Кассир"
PASSWORD = "пароль-1"
NODE = "0000000001012345"


def make_infobase(
    db_url: str,
    name: str = "kassa",
    login: str = LOGIN,
    password: str = PASSWORD,
    *,
    public_url: str | None = None,
    title: str = "Магазин у дома",
) -> int:
    """Create an infobase with one user; returns its id."""
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            infobase = Infobase(name=name, title=title, public_url=public_url, node_code="our-node-code")
            user = User(login=login, full_name=login)
            user.set_password(password)
            infobase.users.append(user)
            session.add(infobase)
            session.flush()
            return infobase.id
    finally:
        engine.dispose()


def infobase_id(db_url: str, name: str) -> int:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.execute(select(Infobase.id).where(Infobase.name == name)).scalar_one()
    finally:
        engine.dispose()


@dataclass
class FakeGateway:
    """An in-memory ExchangeGateway: known nodes, a canned outbound message, and a record of what was imported."""

    nodes: set[str] = field(default_factory=lambda: {NODE})
    deleted: set[str] = field(default_factory=set)
    plans: set[str] = field(default_factory=lambda: {PLAN})
    outbound: bytes = b'<?xml version="1.0" encoding="UTF-8"?><Message/>'
    imported: list[tuple[str, str, bytes]] = field(default_factory=list)
    reject_with: str | None = None
    confirmed: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[bytes] = field(default_factory=list)
    registered: list[tuple[str, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def check_node(self, infobase: str, plan: str, node_code: str) -> None:
        if plan not in self.plans:
            raise UnknownExchangePlan(plan)
        if node_code in self.deleted:
            raise NodeMarkedForDeletion(plan, node_code)
        if node_code not in self.nodes:
            raise NodeNotFound(plan, node_code)

    def export_message(self, infobase: str, plan: str, node_code: str, out: BinaryIO) -> None:
        self.check_node(infobase, plan, node_code)
        out.write(self.outbound)

    def import_message(self, infobase: str, plan: str, node_code: str, message: BinaryIO) -> ImportOutcome:
        self.check_node(infobase, plan, node_code)
        if self.reject_with:
            raise MessageRejected(self.reject_with)
        with self.lock:
            self.imported.append((plan, node_code, message.read()))
        return ImportOutcome(message_no=len(self.imported))

    def infobase_parameters(self, infobase: str, plan: str, node_code: str | None) -> InfobaseParameters:
        return InfobaseParameters(
            plan_exists=plan in self.plans,
            plan_name=plan,
            this_node_code="our-node-code",
            node_exists=node_code in self.nodes,
            name="Магазин у дома",
            format_versions=("1.8", "1.10", "1.7"),
            supported_objects=(FormatObjectSupport("1.8", "Справочник.Номенклатура", "*", "*"),),
        )

    def create_exchange(self, infobase: str, plan: str, settings_xml: str) -> None:
        self.created.append(settings_xml)

    def update_exchange(self, infobase: str, plan: str, node_code: str, settings_xml: bytes) -> None:
        self.check_node(infobase, plan, node_code)
        self.updated.append(settings_xml)

    def register_initial_data(self, infobase: str, plan: str, node_code: str, *, catalogs_only: bool) -> None:
        self.registered.append((node_code, catalogs_only))

    def delivery_confirmed(self, infobase: str, plan: str, node_code: str) -> None:
        self.confirmed.append(node_code)


def zip_bytes(entries: list[tuple[str, bytes]], level: int = 6) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def unzip_first(data: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.infolist()[0]
        return info.filename, archive.read(info)


@dataclass
class SoapServer:
    base_url: str
    db_url: str
    gateway: FakeGateway
    infobase: str = "kassa"

    def url(self, service: str = "Exchange_2_0_1_6", infobase: str | None = None) -> str:
        return f"{self.base_url}/{infobase or self.infobase}/ws/{service}"

    @property
    def auth(self) -> tuple[bytes, bytes]:
        return LOGIN.encode("utf-8"), PASSWORD.encode("utf-8")


def start_server(
    db_url: str, settings: Settings | None = None, gateway: FakeGateway | None = None
) -> Iterator[SoapServer]:
    gateway = gateway or FakeGateway()
    make_infobase(db_url)
    settings = (settings or Settings()).replace(database_url=db_url)
    with live_server(create_app(settings, gateway=gateway)) as base_url:
        yield SoapServer(base_url, db_url, gateway)


@pytest.fixture
def soap_server(db_url: str) -> Iterator[SoapServer]:
    """A live server on a fresh database (SQLite and PostgreSQL) with infobase ``kassa`` and a fake gateway."""
    yield from start_server(db_url)


def zeep_client(server: SoapServer, service: str, *, wsdl_name: str | None = None) -> Any:
    import requests
    import zeep
    from zeep.plugins import HistoryPlugin
    from zeep.transports import Transport

    session = requests.Session()
    session.auth = server.auth
    history = HistoryPlugin()
    client = zeep.Client(
        server.url(wsdl_name or service) + "?wsdl", transport=Transport(session=session), plugins=[history]
    )
    client.history = history  # type: ignore[attr-defined]
    return client


def bind(client: Any, service: str, soap12: bool = False) -> Any:
    return client.bind(service, f"{service}Soap12" if soap12 else f"{service}Soap")
