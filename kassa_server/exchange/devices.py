"""The exchange nodes of «1С:Мобильная касса» devices (node code = factory number), as the protocol finds them.

Registering, listing and changing devices are the back office's acts: ``kassa_server.admin.devices``."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from kassa_server.models import CashRegister, ExchangeNode, Infobase
from kassa_server.models.enums import RegisterKind
from kassa_server.models.infobases import DEFAULT_EXCHANGE_PLAN


def normalize_node_code(code: str) -> str:
    """Node codes are compared exactly after trimming spaces (mobile-kassa.md §4 [I])."""
    return code.strip()


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


_NODE = (
    select(ExchangeNode)
    .where(ExchangeNode.infobase_id == bindparam("infobase"), ExchangeNode.code == bindparam("code"))
    .options(joinedload(ExchangeNode.cash_register).joinedload(CashRegister.organization))
)
"""A node with its register and the register's organization, which every call checks or books to: one query."""
_NODE_FOR_UPDATE = _NODE.with_for_update(of=ExchangeNode)


def find_node(session: Session, infobase: Infobase, code: str, *, for_update: bool = False) -> ExchangeNode | None:
    """The live node with this code. A «1С:Мобильная касса» register without a node yet gets one here."""
    code = normalize_node_code(code)
    node = session.scalar(_NODE_FOR_UPDATE if for_update else _NODE, {"infobase": infobase.id, "code": code})
    if node is not None:
        return node
    register = _mobile_register(session, infobase, code)
    if register is None:
        return None
    node = ensure_node(session, register)
    node.deleted = register.deleted
    return node


def _mobile_register(session: Session, infobase: Infobase, factory_number: str) -> CashRegister | None:
    return session.scalar(
        select(CashRegister).where(
            CashRegister.infobase_id == infobase.id,
            CashRegister.factory_number == factory_number,
            CashRegister.kind == RegisterKind.MOBILE_KASSA,
        )
    )
