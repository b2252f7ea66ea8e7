"""Discount cards (``Справочник.ДисконтныеКарты``, objects.md §4.12) and their CSV import/export.

The format carries a card's number, owner, kind (as the loyalty program's name), opening date and, from 1.19, its
status. The barcode, magnetic code and discount percentage are the back office's: kept here, exported, and used to
look a card up by any of its codes.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TextIO

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kassa_server.admin.organizations import get_organization
from kassa_server.admin.paging import ListPage, contains_text, paged
from kassa_server.admin.table_csv import read_rows
from kassa_server.admin.terminals import find_counterparty
from kassa_server.admin.text_values import parse_date
from kassa_server.errors import AlreadyExistsError, CatalogImportError, NotFoundError, ValidationError
from kassa_server.models import Counterparty, DiscountCard, Infobase
from kassa_server.models.enums import LegalForm

COLUMNS = [
    "number",  # the card's number (НомерКарты), unique
    "barcode",
    "magnetic_code",
    "owner",  # the owner's name (a counterparty, created when missing)
    "kind",  # e.g. «Скидка 5 %»: sent as the card's loyalty program
    "discount_percent",  # 0..100
    "status",  # active | cancelled
    "opened",  # YYYY-MM-DD
    "organization",  # empty: every organization
]
REQUIRED = {"number"}
ACTIVE, CANCELLED = "active", "cancelled"


@dataclass(frozen=True)
class CardInput:
    """A card's fields; ``None`` leaves a field as it is when changing one (and means the default when adding)."""

    number: str
    barcode: str | None = None
    magnetic_code: str | None = None
    owner: str | None = None
    """The owner's name; "" removes the owner."""
    kind: str | None = None
    discount_percent: Decimal | None = None
    active: bool | None = None
    opened_at: dt.datetime | None = None
    organization: str | None = None
    """The organization's name; "" = every organization."""


@dataclass
class CardImportSummary:
    created: int = 0
    updated: int = 0


def add_card(session: Session, infobase: Infobase, data: CardInput) -> DiscountCard:
    number = _number(data.number)
    if find_card(session, infobase, number) is not None:
        raise AlreadyExistsError(f"discount card {number!r} exists already in infobase {infobase.name!r}")
    card = DiscountCard(infobase_id=infobase.id, number=number, opened_at=dt.datetime.now().replace(microsecond=0))
    _apply(session, infobase, card, data)
    session.add(card)
    session.flush()
    return card


def set_card(session: Session, infobase: Infobase, data: CardInput) -> DiscountCard:
    card = get_card(session, infobase, data.number)
    _apply(session, infobase, card, data)
    session.flush()
    return card


def save_card(session: Session, infobase: Infobase, data: CardInput) -> tuple[DiscountCard, bool]:
    """Add the card, or change the one with this number; returns (card, created)."""
    card = find_card(session, infobase, _number(data.number))
    if card is None:
        return add_card(session, infobase, data), True
    _apply(session, infobase, card, data)
    session.flush()
    return card, False


def find_card(session: Session, infobase: Infobase, code: str) -> DiscountCard | None:
    """The card whose number, barcode or magnetic code is ``code``."""
    code = code.strip()
    if not code:
        return None
    by_number = session.scalar(
        select(DiscountCard).where(DiscountCard.infobase_id == infobase.id, DiscountCard.number == code)
    )
    if by_number is not None:
        return by_number
    return session.scalar(
        select(DiscountCard)
        .where(
            DiscountCard.infobase_id == infobase.id,
            or_(DiscountCard.barcode == code, DiscountCard.magnetic_code == code),
        )
        .order_by(DiscountCard.id)
    )


def get_card(session: Session, infobase: Infobase, code: str) -> DiscountCard:
    card = find_card(session, infobase, code)
    if card is None:
        raise NotFoundError(f"no discount card {code!r} in infobase {infobase.name!r}")
    return card


def card_by_ref(session: Session, infobase: Infobase, ref: uuid.UUID) -> DiscountCard:
    card = session.scalar(select(DiscountCard).where(DiscountCard.infobase_id == infobase.id, DiscountCard.ref == ref))
    if card is None:
        raise NotFoundError(f"no discount card with ref {ref} in infobase {infobase.name!r}")
    return card


def list_cards(session: Session, infobase: Infobase) -> list[DiscountCard]:
    query = select(DiscountCard).where(DiscountCard.infobase_id == infobase.id, DiscountCard.deleted.is_(False))
    return list(session.scalars(query.order_by(DiscountCard.id)))


