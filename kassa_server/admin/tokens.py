"""Bearer tokens of the control API: created here, shown once, stored as SHA-256 only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from kassa_server.errors import AlreadyExistsError, ConfigError, NotFoundError
from kassa_server.models import ApiToken, Infobase, User

TOKEN_PREFIX = "kst_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, name: str) -> tuple[ApiToken, str]:
    """A new token named ``name``; returns the row and the token text, which is never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ConfigError("token name: 1 to 100 characters")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise AlreadyExistsError(f"a token named {name!r} exists already")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(session: Session, name: str) -> None:
    row = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if row is None:
        raise NotFoundError(f"no token named {name!r}")
    session.delete(row)
    session.flush()


def any_tokens(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(ApiToken.id.is_not(None)))))


def check_token(session: Session, token: str) -> bool:
    """Whether ``token`` is a stored token (its last use is noted)."""
    digest = hash_token(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return False
    session.execute(
        update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    )
    return True


def check_administrator(session: Session, infobase: str, login: str, password: str) -> bool:
    """Whether ``login``/``password`` are those of an enabled administrator of ``infobase``."""
    user = session.scalar(
        select(User)
        .join(Infobase, User.infobase_id == Infobase.id)
        .where(Infobase.name == infobase, User.login == login)
    )
    return user is not None and user.is_administrator and not user.disabled and user.check_password(password)
