"""Create and list infobases and their users."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.errors import AlreadyExistsError, ConfigError, NotFoundError
from kassa_server.models import Infobase, User

# A publication name is a URL path segment; 1C publications use letters, digits, '_' and '-' (Cyrillic allowed).
_BASE_NAME = re.compile(r"^[\w-]{1,100}$")


def create_infobase(
    session: Session,
    name: str,
    *,
    title: str = "",
    public_url: str | None = None,
    exchange_plans: Sequence[str] = (),
) -> Infobase:
    if not _BASE_NAME.match(name):
        raise ConfigError(f"infobase name {name!r}: use letters, digits, '_' or '-' (it becomes the URL /{name}/)")
    if session.scalar(select(Infobase).where(Infobase.name == name)) is not None:
        raise AlreadyExistsError(f"infobase {name!r} exists already")
    infobase = Infobase(name=name, title=title or name, public_url=normalize_public_url(public_url))
    if exchange_plans:
        infobase.exchange_plans = ",".join(exchange_plans)
    session.add(infobase)
    session.flush()
    return infobase


def normalize_public_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(f"public URL {url!r}: expected http(s)://host[:port]/<base>")
    return url


def get_infobase(session: Session, name: str) -> Infobase:
    infobase = session.scalar(select(Infobase).where(Infobase.name == name))
    if infobase is None:
        raise NotFoundError(f"no infobase named {name!r} (names are case-sensitive)")
    return infobase


def list_infobases(session: Session) -> list[Infobase]:
    return list(session.scalars(select(Infobase).order_by(Infobase.name)))


def add_user(
    session: Session, infobase: Infobase, login: str, password: str, *, full_name: str = "", cashier: bool = True
) -> User:
    if not login or ":" in login:
        raise ConfigError(f"login {login!r}: must be non-empty and contain no ':' (HTTP Basic)")
    exists = session.scalar(select(User).where(User.infobase_id == infobase.id, User.login == login))
    if exists is not None:
        raise AlreadyExistsError(f"user {login!r} exists already in infobase {infobase.name!r}")
    user = User(infobase_id=infobase.id, login=login, full_name=full_name or login, is_cashier=cashier)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user
