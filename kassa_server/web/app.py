"""The back office's ASGI app: every ``/<base>/...`` URL that is not a web service (``/<base>/ws/...``).

It finds the infobase the way the SOAP routes do (case-sensitive, at request time), makes ``/<base>`` the request's
``root_path``, and hands the rest to the pages' router behind the session and CSRF middleware. Static files are
served once for all infobases at ``/static/``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from kassa_server.settings import Settings
from kassa_server.web.csrf import CsrfMiddleware
from kassa_server.web.pages import LoginGuard, WebContext
from kassa_server.web.routes import build_routes
from kassa_server.web.sessions import SessionMiddleware

STATIC_DIR = Path(__file__).parent / "static"


class FoundInfobase(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...


class InfobaseFinder(Protocol):
    def find(self, names: list[str]) -> FoundInfobase | None: ...


def static_files() -> ASGIApp:
    return StaticFiles(directory=STATIC_DIR)


class WebFace:
    """The ASGI app behind ``/<base>/...`` for people (everything but ``/<base>/ws/...``)."""

    def __init__(
        self,
        *,
        directory: InfobaseFinder,
        sessions: sessionmaker[Session],
        settings: Settings,
        secret_key: str,
        throttle: LoginGuard | None = None,
    ) -> None:
        self.directory = directory
        self.trusted_proxies = settings.trusted_proxies
        self.max_candidates = max(1, settings.limits.max_base_candidates)
        self.context = WebContext(sessions=sessions, settings=settings, throttle=throttle)
        router = Router(routes=build_routes())
        self.context.router = router
        self.app = SessionMiddleware(CsrfMiddleware(router, max_body=settings.limits.max_upload), secret_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        outer = scope.get("root_path", "")
        path: str = scope["path"]
        if outer and path.startswith(outer):
            path = path[len(outer) :]
        segments = path.strip("/").split("/")
        # shortest first: /kassa/goods/7 is the page goods/7 of «kassa»; at most as many names as the web services try
        count = min(len(segments), self.max_candidates)
        candidates = ["/".join(segments[:n]) for n in range(1, count + 1) if segments[0]]
        infobase = await anyio.to_thread.run_sync(self.directory.find, candidates) if candidates else None
        if infobase is None:
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        root = outer + "/" + infobase.name
        if path == "/" + infobase.name:
            await RedirectResponse(quote(root) + "/", status_code=308)(scope, receive, send)
            return
        scope = dict(scope)
        scope["root_path"] = root
        scope["kassa.base"] = infobase.name
        scope["kassa.infobase_id"] = infobase.id
        scope["kassa.https"] = self._https(scope)
        scope["kassa.web"] = self.context
        await self.app(scope, receive, send)

    def _https(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        client = scope.get("client")
        if client and _trusted(client[0], self.trusted_proxies):
            forwarded = Headers(scope=scope).get("x-forwarded-proto", "")
            return forwarded.split(",")[0].strip() == "https"
        return False


def _trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if ip in ipaddress.ip_network(proxy.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False
