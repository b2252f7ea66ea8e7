"""Товар: the card to create and edit a product, and marking it for deletion."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from starlette.responses import Response

from kassa_server.admin import catalog, variants
from kassa_server.admin.catalog_search import get_goods_card, group_paths
from kassa_server.errors import KassaError, ValidationError
from kassa_server.models import Product
from kassa_server.models.enums import ProductKind, VatRate
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

VAT_NAMES = {
    VatRate.NONE: "Без НДС",
    VatRate.ZERO: "0%",
    VatRate.VAT5: "5%",
    VatRate.VAT7: "7%",
    VatRate.VAT10: "10%",
    VatRate.VAT18: "18%",
    VatRate.VAT20: "20%",
    VatRate.VAT22: "22%",
    VatRate.VAT10_110: "10/110",
    VatRate.VAT18_118: "18/118",
    VatRate.VAT20_120: "20/120",
}
KIND_NAMES = {ProductKind.GOODS: "Товар", ProductKind.SERVICE: "Услуга"}


@page_handler("goods")
def product_new(page: Page) -> Response:
    if page.request.method == "POST":
        return _save(page, None)
    group = page.query.get("group", "")
    values = _blank()
    values["group"] = group if group.isdigit() else ""
    return _render(page, None, values, {})


@page_handler("goods")
def product(page: Page) -> Response:
    found = get_goods_card(page.db, page.infobase, page.request.path_params["product_id"])
    if page.request.method == "POST":
        return _save(page, found)
    return _render(page, found, _values_of(found), {})


@page_handler("goods")
def product_delete(page: Page) -> Response:
    found = get_goods_card(page.db, page.infobase, page.request.path_params["product_id"])
    with page.act():
        if page.field("undo"):
            catalog.restore_product(page.db, page.infobase, found.ref)
            page.flash(f"Пометка удаления снята: «{found.name}».")
        else:
            catalog.delete_product(page.db, page.infobase, found.ref)
            page.flash(f"«{found.name}» помечен на удаление; кассы удалят его при следующей синхронизации.")
    return page.redirect(page.url("product", product_id=found.id))


def _save(page: Page, existing: Product | None) -> Response:
    values = _submitted(page)
    errors: dict[str, str] = {}
    try:
        data = _input(page, values)
        prices = _prices(page, values)
        with page.act():
            if existing is None:
                saved = catalog.create_product(page.db, page.infobase, data)
            else:
                saved = catalog.update_product(page.db, page.infobase, existing.ref, data)
                catalog.set_barcodes(page.db, page.infobase, saved.ref, data.barcodes)
            for price_type, value in prices:
                if value is not None:
                    catalog.set_price(page.db, page.infobase, saved.ref, value, price_type=price_type)
    except KassaError as exc:
        errors[field_of(exc, "name")] = error_text(exc)
        return _render(page, existing, values, errors, status=422)
    page.flash(f"Товар «{saved.name}» записан.")
    return page.redirect(page.url("goods", query={"q": saved.name}))


def _input(page: Page, values: dict[str, Any]) -> catalog.ProductInput:
    paths = dict(group_paths(page.db, page.infobase))
    group = paths.get(int(values["group"])) if values["group"].isdigit() else None
    units = {str(unit.id): unit for unit in catalog.list_units(page.db, page.infobase)}
    unit = units.get(values["unit"])
    if values["vat_rate"] not in VatRate.__members__.values():
        raise ValidationError("vat_rate", f"VAT rate {values['vat_rate']!r} is not one of the rates")
    if values["kind"] not in ProductKind.__members__.values():
        raise ValidationError("kind", f"kind {values['kind']!r} is not goods or service")
    barcodes = tuple(dict.fromkeys(line.strip() for line in values["barcodes"].splitlines() if line.strip()))
    return catalog.ProductInput(
        name=values["name"],
        full_name=values["full_name"] or values["name"],
        code=values["code"],
        article=values["article"],
        kind=ProductKind(values["kind"]),
        vat_rate=VatRate(values["vat_rate"]),
        unit_code=unit.code if unit is not None else None,
        unit_name=unit.name if unit is not None else "",
        weighed=values["weighed"],
        marked=values["marked"],
        group=group if group is not None else (),
        barcodes=barcodes,
    )


def _prices(page: Page, values: dict[str, Any]) -> list[tuple[Any, Decimal | None]]:
    result = []
    for price_type in catalog.list_price_types(page.db, page.infobase):
        text = values["prices"].get(price_type.id, "")
        value = catalog.parse_price(text, f"price_{price_type.id}") if text else None
        result.append((price_type, value))
    return result


def _blank() -> dict[str, Any]:
    return {
        "name": "",
        "full_name": "",
        "code": "",
        "article": "",
        "group": "",
        "unit": "",
        "vat_rate": VatRate.VAT20.value,
        "kind": ProductKind.GOODS.value,
        "weighed": False,
        "marked": False,
        "barcodes": "",
        "prices": {},
    }


def _values_of(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "full_name": product.full_name,
        "code": product.code,
        "article": product.article,
        "group": str(product.group_id or ""),
        "unit": str(product.unit_id or ""),
        "vat_rate": product.vat_rate.value,
        "kind": product.kind.value,
        "weighed": product.weighed,
        "marked": product.marked,
        "barcodes": "\n".join(b.value for b in product.barcodes),
        "prices": {p.price_type_id: f"{p.value:f}" for p in product.prices},
    }


def _submitted(page: Page) -> dict[str, Any]:
    values: dict[str, Any] = {
        name: page.field(name) for name in ("name", "full_name", "code", "article", "group", "unit")
    }
    values["vat_rate"] = page.field("vat_rate")
    values["kind"] = page.field("kind")
    values["weighed"] = page.checked("weighed")
    values["marked"] = page.checked("marked")
    values["barcodes"] = page.field("barcodes")
    values["prices"] = {
        price_type.id: page.field(f"price_{price_type.id}")
        for price_type in catalog.list_price_types(page.db, page.infobase)
    }
    return values


def _render(
    page: Page, product: Product | None, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    units = catalog.list_units(page.db, page.infobase)
    if not values["unit"] and units:
        values["unit"] = str(next((u.id for u in units if u.code == "796"), units[0].id))
    return page.render(
        "product.html",
        status=status,
        product=product,
        values=values,
        errors=errors,
        action=page.url("product", product_id=product.id) if product else page.url("product_new"),
        groups=[(group_id, " / ".join(path)) for group_id, path in group_paths(page.db, page.infobase)],
        units=[(str(u.id), f"{u.name} ({u.code})") for u in units],
        vat_rates=[(rate.value, name) for rate, name in VAT_NAMES.items()],
        kinds=[(kind.value, name) for kind, name in KIND_NAMES.items()],
        price_types=catalog.list_price_types(page.db, page.infobase),
        item_kinds=variants.list_kinds(page.db, page.infobase),
        characteristics=variants.characteristics_of(page.db, page.infobase, product) if product else [],
    )
