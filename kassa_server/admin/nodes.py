"""The exchange node of a «1С:Мобильная касса» as a person sees it: what waits to be sent, and sending it all again."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kassa_server.models import ExchangeNode, NodeMessage, Tombstone
from kassa_server.models.tracking import TRACKED


def pending_changes(session: Session, node: ExchangeNode) -> int:
    """Changed rows (of every kind that travels) the device has not acknowledged yet; an upper bound of what its next
    message carries, since the node's filters (its register's orders, its organization) apply on top."""
    total = 0
    for model in (*TRACKED, Tombstone):
        column = model.change_seq  # type: ignore[attr-defined]
        infobase = model.infobase_id  # type: ignore[attr-defined]
        total += int(
            session.scalar(select(func.count()).where(infobase == node.infobase_id, column > node.acked_seq)) or 0
        )
    return total


def resend_everything(session: Session, node: ExchangeNode) -> None:
    """Forget what the device acknowledged: its next message carries the whole catalogue again (as 1C's «Выгрузить
    все данные заново»), numbered on from the last message, so the device accepts it."""
    node.acked_seq = 0
    session.flush()


def acknowledged_message(session: Session, node: ExchangeNode) -> int | None:
    """The number of the last message the device confirmed it received (None: none yet)."""
    if node.acked_seq <= 0:
        return None
    number = session.scalar(
        select(func.max(NodeMessage.message_no)).where(
            NodeMessage.node_id == node.id, NodeMessage.max_seq <= node.acked_seq
        )
    )
    return int(number) if number is not None else None
