"""Infobases (published databases) and their users: create, change, list, disable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.models import Infobase, User
from kassa_server.models.enums import UserRole

# A publication name is a URL path segment; 1C publications use letters, digits, '_' and '-' (Cyrillic allowed).
_BASE_NAME = re.compile(r"^[\w-]{1,100}$")

RESERVED_NAMES = frozenset({"api", "static", "assets", "login", "logout", "admin", "health"})
"""Path segments the faces mount at the server's root (the control API, the back office's pages and files), so no
infobase may be published under them; compared without regard to letter case."""


def create_infobase(
    session: Session,
    name: str,
    *,
    title: str = "",
    public_url: str | None = None,
    exchange_plans: Sequence[str] = (),
    defaults: bool = True,
) -> Infobase:
    """A new infobase, with (``defaults``) what a shop needs before its first device: one organization, one store and
    one retail price type, named so the user recognises and renames them."""
    check_infobase_name(name)
    for other in session.scalars(select(Infobase.name)):
        if other == name:
            raise AlreadyExistsError(f"infobase {name!r} exists already")
        if other.casefold() == name.casefold():
            raise AlreadyExistsError(
                f"infobase {other!r} exists already: names that differ only in letter case cannot be told apart "
                "in the app's settings"
            )
    infobase = Infobase(name=name, title=title or name, public_url=normalize_public_url(public_url, name))
    if exchange_plans:
        infobase.exchange_plans = ",".join(exchange_plans)
    session.add(infobase)
    session.flush()
    if defaults:
        from kassa_server.admin.catalog import create_price_type
        from kassa_server.admin.organizations import (
            DEFAULT_ORGANIZATION,
            DEFAULT_STORE,
            OrganizationInput,
            StoreInput,
            create_organization,
            create_store,
        )

        organization = create_organization(session, infobase, OrganizationInput(name=DEFAULT_ORGANIZATION))
        create_store(session, infobase, StoreInput(name=DEFAULT_STORE, organization=organization.name))
        create_price_type(session, infobase, "Розничная")
    return infobase


def set_infobase(
    session: Session,
    name: str,
    *,
    title: str | None = None,
    public_url: str | None = None,
    exchange_plans: Sequence[str] | None = None,
) -> Infobase:
    """Change an infobase after creation; an empty ``public_url`` clears it."""
    infobase = get_infobase(session, name)
    if title is not None:
        infobase.title = title or infobase.name
    if public_url is not None:
        infobase.public_url = normalize_public_url(public_url, infobase.name)
    if exchange_plans is not None:
        if not exchange_plans:
            raise ValidationError("exchange_plans", "give at least one exchange plan name, or *")
        infobase.exchange_plans = ",".join(exchange_plans)
    session.flush()
    return infobase


def set_sync_enabled(session: Session, infobase: Infobase, enabled: bool) -> Infobase:
    """«Синхронизация данных» (Администрирование): off, the web services refuse to exchange with the fault 1C sends
    («Синхронизация данных запрещена администратором.») and ``GetFunctionalOption`` answers false; what was recorded
    for the devices stays and goes to them once it is on again. The SOAP endpoint sees the change within its
    directory's cache time (2 s)."""
    infobase.sync_enabled = bool(enabled)
    session.flush()
    return infobase


def check_infobase_name(name: str) -> None:
    if not _BASE_NAME.match(name):
        raise ValidationError(
            "name", f"infobase name {name!r}: use letters, digits, '_' or '-' (it becomes the URL /{name}/)"
        )
    if name.lower() in RESERVED_NAMES:
        raise ValidationError(
            "name",
            f"infobase name {name!r} is reserved: the server serves its own pages at /{name}/ "
            f"(reserved: {', '.join(sorted(RESERVED_NAMES))})",
        )


def normalize_public_url(url: str | None, base: str | None = None) -> str | None:
    """«Адрес в интернете» without a trailing '/'; its path must end with the infobase's name ``base``, since the app
    takes the base name from the URL's last segment and would call another base."""
    if not url:
        return None
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValidationError("public_url", f"public URL {url!r}: expected http(s)://host[:port]/<base>")
    if base is not None:
        last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        if last != base:
            raise ValidationError(
                "public_url",
                f"public URL {url!r} must end with the infobase's name /{base} (the app takes the base name from "
                f"the URL's last segment{f' and would call {last!r}' if last else ''}), e.g. https://host/{base}",
            )
    return url


def get_infobase(session: Session, name: str) -> Infobase:
    infobase = session.scalar(select(Infobase).where(Infobase.name == name))
    if infobase is None or infobase.name != name:
        raise NotFoundError(f"no infobase named {name!r} (names are case-sensitive)")
    return infobase


def list_infobases(session: Session) -> list[Infobase]:
    return list(session.scalars(select(Infobase).order_by(Infobase.name)))


# --- users ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInput:
    login: str
    password: str
    full_name: str = ""
    role: UserRole = UserRole.CASHIER


def add_user(
    session: Session,
    infobase: Infobase,
    login: str,
    password: str,
    *,
    full_name: str = "",
    role: UserRole = UserRole.CASHIER,
) -> User:
    """A user who logs in with HTTP Basic (a cashier) or also into the back office and the API (an administrator)."""
    if not login or ":" in login:
        raise ValidationError("login", f"login {login!r}: must be non-empty and contain no ':' (HTTP Basic)")
    if len(login) > 100:
        raise ValidationError("login", f"login {login[:20]!r}…: longer than 100 characters")
    _check_password(password)
    exists = session.scalar(select(User).where(User.infobase_id == infobase.id, User.login == login))
    if exists is not None:
        raise AlreadyExistsError(f"user {login!r} exists already in infobase {infobase.name!r}")
    user = User(infobase_id=infobase.id, login=login, full_name=full_name or login, role=role)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def create_user(session: Session, infobase: Infobase, data: UserInput) -> User:
    return add_user(session, infobase, data.login, data.password, full_name=data.full_name, role=data.role)


def get_user(session: Session, infobase: Infobase, login: str) -> User:
    user = session.scalar(select(User).where(User.infobase_id == infobase.id, User.login == login))
    if user is None or user.login != login:
        raise NotFoundError(f"no user {login!r} in infobase {infobase.name!r}")
    return user


def list_users(session: Session, infobase: Infobase) -> list[User]:
    return list(session.scalars(select(User).where(User.infobase_id == infobase.id).order_by(User.id)))


def set_password(session: Session, infobase: Infobase, login: str, password: str) -> User:
    _check_password(password)
    user = get_user(session, infobase, login)
    user.set_password(password)
    session.flush()
    return user


def set_user_disabled(session: Session, infobase: Infobase, login: str, disabled: bool = True) -> User:
    """Disable (or enable again) a user: a disabled user fails HTTP Basic authentication everywhere."""
    user = get_user(session, infobase, login)
    user.disabled = disabled
    session.flush()
    return user


def set_user_role(session: Session, infobase: Infobase, login: str, role: UserRole) -> User:
    """Make a user an administrator (the back office and the API) or a cashier (the web services only)."""
    user = get_user(session, infobase, login)
    user.role = role
    session.flush()
    return user


def _check_password(password: str) -> None:
    if not password:
        raise ValidationError("password", "the password is empty")
