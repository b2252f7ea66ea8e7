"""The rows a face names by their id in a URL (``/receipts/7``, ``/registers/2``): found only inside the infobase
asked for, so an id of another infobase is not found rather than shown."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kassa_server.errors import NotFoundError
from kassa_server.models import CashRegister, CustomerOrder, Infobase, User


def get_register(session: Session, infobase: Infobase, register_id: int) -> CashRegister:
    register = session.get(CashRegister, register_id)
    if register is None or register.infobase_id != infobase.id:
        raise NotFoundError(f"no cash register {register_id} in infobase {infobase.name!r}")
    return register


def get_order_by_id(session: Session, infobase: Infobase, order_id: int) -> CustomerOrder:
    order = session.get(CustomerOrder, order_id)
    if order is None or order.infobase_id != infobase.id:
        raise NotFoundError(f"no customer order {order_id} in infobase {infobase.name!r}")
    return order


def get_user_by_id(session: Session, infobase: Infobase, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.infobase_id != infobase.id:
        raise NotFoundError(f"no user {user_id} in infobase {infobase.name!r}")
    return user
