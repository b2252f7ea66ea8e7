"""``/infobases/{infobase}/cards``: discount cards (``Справочник.ДисконтныеКарты``), one by one or as a CSV file.

A card is named in a path by its number, barcode or magnetic code. Changes and deletions reach the devices at their
next exchange.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kassa_server.admin import cards
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.csvio import CSV_ANSWER, CSV_BODY, csv_response, read_csv
from kassa_server.api.errors import CONFLICT, NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.errors import ValidationError
from kassa_server.models import DiscountCard

router = APIRouter(tags=["discount cards"])


class CardIn(BaseModel):
    """A card to add, or (PATCH) the fields to change: omitted fields stay as they are."""

    number: str | None = Field(None, description="«Номер карты», unique in the infobase; required when adding")
    barcode: str | None = None
    magnetic_code: str | None = None
    owner: str | None = Field(
        None, description="The owner's name (a counterparty, created when missing); empty removes"
    )
    kind: str | None = Field(None, description="e.g. «Скидка 5 %»: sent as the card's loyalty program")
    discount_percent: Decimal | None = Field(None, ge=0, le=100)
    active: bool | None = Field(None, description="False: «Аннулирована» (sent from format 1.19)")
    opened_at: dt.datetime | None = None
    organization: str | None = Field(None, description="The organization's name; empty: every organization")


class CardOut(BaseModel):
    ref: uuid.UUID
    number: str
    barcode: str
    magnetic_code: str
    owner: str | None
    kind: str
    discount_percent: Decimal
    active: bool
    opened_at: dt.datetime | None
    organization: str | None


class CardPage(BaseModel):
    items: list[CardOut]
    total: int = Field(description="Cards matching, on every page")
    page: int = Field(description="This page (1-based; a page past the last gives the last)")
    page_size: int
    pages: int


class CardImportOut(BaseModel):
    created: int
    updated: int


def card_out(card: DiscountCard) -> CardOut:
    return CardOut(
        ref=card.ref,
        number=card.number,
        barcode=card.barcode,
        magnetic_code=card.magnetic_code,
        owner=card.owner.name if card.owner else None,
        kind=card.kind,
        discount_percent=card.discount_percent,
        active=card.active,
        opened_at=card.opened_at,
        organization=card.organization.name if card.organization else None,
    )


def _input(body: CardIn, number: str) -> cards.CardInput:
    return cards.CardInput(
        number=number,
        barcode=body.barcode,
        magnetic_code=body.magnetic_code,
        owner=body.owner,
        kind=body.kind,
        discount_percent=body.discount_percent,
        active=body.active,
        opened_at=body.opened_at,
        organization=body.organization,
    )


@router.get("/infobases/{infobase}/cards", response_model=CardPage, responses=NOT_FOUND)
def list_all(
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=1000),
    search: str = Query("", description="Part of the number, a code, the kind or the owner, any letter case"),
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> CardPage:
    """One page of the cards, by number."""
    with context.transaction() as session:
        found = cards.cards_page(
            session, get_infobase(session, infobase), page=page, page_size=page_size, search=search
        )
        return CardPage(
            items=[card_out(c) for c in found.rows],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
            pages=found.pages,
        )


@router.post(
    "/infobases/{infobase}/cards", status_code=201, response_model=CardOut, responses={**NOT_FOUND, **CONFLICT}
)
def create(body: CardIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> CardOut:
    """Add a card; the devices get it at their next exchange."""
    if not (body.number or "").strip():
        raise ValidationError("number", "a new card needs a number")
    with context.transaction() as session:
        return card_out(cards.add_card(session, get_infobase(session, infobase), _input(body, body.number or "")))


@router.get("/infobases/{infobase}/cards.csv", response_class=Response, responses={**CSV_ANSWER, **NOT_FOUND})
def export(infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    """Every card as CSV, in the columns the import reads (``X-Row-Count``: how many)."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return csv_response(lambda out: cards.export_cards(session, row, out), f"{infobase}-cards.csv")


@router.post(
    "/infobases/{infobase}/cards.csv", response_model=CardImportOut, responses=NOT_FOUND, openapi_extra=CSV_BODY
)
async def import_csv(
    request: Request, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> CardImportOut:
    """Add or change cards from a CSV body (matched by number; columns: number, barcode, magnetic_code, owner, kind,
    discount_percent, status, opened, organization). All or nothing: a bad row is a 422 naming its line."""
    text = await read_csv(request, context)

    def load() -> CardImportOut:
        with context.transaction() as session:
            summary = cards.import_cards(session, get_infobase(session, infobase), io.StringIO(text))
            return CardImportOut(created=summary.created, updated=summary.updated)

    return await run_in_threadpool(load)


@router.get("/infobases/{infobase}/cards/{code}", response_model=CardOut, responses=NOT_FOUND)
def get_one(code: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> CardOut:
    """The card whose number, barcode or magnetic code is ``code``."""
    with context.transaction() as session:
        return card_out(cards.get_card(session, get_infobase(session, infobase), code))


@router.patch("/infobases/{infobase}/cards/{code}", response_model=CardOut, responses=NOT_FOUND)
def change(
    code: str, body: CardIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> CardOut:
    """Change the fields given (the number stays); the devices get the card again at their next exchange."""
    if body.number is not None:
        raise ValidationError("number", "a card's number does not change: add a new card and delete this one")
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        card = cards.get_card(session, row, code)
        return card_out(cards.set_card(session, row, _input(body, card.number)))


@router.delete("/infobases/{infobase}/cards/{code}", status_code=204, responses=NOT_FOUND)
def delete(code: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    """Remove it: the devices get its deletion; receipts keep the number they were sold with."""
    with context.transaction() as session:
        cards.delete_card(session, get_infobase(session, infobase), code)
    return Response(status_code=204)
