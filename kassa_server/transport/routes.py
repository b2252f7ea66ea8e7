"""``/<base>/ws/<Service>``: infobase lookup, Basic auth, ``?wsdl``, ``/ping``, and SOAP calls into spyne.

* ``<base>`` is matched case-sensitively against the database at request time (a wrong case or unknown base → 404);
  it may contain ``/`` (soap-services.md §1.1).
* The service segment is a service or descriptor name, matched case-insensitively.
* Everything under ``<base>/ws/`` needs Basic credentials, including ``/ping`` (401 + 1C's realm); an authenticated
  ``GET …/<Service>/ping`` is 200, any other authenticated path 404.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import logging
import threading
import time
import traceback
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

import anyio
import anyio.to_thread
from starlette.types import Receive, Scope, Send

from kassa_server.admin.faults import Injection
from kassa_server.exchange.accounts import AuthenticatedUser, InfobaseDirectory, PublishedInfobase
from kassa_server.exchange.journal import JournalEntry
from kassa_server.services.application import HEAVY_OPERATIONS, SoapService
from kassa_server.services.context import ENVIRON_KEY, ServiceCall, ServiceDependencies
from kassa_server.services.faults import GENERIC_ERROR, fault_envelope, shorten
from kassa_server.services.wsdl import render_wsdl
from kassa_server.transport import faults
from kassa_server.transport.auth import (
    REALM_HEADER,
    Authenticator,
    authenticate,
    authenticate_cached,
    basic_credentials,
)
from kassa_server.transport.faults import FaultSource
from kassa_server.transport.journal import JournalSink, fault_string
from kassa_server.transport.limits import BodyTooLarge, ClientDisconnected, read_body
from kassa_server.transport.threads import SoapThreads
from kassa_server.transport.throttle import LoginThrottle
from kassa_server.transport.wsgi_bridge import WsgiResponse, build_environ, run_wsgi, send_response

logger = logging.getLogger(__name__)

TEXT = [("content-type", "text/plain; charset=utf-8")]
THROTTLED = b"Unauthorized: too many failed logins; try again later"
BUSY = b"Service Unavailable: too many exchange messages being built or imported; try again later"
HEAVY_RETRY_AFTER_SECONDS = 60
XML = [("content-type", "text/xml; charset=utf-8")]
PLAIN_BODIES = {
    401: b"Unauthorized",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Request Entity Too Large",
    414: b"URI Too Long",
}


@dataclass(frozen=True)
class Target:
    infobase: PublishedInfobase
    rest: str
    """The path after ``<base>/ws/``."""


class SoapEndpoints:
    """The ASGI app behind every ``/<base>/ws/...`` URL."""

    def __init__(
        self,
        *,
        directory: InfobaseDirectory,
        authenticator: Authenticator,
        services: dict[str, SoapService],
        deps: ServiceDependencies,
        journal: JournalSink,
        faults: FaultSource | None = None,
    ) -> None:
        self.directory = directory
        self.authenticator = authenticator
        self.services = services
        self.deps = deps
        self.journal = journal
        self.faults = faults
        self.settings = deps.settings
        limits = self.settings.limits
        self.threads = SoapThreads(limits.worker_threads)
        self.auth_limiter = anyio.CapacityLimiter(limits.auth_threads)
        self.heavy = anyio.CapacityLimiter(limits.heavy_calls) if limits.heavy_calls > 0 else None
        """Turns of the calls that build or import a whole message (``Limits.heavy_calls``)."""
        self.throttle = LoginThrottle(
            limits.max_login_failures, limits.max_address_failures, limits.login_failure_window_seconds
        )
        self.trusted = [_network(p) for p in self.settings.trusted_proxies]
        self._wakers: dict[int, _Waker] = {}
        """Per event loop, what settles the journal's futures (the waker holds its loop, so an id is not reused)."""

    def close(self) -> None:
        """Stop taking SOAP work (the app's shutdown): calls still waiting for a thread are dropped."""
        self.threads.close()

    def forget(self) -> None:
        """Forget cached infobases and credentials (an infobase was deleted or reset)."""
        self.directory.forget()
        forget = getattr(self.authenticator, "forget", None)
        if forget is not None:
            forget()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request and journal it, whatever the answer (never credentials; bodies only of SOAP calls)."""
        assert scope["type"] == "http"
        started = time.perf_counter()
        path = scope["path"]
        entry = JournalEntry(at=_utcnow(), infobase=_requested_base(path[:200]))
        if len(scope.get("raw_path") or path.encode()) > self.settings.limits.max_path_bytes:
            # before any look-up: the cost of a request must not grow with its path (issue 14 §1)
            await self._answer(send, entry, started, 414, "rejected", f"path over {len(path)} characters")
            return
        target = await self._target(path)
        if target is None:
            await self._answer(send, entry, started, 404, "not_found", f"no infobase at {path[:200]}")
            return
        entry.infobase = target.infobase.name
        header = _header(scope, b"authorization")
        user = await self._authenticate(scope, send, entry, started, target.infobase, header)
        if user is None:
            return
        entry.login = user.login
        segment, _, tail = target.rest.partition("/")
        service = self.services.get(segment.lower())
        if service is None:
            await self._answer(send, entry, started, 404, "not_found", f"no service {segment[:100]!r}")
            return
        entry.service = service.contract.name
        if tail.strip("/") == "ping" and scope["method"] in ("GET", "HEAD"):
            await self._answer(send, entry, started, 200, "ping", "", body=b"")
            return
        if tail.strip("/"):
            await self._answer(send, entry, started, 404, "not_found", f"no path {tail[:100]!r} under the service")
            return
        if scope["method"] in ("GET", "HEAD"):
            if _wants_wsdl(scope):
                address = self._soap_address(scope, target.infobase, service)
                wsdl = render_wsdl(service.contract, address)
                await self._answer(send, entry, started, 200, "wsdl", "", body=wsdl, headers=XML)
            else:
                allow = [("allow", "POST")]
                await self._answer(
                    send, entry, started, 405, "rejected", "GET without ?wsdl", allow, b"Use POST, or GET ?wsdl"
                )
            return
        if scope["method"] != "POST":
            message = f"method {scope['method'][:20]} not allowed"
            await self._answer(send, entry, started, 405, "rejected", message, [("allow", "POST")])
            return
        await self._soap(scope, receive, send, entry, started, target.infobase, service)

    async def _answer(
        self,
        send: Send,
        entry: JournalEntry,
        started: float,
        status: int,
        outcome: str,
        message: str,
        extra_headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        headers: list[tuple[str, str]] = TEXT,
    ) -> None:
        """Journal a non-SOAP answer (its size, not its body), then send it."""
        if body is None:
            body = PLAIN_BODIES[status]
        entry.http_status, entry.outcome, entry.message, entry.response_size = status, outcome, message, len(body)
        await self._journal(entry, started)
        await send_response(send, status, [*headers, *(extra_headers or [])], body)

    async def _authenticate(
        self,
        scope: Scope,
        send: Send,
        entry: JournalEntry,
        started: float,
        infobase: PublishedInfobase,
        header: str | None,
    ) -> AuthenticatedUser | None:
        """The user of the request's credentials, or None once a 401 was sent (and journaled).

        Password checks run in their own small pool (scrypt must not take the SOAP threads); failures are counted per
        login and per client address, and a throttled client gets a 401 saying so without a check (issue 14 §4).
        """
        realm = [("www-authenticate", REALM_HEADER)]
        logins = [login for login, _ in basic_credentials(header)]
        address = self._client_address(scope)
        if logins:
            wait = self.throttle.retry_after(infobase.name, logins, address)
            if wait is not None:
                logger.info("401 (throttled) for %s from %s", shorten(logins[0], 64), address)
                message = f"too many failed logins for {shorten(logins[0], 64)!r} or from {address}; throttled"
                retry = [("retry-after", str(max(int(wait) + 1, 1)))]
                await self._answer(send, entry, started, 401, "throttled", message, [*realm, *retry], THROTTLED)
                return None
        user = authenticate_cached(self.authenticator, infobase.name, header)
        if user is None:
            user = await anyio.to_thread.run_sync(
                authenticate, self.authenticator, infobase.name, header, limiter=self.auth_limiter
            )
        if user is not None:
            self.throttle.succeeded(infobase.name, user.login)
            return user
        logger.info("401 for %s %s", scope["method"], shorten(scope["path"], 256))
        message = "no credentials" if not header else "wrong login or password"
        if logins and self.throttle.failed(infobase.name, logins, address):
            message += "; further attempts are throttled"
        await self._answer(send, entry, started, 401, "unauthorized", message, realm)
        return None

    async def _soap(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        entry: JournalEntry,
        started: float,
        infobase: PublishedInfobase,
        service: SoapService,
    ) -> None:
        try:
            body = await read_body(scope, receive, self.settings.limits.max_request_body)
        except BodyTooLarge as exc:
            entry.request_size = _declared_size(scope)
            await self._answer(send, entry, started, 413, "rejected", str(exc))
            return
        except ClientDisconnected:
            logger.info("client went away while sending its request")
            entry.outcome, entry.message = "disconnected", "the client went away while sending its request"
            await self._journal(entry, started)
            return
        soap_version, wsgi_app = service.wsgi_for(_header(scope, b"content-type") or "")
        call = ServiceCall(deps=self.deps, infobase=infobase, login=entry.login, service=service.contract.name)
        injection = await self._injection(infobase.name, service.contract.name, body)
        if injection is not None:
            entry.injected_fault = injection.kind
            await anyio.sleep(faults.delay_seconds(injection))
        if injection is not None and injection.kind in faults.BEFORE:
            response = faults.instead(injection, soap_version)
            call.operation, call.node_code = faults.sniff(body)
            call.outcome, call.message = (
                "fault",
                fault_string(response.body) or response.body.decode("utf-8", "replace"),
            )
        else:
            heavy = self.heavy is not None and faults.sniff(body)[0] in HEAVY_OPERATIONS
            if heavy and not await self._heavy_turn():
                wait = self.settings.limits.heavy_call_wait_seconds
                entry.operation, entry.node_code = faults.sniff(body)
                message = f"{self.settings.limits.heavy_calls} heavy calls running; none ended within {wait} s"
                retry = [("retry-after", str(HEAVY_RETRY_AFTER_SECONDS))]
                await self._answer(send, entry, started, 503, "rejected", message, retry, BUSY)
                return
            environ = build_environ(scope, body, {ENVIRON_KEY: call})
            try:
                response = await self.threads.run(run_wsgi, wsgi_app, environ)
            except Exception as exc:  # the SOAP stack itself failed: still answer a Fault, never a bare 500
                logger.exception("%s: the SOAP stack failed", service.contract.name)
                response = self._stack_failure(soap_version, exc)
                call.outcome, call.message = "fault", GENERIC_ERROR
            finally:
                if heavy and self.heavy is not None:
                    self.heavy.release()
            if injection is not None and injection.kind in faults.AFTER:
                response = faults.rewrite(injection, response)
        entry.soap_version = soap_version
        entry.operation = call.operation
        entry.node_code = call.node_code
        entry.http_status = response.status
        entry.request_body, entry.request_size = body, len(body)
        entry.response_body, entry.response_size = response.body, len(response.body)
        if response.status >= 400:
            entry.outcome = "fault"
            entry.message = call.message or fault_string(response.body)
        else:
            entry.outcome, entry.message = call.outcome, call.message
        await self._journal(entry, started)
        if injection is not None and injection.kind == "disconnect":
            await faults.send_half_and_close(send, response)
            return
        await send_response(send, response.status, response.headers, response.body)

    async def _heavy_turn(self) -> bool:
        """Wait, without a thread, up to ``heavy_call_wait_seconds`` for a heavy call's turn; False: none came."""
        assert self.heavy is not None
        try:
            self.heavy.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(self.settings.limits.heavy_call_wait_seconds):
            await self.heavy.acquire()
            return True
        return False

    async def _injection(self, infobase: str, service: str, body: bytes) -> Injection | None:
        """The fault rule that fires for this call, if any (control API, kassa_server/transport/faults.py)."""
        if self.faults is None:
            return None
        idle = getattr(self.faults, "idle", None)
        if idle is not None and idle():  # no rules: neither a look at the body nor a thread
            return None
        operation, device = faults.sniff(body)
        return await self.threads.run(
            functools.partial(self.faults.take, infobase=infobase, service=service, operation=operation, device=device)
        )

    def _stack_failure(self, soap_version: str, exc: Exception) -> WsgiResponse:
        """A Server Fault for an exception that escaped spyne; the traceback goes out only with ``debug``."""
        if self.settings.debug:
            text, detail = f"{GENERIC_ERROR} {exc!r}", traceback.format_exc()
        else:
            text, detail = GENERIC_ERROR, None
        content_type, body = fault_envelope(soap_version, text, detail)
        return WsgiResponse(500, [("content-type", content_type)], body)

    async def _journal(self, entry: JournalEntry, started: float) -> None:
        """Journal ``entry`` and return once it is written, so a reader after the answer sees it. A batching sink
        (``submit``) takes no thread: the loop waits for the writer's word; any other sink is called in a thread."""
        entry.duration_ms = int((time.perf_counter() - started) * 1000)
        submit = getattr(self.journal, "submit", None)
        if submit is None:
            await self.threads.run(self.journal.record, entry)
            return
        loop = asyncio.get_running_loop()
        waker = self._wakers.get(id(loop))
        if waker is None or waker.loop is not loop:
            waker = self._wakers[id(loop)] = _Waker(loop)
        written = loop.create_future()
        submit(entry, functools.partial(waker.settle, written))
        await written

    async def _target(self, path: str) -> Target | None:
        """Split ``/<base>/ws/<rest>``; a base may itself contain ``/ws/``, so every split is a candidate."""
        candidates: list[tuple[str, str]] = []
        limit = self.settings.limits.max_base_candidates
        start = 0
        while len(candidates) < limit and (index := path.find("/ws/", start)) > 0:
            candidates.append((path[1:index], path[index + 4 :]))
            start = index + 1
        if len(candidates) < limit and path.endswith("/ws") and len(path) > 3:
            candidates.append((path[1:-3], ""))
        if not candidates:
            return None
        names = [base for base, _ in candidates]
        infobase = self.directory.cached(names) or await self.threads.run(self.directory.find, names)
        if infobase is None:
            return None
        rest = next(rest for base, rest in candidates if base == infobase.name)
        return Target(infobase, rest)

    def _soap_address(self, scope: Scope, infobase: PublishedInfobase, service: SoapService) -> str:
        """This request's scheme, host and base (never a cached host; a trusted proxy's forwarded ones), as a 1C web
        server answers (soap-services.md §1.1). «Адрес в интернете» (``public_url``) is for the QR code only."""
        descriptor = service.contract.descriptor
        scheme = scope.get("scheme", "http")
        host = _header(scope, b"host") or _server_host(scope)
        prefix = scope.get("root_path", "")
        if self._from_trusted_proxy(scope):
            scheme = (_header(scope, b"x-forwarded-proto") or scheme).split(",")[0].strip()
            host = (_header(scope, b"x-forwarded-host") or host).split(",")[0].strip()
            prefix = (_header(scope, b"x-forwarded-prefix") or "").rstrip("/") + prefix
        return f"{scheme}://{host}{prefix}/{quote(infobase.name)}/ws/{descriptor}"

    def _client_address(self, scope: Scope) -> str:
        """The client's address: the peer, or the first ``X-Forwarded-For`` hop when the peer is a trusted proxy."""
        client = scope.get("client")
        address = str(client[0]) if client else ""
        if self._from_trusted_proxy(scope):
            forwarded = (_header(scope, b"x-forwarded-for") or "").split(",")[0].strip()
            address = forwarded[:64] or address
        return address

    def _from_trusted_proxy(self, scope: Scope) -> bool:
        client = scope.get("client")
        if not client or not self.trusted:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return False
        return any(network is not None and address in network for network in self.trusted)


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        logger.warning("trusted proxy %r is not an address or network; ignored", text)
        return None


