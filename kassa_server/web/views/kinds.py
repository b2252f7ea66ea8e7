"""Виды номенклатуры и характеристики: the product kinds (adding and deleting one, and the characteristics every product
of a kind has), and on the product card its kind, its characteristics and which of them each barcode points at."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from kassa_server.admin import variants
from kassa_server.admin.catalog_search import get_goods_card
from kassa_server.errors import KassaError, NotFoundError
from kassa_server.models.enums import ProductKind
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

PRODUCT_KINDS = {ProductKind.GOODS: "Товар", ProductKind.SERVICE: "Услуга"}


@page_handler("kinds")
def kinds(page: Page) -> Response:
    values: dict[str, object] = {"name": "", "product_kind": ProductKind.GOODS.value, "uses_characteristics": True}
    errors: dict[str, str] = {}
    if page.request.method == "POST":
        values = {
            "name": page.field("name"),
            "product_kind": page.field("product_kind"),
            "uses_characteristics": page.checked("uses_characteristics"),
        }
        try:
            product_kind = ProductKind(str(values["product_kind"]))
        except ValueError:
            product_kind = ProductKind.GOODS
        try:
            with page.act():
                created = variants.create_kind(
                    page.db,
                    page.infobase,
                    str(values["name"]),
                    product_kind=product_kind,
                    uses_characteristics=bool(values["uses_characteristics"]),
                )
        except KassaError as exc:
            errors[field_of(exc, "name")] = error_text(exc)
        else:
            page.flash(f"Вид номенклатуры «{created.name}» добавлен.")
            return page.redirect(page.url("kinds"))
    return _render(page, values, errors)


@page_handler("kinds")
def kind_delete(page: Page) -> Response:
    name = page.field("name")
    try:
        with page.act():
            variants.delete_kind(page.db, page.infobase, name)
    except KassaError as exc:
        page.flash(f"Не удалено: {error_text(exc)}", "alert")
    else:
        page.flash(f"Вид номенклатуры «{name}» удален; его товары остались без вида.")
    return page.redirect(page.url("kinds"))


@page_handler("kinds")
def kind_characteristic(page: Page) -> Response:
    """Add a characteristic to a kind (``name`` given) or delete one (``delete`` = its ref)."""
    kind, name, ref = page.field("kind"), page.field("name"), page.field("delete")
    try:
        with page.act():
            if ref:
                removed = variants.delete_characteristic(page.db, page.infobase, _uuid(ref))
                page.flash(f"Характеристика «{removed.name}» удалена.")
            else:
                added = variants.add_characteristic(page.db, page.infobase, name, kind=kind)
                page.flash(f"Характеристика «{added.name}» добавлена виду «{kind}».")
    except KassaError as exc:
        page.flash(f"Не выполнено: {error_text(exc)}", "alert")
    return page.redirect(page.url("kinds"))


@page_handler("goods")
def product_variants(page: Page) -> Response:
    """The product card's «Вид и характеристики» form: ``action`` = kind | add | rename | delete | barcodes."""
    found = get_goods_card(page.db, page.infobase, page.request.path_params["product_id"])
    action = page.field("action")
    try:
        with page.act():
            if action == "kind":
                variants.set_product_kind(page.db, page.infobase, found.ref, page.field("item_kind") or None)
                page.flash(f"Вид номенклатуры товара: «{page.field('item_kind') or 'не указан'}».")
            elif action == "add":
                added = variants.add_characteristic(
                    page.db,
                    page.infobase,
                    page.field("name"),
                    product_ref=found.ref,
                    full_name=page.field("full_name"),
                )
                page.flash(f"Характеристика «{added.name}» добавлена.")
            elif action in ("delete", "rename"):
                ref = _uuid(page.field("ref"))
                if not any(c.ref == ref for c in variants.characteristics_of(page.db, page.infobase, found)):
                    raise NotFoundError(f"{found.name!r} has no characteristic {ref}")
                if action == "rename":
                    renamed = variants.set_characteristic(
                        page.db, page.infobase, ref, name=page.field("name"), full_name=page.field("full_name")
                    )
                    page.flash(f"Характеристика «{renamed.name}» записана.")
                else:
                    removed = variants.delete_characteristic(page.db, page.infobase, ref)
                    page.flash(f"Характеристика «{removed.name}» удалена.")
            elif action == "barcodes":
                own = {b.value for b in found.barcodes}
                for barcode, characteristic in zip(page.fields("barcode"), page.fields("characteristic"), strict=False):
                    if barcode not in own:
                        raise NotFoundError(f"{found.name!r} has no barcode {barcode!r}")
                    variants.set_barcode_characteristic(page.db, page.infobase, barcode, characteristic or None)
                page.flash("Характеристики штрихкодов записаны.")
    except KassaError as exc:
        page.flash(f"Не выполнено: {error_text(exc)}", "alert")
    return page.redirect(page.url("product", product_id=found.id) + "#variants")


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFoundError(f"no characteristic {text!r}") from None


def _render(page: Page, values: dict[str, object], errors: dict[str, str]) -> Response:
    listed = variants.list_kinds(page.db, page.infobase)
    return page.render(
        "kinds.html",
        status=422 if errors else 200,
        kinds=[(kind, variants.characteristics_of_kind(page.db, page.infobase, kind.name)) for kind in listed],
        product_kinds=PRODUCT_KINDS,
        values=values,
        errors=errors,
    )
