"""The composition root: the only module that wires settings, database, exchange logic, services and transport."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from kassa_server.admin.faults import DatabaseFaults
from kassa_server.allocator import limit_heap_retention
from kassa_server.api.app import PREFIX as API_PREFIX
from kassa_server.api.app import create_api
from kassa_server.api.context import ApiContext
from kassa_server.exchange.accounts import DatabaseAuthenticator, InfobaseDirectory
from kassa_server.exchange.files import TransferStore
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.exchange.interface import ExchangeGateway
from kassa_server.exchange.journal import DatabaseJournal
from kassa_server.exchange.operations import OperationStore
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.services.application import build_services
from kassa_server.services.context import ServiceDependencies
from kassa_server.services.interface_version import DEFAULT_INTERFACE_VERSIONS
from kassa_server.settings import Settings
from kassa_server.transport.routes import SoapEndpoints

logger = logging.getLogger(__name__)

OPERATION_RETENTION = dt.timedelta(hours=24)


def create_app(settings: Settings, *, gateway: ExchangeGateway | None = None) -> Starlette:
    """Build the ASGI app for ``settings``: every published infobase of the database at ``/<base>/ws/<Service>``.

    ``gateway`` replaces the exchange logic (tests pass an in-memory fake); by default the real
    ``DatabaseExchangeGateway`` is used. Infobases and users are read from the database at request time.
    """
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    transfers = TransferStore(sessions)
    operations = OperationStore(sessions, active_polls=settings.protocol.operation_active_polls)
    deps = ServiceDependencies(
        settings=settings,
        gateway=gateway if gateway is not None else DatabaseExchangeGateway(sessions, settings),
        transfers=transfers,
        operations=operations,
        interface_versions=dict(DEFAULT_INTERFACE_VERSIONS),
    )
    endpoints = SoapEndpoints(
        directory=InfobaseDirectory(sessions),
        authenticator=DatabaseAuthenticator(sessions),
        services=build_services(settings.limits.max_request_body, settings.limits),
        deps=deps,
        journal=DatabaseJournal(sessions, body_limit=settings.limits.journal_body_limit),
        faults=(faults := DatabaseFaults(sessions)),
    )
    control = ApiContext(settings, sessions, on_infobases_changed=endpoints.forget, on_faults_changed=faults.forget)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            transfers.purge_expired()
            operations.purge_older_than(OPERATION_RETENTION)
        except Exception:  # housekeeping must not stop the server from starting
            logger.exception("could not purge expired transfers")
        yield
        engine.dispose()

    async def root(request: Any) -> PlainTextResponse:
        return PlainTextResponse("kassa-server")

    app = Starlette(
        debug=settings.debug,
        routes=[
            Route("/", root),
            Mount(API_PREFIX, create_api(control)),
            Route("/{path:path}", endpoints),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.endpoints = endpoints
    return app


def create_app_from_env() -> Starlette:
    """For ``uvicorn kassa_server.app:create_app_from_env --factory --workers N``: settings from ``KASSA_*``."""
    limit_heap_retention()
    return create_app(Settings.from_env(os.environ))
