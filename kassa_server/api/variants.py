"""Product kinds (``Справочник.ВидыНоменклатуры``) and characteristics (``Справочник.ХарактеристикиНоменклатуры``):
the variants of a product such as its size or colour.

A characteristic belongs to one product (``/goods/{ref}/characteristics``) or to a kind, and then to every product of
that kind (``/product-kinds/{name}/characteristics``). A barcode may point at a characteristic, so that scanning it
sells that variant. Every change reaches the devices at their next exchange.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from kassa_server.admin import variants
from kassa_server.admin.catalog import get_product
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.catalog import ProductOut, product_out
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import CONFLICT, NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.models import Characteristic, ItemKind
from kassa_server.models.enums import ProductKind

router = APIRouter(tags=["product kinds and characteristics"])


class KindIn(BaseModel):
    name: str = Field(description="e.g. «Обувь»; unique in the infobase")
    product_kind: ProductKind = Field(ProductKind.GOODS, description="What the kind's products are: goods or service")
    uses_characteristics: bool = True


class KindOut(BaseModel):
    ref: uuid.UUID
    name: str
    product_kind: ProductKind
    uses_characteristics: bool


class CharacteristicIn(BaseModel):
    """A characteristic to add, or (PATCH) the fields to change."""

    name: str | None = Field(None, description="e.g. «42»; unique among its owner's; required when adding")
    full_name: str | None = Field(None, description="Default: «<owner>, <name>»")


class CharacteristicOut(BaseModel):
    ref: uuid.UUID
    name: str
    full_name: str
    product: uuid.UUID | None = Field(description="The product it belongs to, when it is a product's own")
    kind: str | None = Field(description="The product kind it belongs to, when it is a kind's")


class ProductKindIn(BaseModel):
    kind: str | None = Field(description="The product kind's name; null removes the product's kind")


class BarcodeCharacteristicIn(BaseModel):
    characteristic: str | None = Field(
        description="One of the barcode's product's characteristics, by name; null points it at the product itself"
    )


class BarcodeOut(BaseModel):
    barcode: str
    product: uuid.UUID
    characteristic: str | None
    characteristic_ref: uuid.UUID | None


def kind_out(kind: ItemKind) -> KindOut:
    return KindOut(
        ref=kind.ref, name=kind.name, product_kind=kind.product_kind, uses_characteristics=kind.uses_characteristics
    )


def characteristic_out(characteristic: Characteristic) -> CharacteristicOut:
    return CharacteristicOut(
        ref=characteristic.ref,
        name=characteristic.name,
        full_name=characteristic.full_name,
        product=characteristic.product.ref if characteristic.product else None,
        kind=characteristic.item_kind.name if characteristic.item_kind else None,
    )


# --- product kinds -------------------------------------------------------------------------------------------------


@router.get("/infobases/{infobase}/product-kinds", response_model=list[KindOut], responses=NOT_FOUND)
def list_kinds(infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> list[KindOut]:
    with context.transaction() as session:
        return [kind_out(k) for k in variants.list_kinds(session, get_infobase(session, infobase))]


@router.post(
    "/infobases/{infobase}/product-kinds",
    status_code=201,
    response_model=KindOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def create_kind(body: KindIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> KindOut:
    with context.transaction() as session:
        kind = variants.create_kind(
            session,
            get_infobase(session, infobase),
            body.name,
            product_kind=body.product_kind,
            uses_characteristics=body.uses_characteristics,
        )
        return kind_out(kind)


@router.delete("/infobases/{infobase}/product-kinds/{name}", status_code=204, responses=NOT_FOUND)
def delete_kind(name: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    """Remove a kind: its products keep no kind, its characteristics go (the devices get their deletion)."""
    with context.transaction() as session:
        variants.delete_kind(session, get_infobase(session, infobase), name)
    return Response(status_code=204)


@router.get(
    "/infobases/{infobase}/product-kinds/{name}/characteristics",
    response_model=list[CharacteristicOut],
    responses=NOT_FOUND,
)
def kind_characteristics(
    name: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[CharacteristicOut]:
    """The characteristics every product of the kind has."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        kind = variants.get_kind(session, row, name)
        query = select(Characteristic).where(Characteristic.item_kind_id == kind.id, Characteristic.deleted.is_(False))
        return [characteristic_out(c) for c in session.scalars(query.order_by(Characteristic.id))]


