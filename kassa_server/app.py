"""The composition root: the only module that wires settings, database, exchange logic, services and transport."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from kassa_server import crashpoints
from kassa_server.admin.faults import DatabaseFaults
from kassa_server.allocator import limit_heap_retention
from kassa_server.api.app import PREFIX as API_PREFIX
from kassa_server.api.app import create_api
from kassa_server.api.context import ApiContext
from kassa_server.exchange.accounts import DatabaseAuthenticator, InfobaseDirectory
from kassa_server.exchange.files import TransferStore
from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.exchange.interface import ExchangeGateway
from kassa_server.exchange.journal import DatabaseJournal, Retention, prune_journal
from kassa_server.exchange.operations import OperationStore
from kassa_server.lifeline import exit_with_parent
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.services.application import build_services
from kassa_server.services.context import ServiceDependencies
from kassa_server.services.interface_version import DEFAULT_INTERFACE_VERSIONS
from kassa_server.settings import Settings
from kassa_server.transport.connections import configure as configure_connections
from kassa_server.transport.connections import raise_descriptor_limit, uvicorn_options
from kassa_server.transport.routes import SoapEndpoints
from kassa_server.web.app import WebFace, static_files

logger = logging.getLogger(__name__)

OPERATION_RETENTION = dt.timedelta(hours=24)


def create_app(settings: Settings, *, gateway: ExchangeGateway | None = None) -> Starlette:
    """Build the ASGI app for ``settings``: every published infobase of the database at ``/<base>/ws/<Service>``.

    ``gateway`` replaces the exchange logic (tests pass an in-memory fake); by default the real
    ``DatabaseExchangeGateway`` is used. Infobases and users are read from the database at request time.
    """
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    limits = settings.limits
    transfers = TransferStore(
        sessions,
        expiry=dt.timedelta(seconds=limits.transfer_expiry_seconds),
        max_transfer_bytes=limits.max_transfer_bytes or None,
        max_infobase_bytes=limits.max_infobase_transfer_bytes or None,
    )
    crashpoints.arm(settings.test_crash_point)
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
        journal=(journal := DatabaseJournal(sessions, body_limit=settings.limits.journal_body_limit)),
        faults=(faults := DatabaseFaults(sessions)),
    )
    control = ApiContext(settings, sessions, on_infobases_changed=endpoints.forget, on_faults_changed=faults.forget)

    directory = endpoints.directory
    web = WebFace(
        directory=directory,
        sessions=sessions,
        settings=settings,
        secret_key=settings.secret_key or secrets.token_urlsafe(32),
        throttle=endpoints.throttle,
    )

    def purge() -> None:
        try:
            transfers.purge_expired()
            operations.purge_older_than(OPERATION_RETENTION)
        except Exception:  # housekeeping must never stop the server
            logger.exception("could not purge expired transfers")

    async def purge_periodically(interval: float) -> None:
        """Expired files, transfers and operations go while the server serves, in a worker thread, off the
        request path (soap-services.md §6)."""
        while True:
            await asyncio.sleep(interval)
            await anyio.to_thread.run_sync(purge)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        purge()
        tasks = [asyncio.get_running_loop().create_task(_prune_journal_periodically(sessions, settings))]
        if limits.purge_interval_seconds > 0:
            tasks.append(asyncio.get_running_loop().create_task(purge_periodically(limits.purge_interval_seconds)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            endpoints.close()
            await anyio.to_thread.run_sync(journal.close)  # what the writer holds is written before the engine goes
            engine.dispose()

    async def root(request: Any) -> PlainTextResponse:
        return PlainTextResponse("kassa-server")

    app = Starlette(
        debug=settings.debug,
        routes=[
            Route("/", root),
            Mount("/static", static_files(), name="static"),
            Mount(API_PREFIX, create_api(control)),
            Route("/{path:path}", InfobaseRoot(endpoints, web)),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.endpoints = endpoints
    app.state.web = web
    return app


class InfobaseRoot:
    """``/<base>/ws/...`` are the web services, every other ``/<base>/...`` the back office."""

    def __init__(self, services: ASGIApp, web: ASGIApp) -> None:
        self.services = services
        self.web = web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if "/ws/" in path or path.endswith("/ws"):
            await self.services(scope, receive, send)
        else:
            await self.web(scope, receive, send)


def journal_retention(settings: Settings) -> Retention:
    days = settings.journal_max_age_days
    return Retention(max_rows=settings.journal_max_rows, max_age=dt.timedelta(days=days) if days else None)


async def _prune_journal_periodically(sessions: Any, settings: Settings) -> None:
    """Apply the journal's retention now and every ``journal_prune_seconds``: in a thread of its own (never one of
    the request threads), in short transactions, so requests never wait for it."""
    retention = journal_retention(settings)
    if not retention.max_rows and retention.max_age is None:
        return
    limiter = anyio.CapacityLimiter(1)
    while True:
        try:
            deleted = await anyio.to_thread.run_sync(prune_journal, sessions, retention, limiter=limiter)
            if deleted:
                logger.info("journal retention: %d old calls deleted", deleted)
        except Exception:  # a failed pruning is retried next time; it must not stop the server
            logger.exception("could not prune the call journal")
        await anyio.sleep(settings.journal_prune_seconds)


def serve(settings: Settings) -> None:
    """Run uvicorn for ``settings`` until it is stopped: one process, or ``settings.workers`` processes that each build
    their app from the environment (uvicorn's factory mode), with the connection limits of ``transport.connections``."""
    import uvicorn

    raise_descriptor_limit()
    configure_connections(settings.limits)
    if settings.workers > 1:
        os.environ["KASSA_DATABASE_URL"] = settings.database_url
        if settings.public_url:
            os.environ["KASSA_PUBLIC_URL"] = settings.public_url
        if not settings.secret_key:  # the workers share one session key: a back-office session works on any of them
            os.environ["KASSA_SECRET_KEY"] = secrets.token_urlsafe(32)
        uvicorn.run(
            "kassa_server.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="info",
            access_log=settings.access_log,
            **uvicorn_options(settings.limits),
        )
    else:
        limit_heap_retention()
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=settings.access_log,
            **uvicorn_options(settings.limits),
        )


def create_app_from_env() -> Starlette:
    """For ``uvicorn kassa_server.app:create_app_from_env --factory --workers N``: settings from ``KASSA_*``.

    ``kassa-server serve`` runs it so; run by hand, add ``--http kassa_server.transport.connections:
    LimitedHttpToolsProtocol`` for the connection limits (README, "Limits and hardening")."""
    limit_heap_retention()
    exit_with_parent()
    settings = Settings.from_env(os.environ)
    configure_connections(settings.limits)  # this worker's connection limits (transport/connections.py)
    return create_app(settings)
