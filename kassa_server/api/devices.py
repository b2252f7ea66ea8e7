"""``/infobases/{infobase}/devices``: «1С:Мобильная касса» registers with their exchange node, QR string and PNG."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kassa_server.admin.devices import (
    Device,
    DeviceInput,
    connection_info,
    get_device,
    list_devices,
    register_device,
    remove_device,
    set_device,
)
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import CONFLICT, NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.exchange.qr import qr_png
from kassa_server.models import Infobase

router = APIRouter(tags=["devices"])


class DeviceIn(BaseModel):
    factory_number: str = Field(description="«Заводской номер»: the app's «Идентификатор приложения», the node code")
    name: str | None = None
    organization: str | None = Field(None, description="Organization name; the only one when omitted")
    store: str | None = None


class DeviceOut(BaseModel):
    factory_number: str
    name: str
    node_code: str
    format_version: str | None
    sent_no: int = Field(description="Number of the last message the server made for it")
    received_no: int = Field(description="Number of the last message from it the server accepted")
    last_exchange_at: dt.datetime | None


class DeviceChange(BaseModel):
    name: str | None = None
    organization: str | None = None
    store: str | None = None


class QrOut(BaseModel):
    qr: str = Field(description="The connection QR's text, `<url>;<factory number>;<Base64 login>;`")
    url: str
    infobase: str
    login: str
    factory_number: str


def device_out(device: Device) -> DeviceOut:
    node = device.node
    return DeviceOut(
        factory_number=device.register.factory_number,
        name=device.register.name,
        node_code=device.node_code,
        format_version=node.format_version if node else None,
        sent_no=node.sent_no if node else 0,
        received_no=node.received_no if node else 0,
        last_exchange_at=node.last_exchange_at if node else None,
    )


@router.get("/infobases/{infobase}/devices", response_model=list[DeviceOut], responses=NOT_FOUND)
def list_all(infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> list[DeviceOut]:
    with context.transaction() as session:
        return [device_out(d) for d in list_devices(session, get_infobase(session, infobase))]


@router.post(
    "/infobases/{infobase}/devices", status_code=201, response_model=DeviceOut, responses={**NOT_FOUND, **CONFLICT}
)
def create(body: DeviceIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> DeviceOut:
    """Register a device: a cash register of kind «1С:Мобильная касса» and its exchange node."""
    with context.transaction() as session:
        data = DeviceInput(body.factory_number, name=body.name, organization=body.organization, store=body.store)
        device = register_device(session, get_infobase(session, infobase), data)
        return device_out(device)


@router.get("/infobases/{infobase}/devices/{factory_number}", response_model=DeviceOut, responses=NOT_FOUND)
def get_one(
    factory_number: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> DeviceOut:
    with context.transaction() as session:
        return device_out(get_device(session, get_infobase(session, infobase), factory_number))


@router.patch("/infobases/{infobase}/devices/{factory_number}", response_model=DeviceOut, responses=NOT_FOUND)
def change(
    factory_number: str,
    body: DeviceChange,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> DeviceOut:
    """Rename it or move it to another organization or store (sent to it at the next exchange)."""
    with context.transaction() as session:
        row = get_infobase(session, infobase)
        device = set_device(
            session, row, factory_number, name=body.name, organization=body.organization, store=body.store
        )
        return device_out(device)


@router.delete("/infobases/{infobase}/devices/{factory_number}", status_code=204, responses=NOT_FOUND)
def remove(
    factory_number: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> Response:
    """Remove it: its next call is refused as an unknown node; its receipts stay."""
    with context.transaction() as session:
        remove_device(session, get_infobase(session, infobase), factory_number)
    return Response(status_code=204)


@router.get("/infobases/{infobase}/devices/{factory_number}/qr", response_model=QrOut, responses=NOT_FOUND)
def qr(
    factory_number: str,
    request: Request,
    login: str | None = None,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> QrOut:
    """The text of the device's connection QR code; the URL is the infobase's public URL, else this server's."""
    with context.transaction() as session:
        return _qr(context, session, get_infobase(session, infobase), factory_number, login, request)


@router.get(
    "/infobases/{infobase}/devices/{factory_number}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **NOT_FOUND},
)
def qr_image(
    factory_number: str,
    request: Request,
    login: str | None = None,
    infobase: str = Depends(manages),
    context: ApiContext = Depends(api_context),
) -> Response:
    with context.transaction() as session:
        text = _qr(context, session, get_infobase(session, infobase), factory_number, login, request).qr
    return Response(qr_png(text), media_type="image/png")


def _qr(
    context: ApiContext, session: Session, infobase: Infobase, factory_number: str, login: str | None, request: Request
) -> QrOut:
    """The QR for the infobase's or the server's public URL, else for the address this request reached."""
    reached = f"{request.url.scheme}://{request.url.netloc}/{infobase.name}"
    public_url = context.settings.public_url_for(infobase.name) if context.settings.public_url else reached
    info = connection_info(
        session, infobase, factory_number, login=login, public_url=public_url, protocol=context.settings.protocol
    )
    text = info.qr_or_raise()
    url = text.split(";", 1)[0]
    return QrOut(qr=text, url=url, infobase=infobase.name, login=info.parameters.user, factory_number=factory_number)
