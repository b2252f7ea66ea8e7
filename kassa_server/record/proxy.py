"""``kassa-server record``: a proxy in front of a real 1C server that writes every call to a cassette.

The client calls the proxy as it would call the server (``http://proxy/<base>/ws/...``); the proxy forwards the same
path to the upstream URL's host (under the upstream path's prefix: ``https://host/1c/kassa`` forwards ``/kassa/…`` to
``https://host/1c/kassa/…``), answers what upstream answered with upstream's address replaced by its own (so a WSDL
points the client back at the proxy), and writes the call with ``cassette.write``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kassa_server.record.cassette import BASE_URL, Interaction, Message, write

logger = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host", "te", "upgrade"}
)


class RecordingProxy:
    def __init__(self, upstream: str, out: Path, *, timeout: float = 600.0) -> None:
        parts = urlsplit(upstream.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"upstream {upstream!r}: expected http(s)://host[/path]")
        prefix = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
        self.upstream_root = f"{parts.scheme}://{parts.netloc}{prefix}"
        self.out = out
        self.timeout = timeout
        self.counter = itertools.count(1)
        self.lock = threading.Lock()
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        own = f"{request.url.scheme}://{request.url.netloc}"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        started = time.perf_counter()
        at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        client = self.client or httpx.AsyncClient(timeout=self.timeout)
        try:
            upstream = await client.request(
                request.method,
                self.upstream_root + request.url.path,
                params=request.url.query or None,
                content=body,
                headers=headers,
            )
            status, content = upstream.status_code, upstream.content
            answer_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        except httpx.HTTPError as exc:
            logger.warning("upstream failed: %s", exc)
            status, content, answer_headers = 502, f"upstream failed: {exc}".encode(), {"content-type": "text/plain"}
        finally:
            if self.client is None:
                await client.aclose()
        duration = int((time.perf_counter() - started) * 1000)
        content = content.replace(self.upstream_root.encode(), own.encode())
        text = content.decode("utf-8", "replace")
        interaction = Interaction(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            request=Message(body.decode("utf-8", "replace").replace(own, BASE_URL), dict(request.headers)),
            response=Message(text.replace(own, BASE_URL), answer_headers, status),
            duration_ms=duration,
            at=at,
        )
        with self.lock:
            write(self.out, next(self.counter), interaction)
        await Response(content, status_code=status, headers=answer_headers)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.client = httpx.AsyncClient(timeout=self.timeout)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
