"""``/infobases/{infobase}/goods``: the catalogue, through the same use cases as the CLI and the back office, so every
change reaches the devices at their next exchange."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kassa_server.admin import catalog
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.models import Infobase, Product
from kassa_server.models.enums import ProductKind, VatRate

router = APIRouter(tags=["goods"])


class ProductIn(BaseModel):
    """A product to create, or (PATCH) the fields to change: omitted fields stay as they are."""

    name: str | None = Field(None, description="Required when creating")
    full_name: str | None = None
    code: str | None = None
    article: str | None = None
    kind: ProductKind | None = None
    vat_rate: VatRate | None = None
    unit_code: str | None = Field(None, description="ОКЕИ code, e.g. 796 (шт); created when missing")
    unit_name: str = ""
    weighed: bool | None = None
    marked: bool | None = None
    group: list[str] | None = Field(None, description="Folder path from the top; folders are created when missing")
    barcodes: list[str] = Field(default_factory=list, description="Added to the product's barcodes")
    price: Decimal | None = Field(None, description="Price of the infobase's first price type")
    ref: uuid.UUID | None = Field(None, description="Ссылка of a new product (default: a fresh one)")


class ProductOut(BaseModel):
    ref: uuid.UUID
    name: str
    full_name: str
    code: str
    article: str
    kind: ProductKind
    item_kind: str | None = Field(None, description="The product kind (ВидНоменклатуры) by name: PUT …/kind sets it")
    vat_rate: VatRate
    unit_code: str | None
    weighed: bool
    marked: bool
    barcodes: list[str]
    price: Decimal | None
    deleted: bool


def product_out(session: Session, infobase: Infobase, product: Product) -> ProductOut:
    price_type = catalog.default_price_type(session, infobase)
    prices = [p for p in product.prices if p.price_type_id == price_type.id]
    return ProductOut(
        ref=product.ref,
        name=product.name,
        full_name=product.full_name,
        code=product.code,
        article=product.article,
        kind=product.kind,
        item_kind=product.item_kind.name if product.item_kind else None,
        vat_rate=product.vat_rate,
        unit_code=product.unit.code if product.unit else None,
        weighed=product.weighed,
        marked=product.marked,
        barcodes=[b.value for b in product.barcodes],
        price=max(prices, key=lambda p: (p.since, p.id)).value if prices else None,
        deleted=product.deleted,
    )


def _input(body: ProductIn, *, creating: bool) -> catalog.ProductInput:
    if creating and not (body.name or "").strip():
        from kassa_server.errors import ValidationError

        raise ValidationError("name", "a new product needs a name")
    return catalog.ProductInput(
        name=body.name or "",
        full_name=body.full_name,
        code=body.code,
        article=body.article,
        kind=body.kind,
        vat_rate=body.vat_rate,
        unit_code=body.unit_code,
        unit_name=body.unit_name,
        weighed=body.weighed,
        marked=body.marked,
        group=tuple(body.group) if body.group is not None else None,
        barcodes=tuple(body.barcodes),
        price=body.price,
        ref=body.ref,
    )


@router.get("/infobases/{infobase}/goods", response_model=list[ProductOut], responses=NOT_FOUND)
def list_all(
    include_deleted: bool = False, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[ProductOut]:
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return [
            product_out(session, row, p) for p in catalog.list_products(session, row, include_deleted=include_deleted)
        ]


@router.post("/infobases/{infobase}/goods", status_code=201, response_model=ProductOut, responses=NOT_FOUND)
def create(body: ProductIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> ProductOut:
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return product_out(session, row, catalog.create_product(session, row, _input(body, creating=True)))


@router.get("/infobases/{infobase}/goods/{ref}", response_model=ProductOut, responses=NOT_FOUND)
def get_one(ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> ProductOut:
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return product_out(session, row, catalog.get_product(session, row, ref))


@router.patch("/infobases/{infobase}/goods/{ref}", response_model=ProductOut, responses=NOT_FOUND)
def change(
    ref: uuid.UUID, body: ProductIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> ProductOut:
    """Change the fields given; the devices get the product again at their next exchange."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        current = catalog.get_product(session, row, ref)
        data = _input(body.model_copy(update={"name": body.name or current.name, "ref": None}), creating=False)
        return product_out(session, row, catalog.update_product(session, row, ref, data))


@router.delete("/infobases/{infobase}/goods/{ref}", status_code=204, responses=NOT_FOUND)
def delete(ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    """Mark the product deleted; devices drop it at their next exchange."""
    with context.transaction() as session:
        catalog.delete_product(session, get_infobase(session, infobase), ref)
    return Response(status_code=204)
