"""Connection-level limits on uvicorn's httptools protocol (issue 14 §2, §3): head size, slow clients, connections.

uvicorn bounds none of these with httptools: it reads a head of any size (a 64 MB header cost +436 MB), waits forever
for a client that connected and sends nothing (or sends one byte a minute), and accepts connections until the process
runs out of file descriptors. ``LimitedHttpToolsProtocol`` adds, per connection:

* a head (request line + headers) over ``max_header_bytes`` → ``431`` and close;
* a head not complete within ``header_timeout_seconds`` of the connection or of its first byte → ``408`` (or a plain
  close when nothing was sent) — idle keep-alive connections are closed by uvicorn's ``timeout_keep_alive``;
* a body not complete within ``body_timeout_seconds`` of its head → ``408`` and close;
* more than ``max_connections`` open connections (never more than the descriptor limit less
  ``reserved_file_descriptors``), or more than ``max_connections_per_address`` from one address → the new one gets
  ``503`` and is closed at once; so one client cannot hold every slot while others are still served.
"""

from __future__ import annotations

import asyncio
import logging
import resource
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kassa_server.settings import Limits

logger = logging.getLogger(__name__)


def effective_max_connections(limits: Limits) -> int:
    """``max_connections``, lowered so that ``reserved_file_descriptors`` stay free under the process's limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return limits.max_connections
    return max(1, min(limits.max_connections, soft - limits.reserved_file_descriptors))


def raise_descriptor_limit() -> None:
    """Raise the soft limit on open files to the hard limit (the default soft limit, often 1024, is low)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            logger.warning("could not raise the open-files limit from %s to %s", soft, hard)


def _response(status: bytes, text: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
        b"content-length: " + str(len(text)).encode() + b"\r\n\r\n" + text
    )


HEAD_TOO_LARGE = _response(b"431 Request Header Fields Too Large", b"Request Header Fields Too Large")
TIMEOUT = _response(b"408 Request Timeout", b"Request Timeout")
TOO_MANY = _response(b"503 Service Unavailable", b"Too many connections")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[Limits] = Limits()
    """Set by :func:`configure` (each worker process calls it when it builds its app) or by :func:`http_protocol`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._head_size = 0
        self._started = False
        self._timer: asyncio.TimerHandle | None = None
        self._max_connections = effective_max_connections(self.limits)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self._max_connections:
            logger.warning("%d connections open: refusing one more", len(self.connections) - 1)
            self._refuse(TOO_MANY)
            return
        per_address = self.limits.max_connections_per_address
        if per_address and self.client:
            address = self.client[0]
            same = [c for c in self.connections if (getattr(c, "client", None) or ("",))[0] == address]
            if len(same) > per_address:
                logger.warning("%d connections open from %s: refusing one more", per_address, address)
                self._refuse(TOO_MANY)
                return
        self._arm(self.limits.header_timeout_seconds)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
            logger.info("request head over %d bytes from %s: 431", self.limits.max_header_bytes, self.client)
            self._refuse(HEAD_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._started = True
        self._head_size = 0
        if self._timer is None:
            self._arm(self.limits.header_timeout_seconds)

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        if self._head_size <= self.limits.max_header_bytes:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():
            return
        if self._head_size > self.limits.max_header_bytes:
            # a whole head that arrived in one piece: counted by the parser callbacks
            logger.info("request head over %d bytes from %s: 431", self.limits.max_header_bytes, self.client)
            self._refuse(HEAD_TOO_LARGE)
            return
        self._in_head = False
        self._disarm()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._arm(self.limits.body_timeout_seconds)

    def on_body(self, body: bytes) -> None:
        if self.transport.is_closing() or self.cycle is None:
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self.transport.is_closing() or self.cycle is None:
            return
        self._disarm()
        self._in_head, self._head_bytes, self._started = True, 0, False
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if not self._started and self._in_head:
            self.transport.close()  # connected and sent nothing
        elif cycle is not None and not self._in_head and cycle.response_started:
            if cycle.response_complete:
                self.transport.close()
            else:
                cycle.keep_alive = False  # the app is answering already (a 413, say): close after its response
        else:
            logger.info("request from %s not received in time: 408", self.client)
            self._refuse(TIMEOUT)

    def _refuse(self, response: bytes) -> None:
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(response)
        self.transport.close()


def configure(limits: Limits) -> None:
    """Use ``limits`` for every connection served by ``LimitedHttpToolsProtocol`` in this process."""
    LimitedHttpToolsProtocol.limits = limits


def http_protocol(limits: Limits) -> type[LimitedHttpToolsProtocol]:
    """A protocol class bound to ``limits`` (for servers built in-process, such as the tests' live server)."""
    return type("BoundHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits})


def uvicorn_options(limits: Limits) -> dict[str, Any]:
    """The uvicorn settings for ``limits``: the limited protocol, keep-alive, backlog."""
    return {
        "http": LimitedHttpToolsProtocol,
        "timeout_keep_alive": limits.keep_alive_seconds,
        "backlog": limits.listen_backlog,
        "h11_max_incomplete_event_size": limits.max_header_bytes,
    }
