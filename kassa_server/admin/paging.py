"""Lists a person pages through: one page of rows, the total, and a search that ignores letter case (Cyrillic too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from kassa_server.models.engine import SQLITE_CASEFOLD


@dataclass
class ListPage:
    rows: list[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def paged(session: Session, query: Select[Any], page: int, page_size: int) -> ListPage:
    """Page ``page`` (1-based, clamped to the last page) of ``query``, with the total count."""
    total = int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = list(session.scalars(query.limit(page_size).offset((page - 1) * page_size)))
    return ListPage(rows, total, page, page_size)


def contains_text(session: Session, column: Any, text: str) -> ColumnElement[bool]:
    """``column`` contains ``text`` whatever the letter case. SQLite's own ``lower`` knows only ASCII, so there the
    comparison uses the Python function the engine registers (models/engine.py)."""
    needle = text.casefold()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if session.get_bind().dialect.name == "sqlite":
        folded: ColumnElement[str] = getattr(func, SQLITE_CASEFOLD)(column)
        return folded.like(pattern, escape="\\")
    return func.lower(column).like(pattern, escape="\\")
