"""«1С:Мобильная касса» devices: a cash register of that kind plus its exchange node (code = factory number)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.errors import AlreadyExistsError, ConfigError, NotFoundError
from kassa_server.models import CashRegister, ExchangeNode, Infobase, Organization, PriceType, Store
from kassa_server.models.enums import RegisterKind
from kassa_server.models.infobases import DEFAULT_EXCHANGE_PLAN


@dataclass(frozen=True)
class Device:
    register: CashRegister
    node: ExchangeNode


def normalize_node_code(code: str) -> str:
    """Node codes are compared exactly after trimming spaces (mobile-kassa.md §4 [I])."""
    return code.strip()


def register_device(
    session: Session,
    infobase: Infobase,
    factory_number: str,
    *,
    name: str | None = None,
    organization: str | None = None,
    store: str | None = None,
) -> Device:
    """Create a «1С:Мобильная касса» register and its exchange node in one go."""
    factory_number = normalize_node_code(factory_number)
    if not factory_number or len(factory_number) > 50:
        raise ConfigError("the factory number must have 1 to 50 characters")
    clash = session.scalar(
        select(CashRegister).where(
            CashRegister.infobase_id == infobase.id, CashRegister.factory_number == factory_number
        )
    )
    if clash is not None:
        raise AlreadyExistsError(f"a cash register with factory number {factory_number!r} exists already")
    org = _pick(session, Organization, infobase, organization, "organization")
    shop = _pick(session, Store, infobase, store, "store", organization_id=org.id)
    price_type = session.scalar(
        select(PriceType)
        .where(PriceType.infobase_id == infobase.id, PriceType.deleted.is_(False))
        .order_by(PriceType.id)
    )
    register = CashRegister(
        infobase_id=infobase.id,
        name=name or f"Мобильная касса {factory_number}",
        kind=RegisterKind.MOBILE_KASSA,
        factory_number=factory_number,
        registration_number=factory_number,
        organization=org,
        store=shop,
        price_type=price_type,
    )
    session.add(register)
    session.flush()
    return Device(register, ensure_node(session, register))


def ensure_node(session: Session, register: CashRegister) -> ExchangeNode:
    """The node of a «1С:Мобильная касса» register, created when missing (e.g. for registers made by other code)."""
    node = session.scalar(select(ExchangeNode).where(ExchangeNode.cash_register_id == register.id))
    if node is None:
        node = ExchangeNode(
            infobase_id=register.infobase_id,
            code=register.factory_number,
            cash_register_id=register.id,
            plan_name=DEFAULT_EXCHANGE_PLAN,
        )
        session.add(node)
        session.flush()
    return node


def find_node(session: Session, infobase: Infobase, code: str, *, for_update: bool = False) -> ExchangeNode | None:
    """The live node with this code. A «1С:Мобильная касса» register without a node yet gets one here."""
    code = normalize_node_code(code)
    query = select(ExchangeNode).where(ExchangeNode.infobase_id == infobase.id, ExchangeNode.code == code)
    if for_update:
        query = query.with_for_update()
    node = session.scalar(query)
    if node is not None:
        return node
    register = _mobile_register(session, infobase, code)
    if register is None:
        return None
    node = ensure_node(session, register)
    node.deleted = register.deleted
    return node


def list_devices(session: Session, infobase: Infobase) -> list[Device]:
    registers = session.scalars(
        select(CashRegister)
        .where(CashRegister.infobase_id == infobase.id, CashRegister.kind == RegisterKind.MOBILE_KASSA)
        .order_by(CashRegister.id)
    ).all()
    return [Device(register, ensure_node(session, register)) for register in registers]


def get_device(session: Session, infobase: Infobase, factory_number: str) -> Device:
    factory_number = normalize_node_code(factory_number)
    register = _mobile_register(session, infobase, factory_number)
    if register is None:
        raise NotFoundError(f"no «1С:Мобильная касса» with factory number {factory_number!r} in {infobase.name!r}")
    return Device(register, ensure_node(session, register))


def _mobile_register(session: Session, infobase: Infobase, factory_number: str) -> CashRegister | None:
    return session.scalar(
        select(CashRegister).where(
            CashRegister.infobase_id == infobase.id,
            CashRegister.factory_number == factory_number,
            CashRegister.kind == RegisterKind.MOBILE_KASSA,
        )
    )


def _pick(session: Session, model: Any, infobase: Infobase, name: str | None, what: str, **filters: object) -> Any:
    query = select(model).where(model.infobase_id == infobase.id, model.deleted.is_(False))
    if name is not None:
        found = session.scalar(query.where(model.name == name))
        if found is None:
            raise NotFoundError(f"no {what} named {name!r} in infobase {infobase.name!r}")
        return found
    preferred = query
    for column, value in filters.items():
        preferred = preferred.where(getattr(model, column) == value)
    found = session.scalar(preferred.order_by(model.id)) or session.scalar(query.order_by(model.id))
    if found is None:
        raise NotFoundError(f"infobase {infobase.name!r} has no {what} yet: create one first")
    return found
