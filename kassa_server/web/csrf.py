"""CSRF protection and the upload limit for every request that changes something (pure ASGI).

A POST (or any unsafe method) must carry the session's token, in the ``X-CSRF-Token`` header (htmx sends it for every
request, see base.html) or in the form field ``csrf_token``; its ``Origin``, when the browser sends one, must be this
host. The body is read once, up to ``max_body`` bytes (413 beyond), checked, and replayed to the page.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _refuse(scope, receive, send, 413, "Файл слишком большой.")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _refuse(scope, receive, send, 413, "Файл слишком большой.")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replay = _replayer(body, receive)
        expected = str(scope.get("session", {}).get("csrf", ""))
        given = headers.get(HEADER)
        if given is None:
            form = await Request(scope, replay).form()
            field = form.get(FORM_FIELD)
            given = field if isinstance(field, str) else ""
            await form.close()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()) or not _same_origin(headers):
            await _refuse(scope, receive, send, 403, "Форма устарела: обновите страницу и повторите действие.")
            return
        await self.app(scope, _replayer(body, receive), send)


def _same_origin(headers: Headers) -> bool:
    origin = headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == headers.get("host", "")


def _replayer(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's own messages (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    await PlainTextResponse(text, status_code=status)(scope, receive, send)
