"""«1С:Мобильная касса» devices: register one (a cash register of that kind plus its exchange node, code = factory
number), list, change, remove, and what a device needs to connect (the QR string and the manual parameters)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.catalog import default_price_type
from kassa_server.admin.infobases import get_user, normalize_public_url
from kassa_server.admin.organizations import get_organization, get_store
from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.exchange.devices import ensure_node, normalize_node_code
from kassa_server.exchange.qr import ConnectionParameters, PublicUrlMissing, qr_png, qr_string
from kassa_server.models import CashRegister, ExchangeNode, Infobase, User
from kassa_server.models.enums import RegisterKind, UserRole
from kassa_server.settings import ProtocolOptions

FACTORY_NUMBER_MAX = 50


@dataclass(frozen=True)
class Device:
    """A register and its exchange node; ``node`` is None until the device first calls (or ``register_device``)."""

    register: CashRegister
    node: ExchangeNode | None

    @property
    def node_code(self) -> str:
        return self.node.code if self.node is not None else self.register.factory_number


@dataclass(frozen=True)
class DeviceInput:
    factory_number: str
    """The app's «Идентификатор приложения»; it becomes the node code and goes into the QR string."""
    name: str | None = None
    organization: str | None = None
    """The organization's name; default: the infobase's first one."""
    store: str | None = None
    """The store's name; default: the organization's first one."""
    registration_number: str | None = None
    """The ККТ registration number from the tax office; default: the factory number."""


@dataclass(frozen=True)
class ConnectionInfo:
    parameters: ConnectionParameters
    qr: str | None
    """None when the infobase has no «Адрес в интернете» (``qr_or_raise`` says which setting to fill)."""

    def qr_or_raise(self) -> str:
        if self.qr is None:
            raise PublicUrlMissing(self.parameters.base)
        return self.qr


def register_device(session: Session, infobase: Infobase, data: DeviceInput) -> Device:
    """Register a device: the one function every face calls (a «1С:Мобильная касса» register and its node)."""
    factory_number = check_factory_number(data.factory_number)
    existing = _register(session, infobase, factory_number, any_kind=True)
    if existing is not None and not (existing.deleted and existing.kind == RegisterKind.MOBILE_KASSA):
        raise AlreadyExistsError(f"a cash register with factory number {factory_number!r} exists already")
    organization = get_organization(session, infobase, data.organization)
    store = get_store(session, infobase, data.store, organization=organization)
    if existing is not None:  # a removed device registered again
        existing.deleted = False
        existing.organization, existing.store = organization, store
        if data.name:
            existing.name = _check_name(data.name)
        node = ensure_node(session, existing)
        node.deleted = False
        session.flush()
        return Device(existing, node)
    try:
        price_type = default_price_type(session, infobase)
    except NotFoundError:
        price_type = None
    register = CashRegister(
        infobase_id=infobase.id,
        name=_check_name(data.name) if data.name else f"Мобильная касса {factory_number}",
        kind=RegisterKind.MOBILE_KASSA,
        factory_number=factory_number,
        registration_number=(data.registration_number or factory_number)[:FACTORY_NUMBER_MAX],
        organization=organization,
        store=store,
        price_type=price_type,
    )
    session.add(register)
    session.flush()
    return Device(register, ensure_node(session, register))


def check_factory_number(text: str) -> str:
    """The factory number trimmed; refused when the QR string ``url;number;login;`` could not carry it."""
    number = normalize_node_code(text)
    if not number or len(number) > FACTORY_NUMBER_MAX:
        raise ValidationError("factory_number", f"the factory number must have 1 to {FACTORY_NUMBER_MAX} characters")
    if ";" in number:
        raise ValidationError("factory_number", f"factory number {number!r}: ';' separates the fields of the QR string")
    if not number.isprintable():
        raise ValidationError(
            "factory_number", f"factory number {number!r}: a control character cannot go into the QR string"
        )
    return number


def list_devices(session: Session, infobase: Infobase, *, include_removed: bool = False) -> list[Device]:
    """The infobase's «1С:Мобильная касса» devices with their nodes; reading writes nothing."""
    query = (
        select(CashRegister, ExchangeNode)
        .outerjoin(ExchangeNode, ExchangeNode.cash_register_id == CashRegister.id)
        .where(CashRegister.infobase_id == infobase.id, CashRegister.kind == RegisterKind.MOBILE_KASSA)
        .order_by(CashRegister.id)
    )
    if not include_removed:
        query = query.where(CashRegister.deleted.is_(False))
    rows = session.execute(query).all()
    return [Device(register, node) for register, node in rows]


