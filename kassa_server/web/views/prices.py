"""Цены: the price types, and setting the prices of a selection of goods in one go (all or nothing). The devices get
the new prices as a price-setting document (УстановкаЦенНоменклатуры) at their next exchange."""

from __future__ import annotations

from decimal import Decimal

from starlette.responses import Response

from kassa_server.admin import catalog
from kassa_server.admin.catalog_search import GoodsQuery, group_paths, search_goods
from kassa_server.errors import KassaError
from kassa_server.web.forms import error_text
from kassa_server.web.pages import Page, page_handler


@page_handler("prices")
def prices(page: Page) -> Response:
    q = page.query if page.request.method == "GET" else {k: page.field(k) for k in ("q", "group", "type", "page")}
    types = catalog.list_price_types(page.db, page.infobase)
    chosen = next((t for t in types if str(t.id) == q.get("type")), types[0] if types else None)
    group = q.get("group", "")
    number = q.get("page", "")
    query = GoodsQuery(
        text=q.get("q", "")[:200],
        group_id=int(group) if group.isdigit() and len(group) < 10 else None,
        include_deleted=False,
    )
    errors: dict[str, str] = {}
    if page.request.method == "POST" and chosen is not None:
        changed = 0
        try:
            with page.act():
                for product in search_goods(
                    page.db, page.infobase, query, page=int(number) if number.isdigit() else 1
                ).rows:
                    text = page.field(f"price_{product.id}")
                    current = next((p.value for p in product.prices if p.price_type_id == chosen.id), None)
                    if not text:
                        continue
                    try:
                        value = catalog.parse_price(text, f"price_{product.id}")
                    except KassaError as exc:
                        errors[f"price_{product.id}"] = error_text(exc)
                        continue
                    if current is None or Decimal(value) != current:
                        catalog.set_price(page.db, page.infobase, product.ref, value, price_type=chosen)
                        changed += 1
                if errors:
                    raise _Invalid()
        except _Invalid:
            page.flash("Цены не установлены: исправьте отмеченные.", "alert")
        except KassaError as exc:
            page.flash(f"Цены не установлены: {error_text(exc)}", "alert")
        else:
            page.flash(f"Установлено цен: {changed} («{chosen.name}»). Кассы получат их при следующей синхронизации.")
            return page.redirect(
                page.url("prices", query={**{k: q.get(k, "") for k in ("q", "group", "page")}, "type": chosen.id})
            )
    listed = search_goods(page.db, page.infobase, query, page=int(number) if number.isdigit() else 1)
    return page.render(
        "prices.html",
        status=422 if errors else 200,
        types=types,
        chosen=chosen,
        listed=listed,
        errors=errors,
        submitted={k: page.field(k) for k in (f"price_{p.id}" for p in listed.rows)} if errors else {},
        groups=[(group_id, " / ".join(path)) for group_id, path in group_paths(page.db, page.infobase)],
        filters={"q": query.text, "group": group, "type": chosen.id if chosen else ""},
    )


@page_handler("prices")
def price_type_new(page: Page) -> Response:
    try:
        with page.act():
            created = catalog.create_price_type(page.db, page.infobase, page.field("name"))
    except KassaError as exc:
        page.flash(f"Вид цен не добавлен: {error_text(exc)}", "alert")
        return page.redirect(page.url("prices"))
    page.flash(f"Вид цен «{created.name}» добавлен.")
    return page.redirect(page.url("prices", query={"type": created.id}))


class _Invalid(Exception):
    """Some price of the form is not a price: roll the whole form back."""
