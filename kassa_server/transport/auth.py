"""HTTP Basic authentication against an infobase's users, with 1C's 401 (soap-services.md §1.2)."""

from __future__ import annotations

import base64
import binascii
from typing import Protocol, cast

from kassa_server.exchange.accounts import AuthenticatedUser

REALM_HEADER = 'Basic realm="1C:Enterprise 8.3"'
"""Quoted from a real 1C server [I]; sent with every 401."""


class Authenticator(Protocol):
    """``authenticate`` runs in a thread. An authenticator may also offer ``cached(infobase, login, password)``: a
    recent successful check from memory, asked on the event loop (it must not block), or None."""

    def authenticate(self, infobase: str, login: str, password: str) -> AuthenticatedUser | None: ...


def basic_credentials(header: str | None) -> list[tuple[str, str]]:
    """Candidate (login, password) pairs of an ``Authorization: Basic`` header: UTF-8 first, then cp1251 (§1.2 [I]).

    Clients send ``base64(UTF-8("<login>:<password>"))``; some older Windows clients use the ANSI code page.
    """
    if not header:
        return []
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return []
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return []
    candidates: list[tuple[str, str]] = []
    for encoding in ("utf-8", "cp1251"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        login, sep, password = text.partition(":")
        if sep and (login, password) not in candidates:
            candidates.append((login, password))
    return candidates


def authenticate(authenticator: Authenticator, infobase: str, header: str | None) -> AuthenticatedUser | None:
    for login, password in basic_credentials(header):
        user = authenticator.authenticate(infobase, login, password)
        if user is not None:
            return user
    return None


def authenticate_cached(authenticator: Authenticator, infobase: str, header: str | None) -> AuthenticatedUser | None:
    """The user of the header's first credentials if a recent check remembers them; None: run ``authenticate``."""
    cached = getattr(authenticator, "cached", None)
    if cached is None:
        return None
    candidates = basic_credentials(header)
    return cast(AuthenticatedUser | None, cached(infobase, *candidates[0])) if candidates else None