def get_device(session: Session, infobase: Infobase, factory_number: str) -> Device:
    factory_number = normalize_node_code(factory_number)
    register = _register(session, infobase, factory_number)
    if register is None:
        raise NotFoundError(f"no «1С:Мобильная касса» with factory number {factory_number!r} in {infobase.name!r}")
    node = session.scalar(select(ExchangeNode).where(ExchangeNode.cash_register_id == register.id))
    return Device(register, node)


def set_device(
    session: Session,
    infobase: Infobase,
    factory_number: str,
    *,
    name: str | None = None,
    store: str | None = None,
    organization: str | None = None,
) -> Device:
    """Rename a device or move it to another store or organization (sent to it at the next exchange)."""
    device = get_device(session, infobase, factory_number)
    register = device.register
    if name is not None:
        register.name = _check_name(name)
    if organization is not None:
        register.organization = get_organization(session, infobase, organization)
    if store is not None:
        register.store = get_store(session, infobase, store)
    session.flush()
    return device


def remove_device(session: Session, infobase: Infobase, factory_number: str) -> Device:
    """Remove a device: its register and node are marked deleted, so the app's next call is refused as an unknown
    node; the receipts it sent stay. Registering the same factory number again brings it back."""
    device = get_device(session, infobase, factory_number)
    if device.register.deleted:
        raise NotFoundError(f"the «1С:Мобильная касса» {device.register.factory_number!r} is removed already")
    device.register.deleted = True
    if device.node is not None:
        device.node.deleted = True
    session.flush()
    return device


def connection_info(
    session: Session,
    infobase: Infobase,
    factory_number: str,
    *,
    login: str | None = None,
    public_url: str | None = None,
    fallback_server: str | None = None,
    protocol: ProtocolOptions | None = None,
) -> ConnectionInfo:
    """The manual connection parameters and the QR string of a device for ``login`` (default: the first cashier; a
    login given must be a user of the infobase).

    The address is the infobase's «Адрес в интернете», else ``public_url`` (the server's template filled in), else
    ``fallback_server`` (host:port) for the manual parameters only; with none of them ``PublicUrlMissing`` is raised.
    """
    protocol = protocol or ProtocolOptions()
    device = get_device(session, infobase, factory_number)
    user = get_user(session, infobase, login) if login is not None else default_user(session, infobase)
    number = device.register.factory_number
    url = infobase.public_url or (normalize_public_url(public_url, infobase.name) if public_url else None)
    if url is None:
        if fallback_server is None:
            raise PublicUrlMissing(infobase.name)
        return ConnectionInfo(ConnectionParameters(fallback_server, infobase.name, False, user.login, number), None)
    parts = urlsplit(url)
    params = ConnectionParameters(parts.netloc, infobase.name, parts.scheme == "https", user.login, number)
    second = number if protocol.qr_node_field == "factory_number" else device.node_code
    return ConnectionInfo(params, qr_string(url, second, user.login, login_encoding=protocol.qr_login_encoding))


def qr_image(text: str) -> bytes:
    """The QR code of a connection string as a PNG image, for a page to show (``connection_info(...).qr``)."""
    return qr_png(text)


def default_user(session: Session, infobase: Infobase) -> User:
    """The user a device logs in as by default: the first cashier, else the first user."""
    users = session.scalars(
        select(User).where(User.infobase_id == infobase.id, User.disabled.is_(False)).order_by(User.id)
    ).all()
    user = next((u for u in users if u.role == UserRole.CASHIER), users[0] if users else None)
    if user is None:
        raise NotFoundError(f"infobase {infobase.name!r} has no users: add a cashier first")
    return user


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 150:
        raise ValidationError("name", "the device's name must have 1 to 150 characters")
    return name


def _register(
    session: Session, infobase: Infobase, factory_number: str, *, any_kind: bool = False
) -> CashRegister | None:
    query = select(CashRegister).where(
        CashRegister.infobase_id == infobase.id, CashRegister.factory_number == factory_number
    )
    if not any_kind:
        query = query.where(CashRegister.kind == RegisterKind.MOBILE_KASSA)
    return session.scalar(query)
