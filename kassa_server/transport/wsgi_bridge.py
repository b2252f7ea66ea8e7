"""A small ASGI → WSGI bridge to spyne.

The request body is read first (with limits); spyne's WSGI app then runs in a worker thread, and its whole response
is collected there before anything is sent. The thread therefore never waits on the client: a client that aborts a
large download cannot strand it, and uvicorn's graceful shutdown is not held up (a2wsgi was seen to do both, issue 3).
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.types import Scope, Send

logger = logging.getLogger(__name__)

SEND_CHUNK = 256 * 1024


@dataclass
class WsgiResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def build_environ(scope: Scope, body: bytes, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A PEP 3333 environ for an ASGI HTTP scope and its (already read) body."""
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    path = scope.get("root_path", "") + scope["path"]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": quote(path, safe="/:@!$&'()*+,;=").encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        if name == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
            continue
        if name == "CONTENT_LENGTH":
            continue
        key = f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    environ.setdefault("CONTENT_TYPE", "")
    if extra:
        environ.update(extra)
    return environ


def run_wsgi(app: Any, environ: dict[str, Any]) -> WsgiResponse:
    """Run a WSGI app to completion and collect its response (call this in a worker thread)."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"] = int(status.split(" ", 1)[0])
        captured["headers"] = headers
        return lambda data: captured.setdefault("written", []).append(data)

    result: Iterable[bytes] = app(environ, start_response)
    try:
        chunks = [*captured.get("written", []), *(chunk for chunk in result)]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    body = b"".join(c if isinstance(c, bytes) else str(c).encode("utf-8") for c in chunks)
    return WsgiResponse(captured.get("status", 500), list(captured.get("headers", [])), body)


async def send_response(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """Send a buffered response; a client that went away is logged, not an error."""
    names = {name.lower() for name, _ in headers}
    raw_headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers if n.lower() != "content-length"]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    if "content-type" not in names:
        raw_headers.append((b"content-type", b"text/plain; charset=utf-8"))
    try:
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        view = memoryview(body)
        for offset in range(0, max(len(body), 1), SEND_CHUNK):
            chunk = bytes(view[offset : offset + SEND_CHUNK])
            await send({"type": "http.response.body", "body": chunk, "more_body": offset + SEND_CHUNK < len(body)})
    except OSError as exc:  # uvicorn raises ClientDisconnected (an OSError) on a gone client
        logger.info("client went away during the response: %s", exc)
