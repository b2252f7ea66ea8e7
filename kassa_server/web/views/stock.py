"""Остатки товаров: a store's stock on hand by product and characteristic, with a search and paging; setting a quantity
(of a listed row, or of any product named by its code, article, barcode or name) and the CSV import / export of a
store through ``admin.stock``. The store's devices get the new snapshot at their next exchange."""

from __future__ import annotations

import io
import uuid
from urllib.parse import quote

from starlette.responses import Response

from kassa_server.admin import organizations, stock
from kassa_server.admin.catalog_search import find_product
from kassa_server.admin.goods_csv import decode_csv
from kassa_server.errors import CatalogImportError, KassaError, NotFoundError
from kassa_server.models import Store
from kassa_server.web.forms import error_text
from kassa_server.web.pages import Page, page_handler
from kassa_server.web.pages import quantity as quantity_text


@page_handler("stock")
def stock_list(page: Page) -> Response:
    store = _store(page, page.query.get("store", ""))
    text = page.query.get("q", "")[:200]
    number = page.query.get("page", "")
    if page.request.method == "GET":
        return _render(page, store, text, int(number) if number.isdigit() else 1, {}, {})
    store = _store(page, page.field("store"))
    text, number = page.field("q"), page.field("page")
    values = {name: page.field(name) for name in ("product", "ref", "characteristic", "quantity")}
    try:
        ref = _product_ref(page, values)
        amount = stock.parse_quantity(values["quantity"])
        with page.act():
            balance = stock.set_stock(
                page.db, page.infobase, store.name, ref, amount, characteristic=values["characteristic"] or None
            )
    except KassaError as exc:
        errors = {"ref" if values["ref"] else getattr(exc, "field", "") or "product": error_text(exc)}
        listed_page = int(number) if number.isdigit() else 1
        return _render(page, store, text, listed_page, values, errors, status=422)
    what = balance.product.name + (f", {balance.characteristic.name}" if balance.characteristic else "")
    page.flash(f"Остаток «{what}» в магазине «{store.name}»: {quantity_text(balance.quantity)}.")
    return page.redirect(page.url("stock", query={"store": store.name, "q": text, "page": number}))


@page_handler("stock")
def stock_import(page: Page) -> Response:
    stores = organizations.list_stores(page.db, page.infobase)
    if page.request.method == "GET":
        store = _store(page, page.query.get("store", ""))
        return page.render("stock_import.html", stores=stores, store=store.name, columns=stock.COLUMNS, error="")
    store = _store(page, page.field("store"))
    upload = page.upload("file")
    error = "Выберите файл CSV."
    if upload is not None and upload.filename:
        try:
            text = decode_csv(upload.file.read())
            with page.act():
                summary = stock.import_stock(page.db, page.infobase, store.name, io.StringIO(text))
        except CatalogImportError as exc:
            error = f"Строка {exc.line}: {exc.reason}. Ничего не загружено."
        else:
            page.flash(
                f"Загружено в магазин «{store.name}» из «{upload.filename}»: строк {summary.rows}, "
                f"изменено остатков {summary.changed}."
            )
            return page.redirect(page.url("stock", query={"store": store.name}))
    return page.render(
        "stock_import.html", status=422, stores=stores, store=store.name, columns=stock.COLUMNS, error=error
    )


@page_handler("stock")
def stock_export(page: Page) -> Response:
    store = _store(page, page.query.get("store", ""))
    out = io.StringIO()
    stock.export_stock(page.db, page.infobase, store.name, out)
    name = f"stock-{page.infobase.name}-{store.name}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


def _store(page: Page, name: str) -> Store:
    """The store named (a name that is not a store's shows the first store, as an empty one does)."""
    stores = organizations.list_stores(page.db, page.infobase)
    found = next((s for s in stores if s.name == name), None)
    return found if found is not None else organizations.get_store(page.db, page.infobase, None)


def _product_ref(page: Page, values: dict[str, str]) -> uuid.UUID:
    if values["ref"]:
        try:
            return uuid.UUID(values["ref"])
        except ValueError:
            raise NotFoundError(f"no product with ref {values['ref']!r}") from None
    product = find_product(page.db, page.infobase, values["product"])
    if product is None:
        raise NotFoundError(f"no product {values['product']!r} (code, article, barcode or name)")
    return product.ref


def _render(
    page: Page,
    store: Store,
    text: str,
    number: int,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    listed = stock.search_stock(page.db, page.infobase, store.name, text, page=number)
    return page.render(
        "stock.html",
        status=status,
        listed=listed,
        stores=organizations.list_stores(page.db, page.infobase),
        store=store.name,
        filters={"store": store.name, "q": text},
        values=values,
        errors=errors,
    )
