"""Signing in to the back office: an administrator of the infobase with their password (the same users and scrypt
passwords as the web services). What a browser session keeps is a small token that stops working when the user is
disabled, loses the administrator role, or gets a new password."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.errors import KassaError
from kassa_server.models import Infobase, User
from kassa_server.models.infobases import hash_password, verify_password

_DUMMY_HASH = hash_password("not a password")
"""Verified against when the login is unknown, so an unknown login takes as long as a wrong password."""


class SignInRefused(KassaError):
    """The login, the password or the user's role does not allow signing in."""


def may_use_back_office(user: User) -> bool:
    return user.is_administrator and not user.disabled


def sign_in(session: Session, infobase: Infobase, login: str, password: str) -> tuple[User, dict[str, Any]]:
    """The user and the token to keep in their session; ``SignInRefused`` when they may not sign in."""
    user = session.scalar(select(User).where(User.infobase_id == infobase.id, User.login == login))
    if user is None or user.login != login:
        verify_password(password, _DUMMY_HASH)
        raise SignInRefused("wrong login or password")
    if not user.check_password(password):
        raise SignInRefused("wrong login or password")
    if not may_use_back_office(user):
        raise SignInRefused("only an administrator may use the back office")
    return user, {"id": user.id, "infobase": infobase.id, "key": _key(user)}


def session_user(session: Session, infobase: Infobase, token: object) -> User | None:
    """The user a session token stands for, if it still may use the back office of this infobase."""
    if not isinstance(token, dict) or token.get("infobase") != infobase.id or not isinstance(token.get("id"), int):
        return None
    user = session.get(User, token["id"])
    if user is None or user.infobase_id != infobase.id or token.get("key") != _key(user):
        return None
    return user if may_use_back_office(user) else None


def _key(user: User) -> str:
    return hashlib.sha256(f"{user.id}:{user.password_hash}".encode()).hexdigest()[:32]
