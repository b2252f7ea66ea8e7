"""``/infobases/{infobase}/stock``: stock on hand per store, product and characteristic.

The devices of a store get it as the informative snapshot ``Справочник.ИнформативныеОстатки``, sent again whenever a
quantity of that store changes: here, or by the receipts the devices send.
"""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from kassa_server.admin import stock
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.csvio import CSV_ANSWER, CSV_BODY, csv_response, read_csv
from kassa_server.api.errors import NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.models import StockBalance

router = APIRouter(tags=["stock"])

STORE = Query(None, description="The store's name; default: the infobase's first store")


class StockIn(BaseModel):
    product: uuid.UUID = Field(description="The product's ref")
    characteristic: str | None = Field(None, description="One of the product's characteristics, by name")
    quantity: Decimal
    store: str | None = Field(None, description="The store's name; default: the first store")


class StockOut(BaseModel):
    store: str
    product: uuid.UUID = Field(description="The product's ref")
    product_name: str
    code: str
    characteristic: str | None
    characteristic_ref: uuid.UUID | None
    quantity: Decimal


class StockImportOut(BaseModel):
    rows: int
    changed: int = Field(description="Rows whose quantity differed")


def stock_out(balance: StockBalance) -> StockOut:
    variant = balance.characteristic
    return StockOut(
        store=balance.store.name,
        product=balance.product.ref,
        product_name=balance.product.name,
        code=balance.product.code,
        characteristic=variant.name if variant else None,
        characteristic_ref=variant.ref if variant else None,
        quantity=balance.quantity,
    )


@router.get("/infobases/{infobase}/stock", response_model=list[StockOut], responses=NOT_FOUND)
def list_all(
    store: str | None = STORE, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[StockOut]:
    """A store's quantities on hand, by product and characteristic."""
    with context.transaction() as session:
        return [stock_out(b) for b in stock.list_stock(session, get_infobase(session, infobase), store)]


@router.put("/infobases/{infobase}/stock", response_model=StockOut, responses=NOT_FOUND)
def put(body: StockIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> StockOut:
    """Set the quantity of a product (or one of its characteristics) in a store; its devices get a new snapshot."""
    with context.transaction() as session:
        balance = stock.set_stock(
            session,
            get_infobase(session, infobase),
            body.store,
            body.product,
            body.quantity,
            characteristic=body.characteristic,
        )
        return stock_out(balance)


@router.get("/infobases/{infobase}/stock.csv", response_class=Response, responses={**CSV_ANSWER, **NOT_FOUND})
def export(
    store: str | None = STORE, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> Response:
    """A store's stock as CSV, in the columns the import reads (``X-Row-Count``: how many rows)."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        return csv_response(lambda out: stock.export_stock(session, row, store, out), f"{infobase}-stock.csv")


@router.post(
    "/infobases/{infobase}/stock.csv", response_model=StockImportOut, responses=NOT_FOUND, openapi_extra=CSV_BODY
)
async def import_csv(
    request: Request,
    store: str | None = STORE,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> StockImportOut:
    """Set a store's quantities from a CSV body (columns: ref, code, article, name, characteristic, quantity; the
    product by ref, else code, else article); products not in the file keep theirs. All or nothing: a bad row is a
    422 naming its line."""
    text = await read_csv(request, context)

    def load() -> StockImportOut:
        with context.transaction() as session:
            summary = stock.import_stock(session, get_infobase(session, infobase), store, io.StringIO(text))
            return StockImportOut(rows=summary.rows, changed=summary.changed)

    return await run_in_threadpool(load)