def cards_page(
    session: Session, infobase: Infobase, *, page: int = 1, page_size: int = 50, search: str = ""
) -> ListPage:
    """One page of the cards (by number), those whose number, barcode, magnetic code, kind or owner contain
    ``search`` (any letter case) when it is given."""
    query = (
        select(DiscountCard)
        .outerjoin(Counterparty, DiscountCard.owner_id == Counterparty.id)
        .where(DiscountCard.infobase_id == infobase.id, DiscountCard.deleted.is_(False))
    )
    if search.strip():
        columns = (DiscountCard.number, DiscountCard.barcode, DiscountCard.magnetic_code, DiscountCard.kind)
        text = search.strip()
        query = query.where(or_(*(contains_text(session, c, text) for c in (*columns, Counterparty.name))))
    return paged(session, query.order_by(DiscountCard.number, DiscountCard.id), page, page_size)


def delete_card(session: Session, infobase: Infobase, code: str) -> DiscountCard:
    """Remove a card: the devices get its deletion; receipts keep the number they were sold with."""
    card = get_card(session, infobase, code)
    session.delete(card)
    session.flush()
    return card


def export_cards(session: Session, infobase: Infobase, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    cards = list_cards(session, infobase)
    for card in cards:
        writer.writerow(
            [
                card.number,
                card.barcode,
                card.magnetic_code,
                card.owner.name if card.owner else "",
                card.kind,
                f"{card.discount_percent:f}",
                ACTIVE if card.active else CANCELLED,
                card.opened_at.date().isoformat() if card.opened_at else "",
                card.organization.name if card.organization else "",
            ]
        )
    return len(cards)


def import_cards(session: Session, infobase: Infobase, source: TextIO) -> CardImportSummary:
    """Add or change cards from CSV (matched by number); all or nothing: a bad row raises ``CatalogImportError``."""
    summary = CardImportSummary()
    seen: dict[str, int] = {}
    for line, row in read_rows(source, COLUMNS, REQUIRED):
        try:
            data = _card_input(row)
            number = _number(data.number)
            if number in seen:
                raise ValidationError("number", f"card {number} is also on line {seen[number]}")
            seen[number] = line
            _, created = save_card(session, infobase, data)
        except ValidationError as exc:
            raise CatalogImportError(line, f"{exc.field}: {exc.reason}") from exc
        except (NotFoundError, AlreadyExistsError) as exc:
            raise CatalogImportError(line, str(exc)) from exc
        if created:
            summary.created += 1
        else:
            summary.updated += 1
    return summary


def parse_percent(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        raise ValidationError("discount_percent", f"{text!r} is not a number") from None
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValidationError("discount_percent", f"{text!r}: between 0 and 100")
    return value.quantize(Decimal("0.01"))


def _card_input(row: dict[str, str]) -> CardInput:
    status = row.get("status", "").lower()
    if status not in {"", ACTIVE, CANCELLED}:
        raise ValidationError("status", f"{status!r}: {ACTIVE} or {CANCELLED}")
    opened = parse_date(row.get("opened", ""), "opened")
    opened_at = dt.datetime.combine(opened, dt.time()) if opened is not None else None
    percent = row.get("discount_percent", "")
    return CardInput(
        number=row.get("number", ""),
        barcode=row.get("barcode") if "barcode" in row else None,
        magnetic_code=row.get("magnetic_code") if "magnetic_code" in row else None,
        owner=row.get("owner") if "owner" in row else None,
        kind=row.get("kind") if "kind" in row else None,
        discount_percent=parse_percent(percent) if percent else None,
        active=None if not status else status == ACTIVE,
        opened_at=opened_at,
        organization=row.get("organization") if "organization" in row else None,
    )


def _apply(session: Session, infobase: Infobase, card: DiscountCard, data: CardInput) -> None:
    for field, value, limit in (("barcode", data.barcode, 200), ("magnetic_code", data.magnetic_code, 200)):
        if value is not None:
            if len(value.strip()) > limit:
                raise ValidationError(field, f"at most {limit} characters")
            setattr(card, field, value.strip())
    if data.kind is not None:
        if len(data.kind.strip()) > 150:
            raise ValidationError("kind", "at most 150 characters")
        card.kind = data.kind.strip()
    if data.owner is not None:
        card.owner = (
            find_counterparty(session, infobase, data.owner, LegalForm.INDIVIDUAL) if data.owner.strip() else None
        )
    if data.discount_percent is not None:
        card.discount_percent = parse_percent(str(data.discount_percent))
    if data.active is not None:
        card.active = data.active
    if data.opened_at is not None:
        card.opened_at = data.opened_at
    if data.organization is not None:
        card.organization = get_organization(session, infobase, data.organization) if data.organization else None


def _number(number: str) -> str:
    value = (number or "").strip()
    if not value:
        raise ValidationError("number", "the card's number is empty")
    if len(value) > 100:
        raise ValidationError("number", "at most 100 characters")
    return value
