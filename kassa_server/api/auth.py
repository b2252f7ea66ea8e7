"""Who may call the control API: a bearer token, or an administrator of the infobase in the path (HTTP Basic).

The token is ``KASSA_ADMIN_TOKEN`` or one made by ``kassa-server token create``; with neither the API is off and every
path under ``/api/v1`` is 404 (``ApiSwitch``). Basic credentials are accepted only on ``/infobases/{infobase}/...``
paths, for a user of that infobase who is an administrator (not a cashier).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

import anyio.to_thread
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from kassa_server.admin.tokens import any_tokens, check_administrator, check_token
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import ApiError, error_response


class Utf8Basic(HTTPBasic):
    """HTTP Basic whose credentials may be UTF-8 (1C logins are Cyrillic); FastAPI's own accepts ASCII only."""

    async def __call__(self, request: Request) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, _, param = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            raw = base64.b64decode(param.strip(), validate=True)
        except (ValueError, binascii.Error):
            raise ApiError(401, "unauthorized", "malformed Basic credentials", headers=CHALLENGE) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1251", errors="replace")
        login, separator, password = text.partition(":")
        if not separator:
            raise ApiError(401, "unauthorized", "malformed Basic credentials", headers=CHALLENGE)
        return HTTPBasicCredentials(username=login, password=password)


bearer_scheme = HTTPBearer(
    auto_error=False, description="KASSA_ADMIN_TOKEN, or a token made by `kassa-server token create`"
)
basic_scheme = Utf8Basic(
    scheme_name="HTTPBasic",
    auto_error=False,
    description="An administrator of the infobase in the path (its /infobases/{infobase}/… only)",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="kassa-server", Basic realm="kassa-server"'}


@dataclass(frozen=True)
class Principal:
    infobase: str | None = None
    """None for a token holder (any infobase); else the one infobase a Basic administrator may manage."""

    def may_manage(self, infobase: str) -> bool:
        return self.infobase is None or self.infobase == infobase


def principal(
    request: Request,
    context: ApiContext = Depends(api_context),
    bearer: HTTPAuthorizationCredentials | None = Security(bearer_scheme),
    basic: HTTPBasicCredentials | None = Security(basic_scheme),
) -> Principal:
    if bearer is not None:
        if _token_ok(context, bearer.credentials):
            return Principal()
        raise ApiError(401, "unauthorized", "unknown or revoked token", headers=CHALLENGE)
    if basic is not None:
        infobase = request.path_params.get("infobase")
        with context.transaction() as session:
            ok = infobase is not None and check_administrator(session, infobase, basic.username, basic.password)
        if infobase is None:
            raise ApiError(403, "forbidden", "only a bearer token may do this; Basic is for /infobases/{infobase}/…")
        if not ok:
            raise ApiError(401, "unauthorized", f"not an administrator of infobase {infobase!r}", headers=CHALLENGE)
        return Principal(infobase=infobase)
    raise ApiError(401, "unauthorized", "send Authorization: Bearer <token>", headers=CHALLENGE)


def _token_ok(context: ApiContext, token: str) -> bool:
    configured = context.settings.admin_token
    if configured and hmac.compare_digest(configured.encode(), token.encode()):
        return True
    with context.transaction() as session:
        return check_token(session, token)


def api_enabled(context: ApiContext) -> bool:
    if context.settings.admin_token:
        return True
    with context.transaction() as session:
        return any_tokens(session)


class ApiSwitch:
    """Answers 404 for the whole API while no token is configured, so a server is not steerable by accident."""

    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not await anyio.to_thread.run_sync(api_enabled, self.context):
            response = error_response(
                404, "api_off", "the control API is off: set KASSA_ADMIN_TOKEN or run `kassa-server token create`"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