@router.post(
    "/infobases/{infobase}/product-kinds/{name}/characteristics",
    status_code=201,
    response_model=CharacteristicOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def add_kind_characteristic(
    name: str, body: CharacteristicIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> CharacteristicOut:
    """Add a characteristic to every product of the kind."""
    with context.transaction() as session:
        added = variants.add_characteristic(
            session, get_infobase(session, infobase), body.name or "", kind=name, full_name=body.full_name or ""
        )
        return characteristic_out(added)


# --- a product's kind and characteristics --------------------------------------------------------------------------


@router.put("/infobases/{infobase}/goods/{ref}/kind", response_model=ProductOut, responses=NOT_FOUND)
def set_product_kind(
    ref: uuid.UUID, body: ProductKindIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> ProductOut:
    """Give the product a kind (it gets the kind's characteristics), or none."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return product_out(session, row, variants.set_product_kind(session, row, ref, body.kind))


@router.get(
    "/infobases/{infobase}/goods/{ref}/characteristics", response_model=list[CharacteristicOut], responses=NOT_FOUND
)
def product_characteristics(
    ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[CharacteristicOut]:
    """The product's own characteristics and those of its kind."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        product = get_product(session, row, ref)
        return [characteristic_out(c) for c in variants.characteristics_of(session, row, product)]


@router.post(
    "/infobases/{infobase}/goods/{ref}/characteristics",
    status_code=201,
    response_model=CharacteristicOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def add_product_characteristic(
    ref: uuid.UUID,
    body: CharacteristicIn,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> CharacteristicOut:
    with context.transaction() as session:
        added = variants.add_characteristic(
            session, get_infobase(session, infobase), body.name or "", product_ref=ref, full_name=body.full_name or ""
        )
        return characteristic_out(added)


# --- one characteristic, a barcode -----------------------------------------------------------------------------------


@router.get("/infobases/{infobase}/characteristics/{ref}", response_model=CharacteristicOut, responses=NOT_FOUND)
def get_characteristic(
    ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> CharacteristicOut:
    with context.transaction() as session:
        return characteristic_out(variants.characteristic_by_ref(session, get_infobase(session, infobase), ref))


@router.patch(
    "/infobases/{infobase}/characteristics/{ref}",
    response_model=CharacteristicOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def change_characteristic(
    ref: uuid.UUID,
    body: CharacteristicIn,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> CharacteristicOut:
    """Rename it; the devices get it again at their next exchange."""
    with context.transaction() as session:
        changed = variants.set_characteristic(
            session, get_infobase(session, infobase), ref, name=body.name, full_name=body.full_name
        )
        return characteristic_out(changed)


@router.delete("/infobases/{infobase}/characteristics/{ref}", status_code=204, responses=NOT_FOUND)
def delete_characteristic(
    ref: uuid.UUID, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> Response:
    """Remove it: the devices get its deletion; barcodes that pointed at it point at the product again."""
    with context.transaction() as session:
        variants.delete_characteristic(session, get_infobase(session, infobase), ref)
    return Response(status_code=204)


@router.put("/infobases/{infobase}/barcodes/{barcode}/characteristic", response_model=BarcodeOut, responses=NOT_FOUND)
def set_barcode_characteristic(
    barcode: str,
    body: BarcodeCharacteristicIn,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> BarcodeOut:
    """Point a barcode at one of its product's characteristics, or (null) at the product itself."""
    with context.transaction() as session:
        row = variants.set_barcode_characteristic(
            session, get_infobase(session, infobase), barcode, body.characteristic
        )
        variant = row.characteristic
        return BarcodeOut(
            barcode=row.value,
            product=row.product.ref,
            characteristic=variant.name if variant else None,
            characteristic_ref=variant.ref if variant else None,
        )
