"""``create_api``: the control API as an ASGI app, mounted by ``kassa_server.app`` under ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp

from kassa_server import __version__
from kassa_server.api import (
    cards,
    catalog,
    devices,
    docs,
    documents,
    faults,
    infobases,
    journal,
    orders,
    stock,
    terminals,
    variants,
)
from kassa_server.api.auth import ApiSwitch
from kassa_server.api.context import ApiContext
from kassa_server.api.errors import ERROR_RESPONSES, install_error_handlers

PREFIX = "/api/v1"

DESCRIPTION = (
    "Seed, steer, break and verify kassa-server from a test or CI: infobases and fixtures, goods, orders, devices, "
    "acquiring terminals, discount cards, stock, product kinds and characteristics, receipts, the call journal, "
    "waiting for what a device did, and fault injection. Authenticate with "
    "`Authorization: Bearer <KASSA_ADMIN_TOKEN or a token from kassa-server token create>`, or as an administrator "
    'of the infobase in the path (HTTP Basic). Errors are `{"error": {"code", "message", "field"}}`.'
)


def create_api(context: ApiContext) -> ASGIApp:
    """The FastAPI app of ``/api/v1``, behind the switch that keeps it off while no token is configured."""
    api = FastAPI(
        title="kassa-server control API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    api.state.api = context
    install_error_handlers(api)
    api.include_router(docs.router)
    for module in (infobases, catalog, variants, orders, devices, terminals, cards, stock, documents, journal, faults):
        api.include_router(module.router)
    return ApiSwitch(api, context)
