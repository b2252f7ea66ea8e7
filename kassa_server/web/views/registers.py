"""Кассовые аппараты: the list, creating a «1С:Мобильная касса», its card with the connection QR code and the state of
its exchange node."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin import devices, nodes, organizations
from kassa_server.admin.lookup import get_register
from kassa_server.errors import KassaError
from kassa_server.models.enums import REGISTER_KIND_NAMES
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

FIELDS = ("factory_number", "name", "organization", "store", "registration_number")


@page_handler("registers")
def registers(page: Page) -> Response:
    return page.render(
        "registers.html", devices=devices.list_devices(page.db, page.infobase), kinds=REGISTER_KIND_NAMES
    )


@page_handler("registers")
def register_new(page: Page) -> Response:
    values = {name: page.field(name) for name in FIELDS}
    errors: dict[str, str] = {}
    if page.request.method == "POST":
        try:
            with page.act():
                device = devices.register_device(
                    page.db,
                    page.infobase,
                    devices.DeviceInput(
                        factory_number=values["factory_number"],
                        name=values["name"] or None,
                        organization=values["organization"] or None,
                        store=values["store"] or None,
                        registration_number=values["registration_number"] or None,
                    ),
                )
        except KassaError as exc:
            errors[field_of(exc, "factory_number")] = error_text(exc)
        else:
            page.flash(f"Кассовый аппарат «{device.register.name}» создан.")
            return page.redirect(page.url("register", register_id=device.register.id))
    return page.render(
        "register_new.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        organizations=[(o.name, o.name) for o in organizations.list_organizations(page.db, page.infobase)],
        stores=[(s.name, s.name) for s in organizations.list_stores(page.db, page.infobase)],
    )


@page_handler("registers")
def register(page: Page) -> Response:
    found = get_register(page.db, page.infobase, page.request.path_params["register_id"])
    device = devices.get_device(page.db, page.infobase, found.factory_number)
    settings = page.web.settings
    host = page.request.headers.get("host") or f"{settings.host}:{settings.port}"
    info = devices.connection_info(
        page.db,
        page.infobase,
        found.factory_number,
        public_url=settings.public_url,
        fallback_server=host,
        protocol=settings.protocol,
    )
    return page.render(
        "register.html",
        device=device,
        info=info,
        kinds=REGISTER_KIND_NAMES,
        pending=nodes.pending_changes(page.db, device.node) if device.node is not None else 0,
        acked_no=nodes.acknowledged_message(page.db, device.node) if device.node is not None else None,
    )


@page_handler("registers")
def register_qr(page: Page) -> Response:
    found = get_register(page.db, page.infobase, page.request.path_params["register_id"])
    settings = page.web.settings
    info = devices.connection_info(
        page.db,
        page.infobase,
        found.factory_number,
        public_url=settings.public_url,
        fallback_server="-",
        protocol=settings.protocol,
    )
    if info.qr is None:  # no «Адрес в интернете»: the card says so instead of showing an image
        return Response(status_code=404)
    return Response(devices.qr_image(info.qr), media_type="image/png", headers={"cache-control": "no-store"})


@page_handler("registers")
def register_resend(page: Page) -> Response:
    found = get_register(page.db, page.infobase, page.request.path_params["register_id"])
    device = devices.get_device(page.db, page.infobase, found.factory_number)
    if device.node is not None:
        with page.act():
            nodes.resend_everything(page.db, device.node)
        page.flash("При следующей синхронизации касса получит все данные заново.")
    return page.redirect(page.url("register", register_id=found.id))
