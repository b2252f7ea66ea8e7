"""What the command groups share: one transaction per command, the local URL of a base, passwords from a prompt."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Iterator

from sqlalchemy.orm import Session

from kassa_server.settings import Settings

SERVICE_NAMES = ("Exchange_2_0_1_6", "EnterpriseDataExchange_1_0_1_1", "InterfaceVersion")


@contextlib.contextmanager
def session_for(settings: Settings, *, migrate: bool = True) -> Iterator[Session]:
    """A session in one transaction (``admin.transaction``): committed when the command succeeds, rolled back on
    any error. The database is upgraded first unless ``migrate`` is false."""
    from kassa_server.admin.transaction import transaction
    from kassa_server.models.engine import make_engine, make_sessionmaker, upgrade

    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def read_password(login: str, given: str | None) -> str:
    """The password given on the command line, else one line of stdin when it is not a terminal, else a prompt."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass(f"Password for {login}: ")


def local_url(settings: Settings, base: str) -> str:
    """Where this server answers for ``base`` on this machine (a wildcard listen address shown as loopback)."""
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    return f"http://{host}:{settings.port}/{base}"


def public_url(settings: Settings, base: str, given: str | None = None) -> str | None:
    """The «Адрес в интернете» to store for ``base``: the one given, else the ``KASSA_PUBLIC_URL`` template, else this
    server's own address; None when the server listens on all interfaces, whose loopback devices cannot reach."""
    if given:
        return given
    templated = settings.public_url_for(base)
    if templated is not None:
        return templated
    if settings.listens_everywhere:
        return None
    return local_url(settings, base)


PUBLIC_URL_HINT = (
    "no public URL («Адрес в интернете») for QR codes: this server listens on all interfaces, so set the address "
    "devices reach with KASSA_PUBLIC_URL=https://HOST/{base} (serve --public-url) or "
    "`kassa-server infobase set NAME --public-url https://HOST/NAME`"
)


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"