def _requested_base(path: str) -> str:
    """The infobase a path asks for, as far as it can be told without the database (for journaling a 404)."""
    base, found, _ = path[1:].partition("/ws/")
    if not found:
        base = path[1:].removesuffix("/ws")
    return base


def _declared_size(scope: Scope) -> int:
    length = _header(scope, b"content-length")
    return int(length) if length and length.isdigit() else 0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _server_host(scope: Scope) -> str:
    host, port = scope.get("server") or ("localhost", 80)
    return f"{host}:{port}"


def _wants_wsdl(scope: Scope) -> bool:
    query = scope.get("query_string", b"").decode("latin-1")
    return any(key.lower() == "wsdl" for key, _ in parse_qsl(query, keep_blank_values=True))


class _Waker:
    """Settles, on its event loop, the futures of journal entries the writer thread reports written: one
    ``call_soon_threadsafe`` (one wake-up of the loop) for all that the writer reports before the loop gets to them,
    i.e. one per batch instead of one per entry."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._written: list[asyncio.Future[None]] = []

    def settle(self, future: asyncio.Future[None]) -> None:
        """Called in the writer's thread once ``future``'s entry is written."""
        with self._lock:
            self._written.append(future)
            if len(self._written) > 1:  # a wake-up is already on its way and will take this one too
                return
        try:
            self.loop.call_soon_threadsafe(self._settle_all)
        except RuntimeError:  # the loop is closed (shutdown): nobody waits any more
            with self._lock:
                self._written.clear()

    def _settle_all(self) -> None:
        with self._lock:
            written, self._written = self._written, []
        for future in written:
            if not future.done():  # the request may have been cancelled meanwhile (shutdown)
                future.set_result(None)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
