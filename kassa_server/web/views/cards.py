"""Дисконтные карты: the list with a search by number or code and paging, the card to add or change one, deleting it,
and the CSV import (all or nothing, the bad row named) and export of ``admin.cards``."""

from __future__ import annotations

import datetime as dt
import io

from starlette.responses import Response

from kassa_server.admin import cards, organizations
from kassa_server.admin.goods_csv import decode_csv
from kassa_server.admin.text_values import parse_date
from kassa_server.errors import CatalogImportError, KassaError
from kassa_server.models import DiscountCard
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

FIELDS = ("number", "barcode", "magnetic_code", "owner", "kind", "discount_percent", "opened", "organization")


@page_handler("cards")
def cards_list(page: Page) -> Response:
    text = page.query.get("q", "")[:200]
    number = page.query.get("page", "")
    listed = cards.cards_page(page.db, page.infobase, search=text, page=int(number) if number.isdigit() else 1)
    return page.render("cards.html", listed=listed, filters={"q": text})


@page_handler("cards")
def card_new(page: Page) -> Response:
    if page.request.method == "POST":
        return _save(page, None)
    values: dict[str, object] = dict.fromkeys(FIELDS, "")
    values["discount_percent"] = "0"
    values["active"] = True
    return _render(page, None, values, {})


@page_handler("cards")
def card(page: Page) -> Response:
    found = cards.card_by_ref(page.db, page.infobase, page.request.path_params["ref"])
    if page.request.method == "POST":
        return _save(page, found)
    values: dict[str, object] = {
        "number": found.number,
        "barcode": found.barcode,
        "magnetic_code": found.magnetic_code,
        "owner": found.owner.name if found.owner else "",
        "kind": found.kind,
        "discount_percent": f"{found.discount_percent.normalize():f}",
        "opened": found.opened_at.date().isoformat() if found.opened_at else "",
        "organization": found.organization.name if found.organization else "",
        "active": found.active,
    }
    return _render(page, found, values, {})


@page_handler("cards")
def card_delete(page: Page) -> Response:
    found = cards.card_by_ref(page.db, page.infobase, page.request.path_params["ref"])
    with page.act():
        cards.delete_card(page.db, page.infobase, found.number)
    page.flash(f"Карта {found.number} удалена; кассы удалят ее при следующей синхронизации.")
    return page.redirect(page.url("cards"))


@page_handler("cards")
def cards_import(page: Page) -> Response:
    if page.request.method == "GET":
        return page.render("cards_import.html", columns=cards.COLUMNS, error="")
    upload = page.upload("file")
    if upload is None or not upload.filename:
        return page.render("cards_import.html", status=422, columns=cards.COLUMNS, error="Выберите файл CSV.")
    try:
        text = decode_csv(upload.file.read())
        with page.act():
            summary = cards.import_cards(page.db, page.infobase, io.StringIO(text))
    except CatalogImportError as exc:
        error = f"Строка {exc.line}: {exc.reason}. Ничего не загружено."
        return page.render("cards_import.html", status=422, columns=cards.COLUMNS, error=error)
    page.flash(f"Загружено из «{upload.filename}»: создано карт {summary.created}, обновлено {summary.updated}.")
    return page.redirect(page.url("cards"))


@page_handler("cards")
def cards_export(page: Page) -> Response:
    out = io.StringIO()
    cards.export_cards(page.db, page.infobase, out)
    name = f"cards-{page.infobase.name}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def _save(page: Page, existing: DiscountCard | None) -> Response:
    values: dict[str, object] = {name: page.field(name) for name in FIELDS}
    values["active"] = page.checked("active")
    if existing is not None:
        values["number"] = existing.number  # the number names the card; it is not changed here
    errors: dict[str, str] = {}
    try:
        percent = str(values["discount_percent"])
        data = cards.CardInput(
            number=str(values["number"]),
            barcode=str(values["barcode"]),
            magnetic_code=str(values["magnetic_code"]),
            owner=str(values["owner"]),
            kind=str(values["kind"]),
            discount_percent=cards.parse_percent(percent) if percent else cards.parse_percent("0"),
            active=bool(values["active"]),
            opened_at=_opened(str(values["opened"])),
            organization=str(values["organization"]),
        )
        with page.act():
            if existing is None:
                saved = cards.add_card(page.db, page.infobase, data)
            else:
                saved = cards.set_card(page.db, page.infobase, data)
    except KassaError as exc:
        errors[field_of(exc, "number")] = error_text(exc)
        return _render(page, existing, values, errors, status=422)
    page.flash(f"Дисконтная карта {saved.number} записана.")
    return page.redirect(page.url("cards", query={"q": saved.number}))


def _opened(text: str) -> dt.datetime | None:
    opened = parse_date(text, "opened")
    return dt.datetime.combine(opened, dt.time()) if opened is not None else None


def _render(
    page: Page, found: DiscountCard | None, values: dict[str, object], errors: dict[str, str], status: int = 200
) -> Response:
    return page.render(
        "card.html",
        status=status,
        card=found,
        values=values,
        errors=errors,
        action=page.url("card", ref=found.ref) if found else page.url("card_new"),
        organizations=[(o.name, o.name) for o in organizations.list_organizations(page.db, page.infobase)],
    )
