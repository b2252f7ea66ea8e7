"""Sessions as signed cookies: a pure ASGI middleware that puts ``scope["session"]`` (a dict) in front of the web pages.

The cookie is signed with the server's secret and salted with the infobase name, and its path is the infobase's root
(``/<base>/``), so a session of one infobase is neither sent to nor accepted by another. It is ``HttpOnly``,
``SameSite=Lax``, and ``Secure`` when the request came over https (directly or through a trusted proxy). Every visitor
gets a CSRF token in their session on the first page, so even the login form carries one.
"""

from __future__ import annotations

import json
import secrets
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE_NAME = "kassa_session"
MAX_AGE = 12 * 3600
"""A session lasts a working day; the user logs in again after that."""


class SessionMiddleware:
    def __init__(self, app: ASGIApp, secret_key: str, *, max_age: int = MAX_AGE) -> None:
        self.app = app
        self.secret_key = secret_key
        self.max_age = max_age

    def serializer(self, base: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"kassa-web-session:{base}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        base: str = scope["kassa.base"]
        serializer = self.serializer(base)
        session: dict[str, object] = {}
        raw = _cookie(scope, COOKIE_NAME)
        had_cookie = raw is not None
        if raw:
            try:
                loaded = serializer.loads(raw, max_age=self.max_age)
            except BadSignature:
                loaded = None
            if isinstance(loaded, dict):
                session = loaded
        if not isinstance(session.get("csrf"), str):
            session["csrf"] = secrets.token_urlsafe(32)
        before = json.dumps(session, sort_keys=True)
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                after = json.dumps(scope["session"], sort_keys=True)
                if after != before or not had_cookie:
                    headers = MutableHeaders(scope=message)
                    value = serializer.dumps(scope["session"])
                    attributes = f"Path={quote(scope['root_path'])}/; Max-Age={self.max_age}; HttpOnly; SameSite=Lax"
                    if scope.get("kassa.https"):
                        attributes += "; Secure"
                    headers.append("set-cookie", f"{COOKIE_NAME}={value}; {attributes}")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except CookieError:  # a malformed Cookie header: no session
                return None
            if name in cookie:
                return cookie[name].value
    return None
