"""Fixtures: the state a test starts from, loaded into an infobase in one call; reset = empty it, load again.

A fixture is ``"empty"`` (an infobase with nothing in it), ``"demo"`` (the demo shop of ``admin/demo.py``), or a
``Fixture`` body (``admin/fixture_schema.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from kassa_server.admin.demo import seed_demo
from kassa_server.admin.infobases import create_infobase, get_infobase
from kassa_server.models import Base, FaultRule, Infobase, SoapCall
from kassa_server.models.infobases import reusing_password_hashes

BUILTIN_FIXTURES = ("empty", "demo")

_PASSWORD_HASHES: dict[bytes, str] = {}
"""Hashes of the passwords fixtures set, kept for the process's life so a reset costs no scrypt."""


@dataclass(frozen=True)
class InfobaseShape:
    """What survives a reset: the publication's name, title, address and the server's own node code."""

    name: str
    title: str
    public_url: str | None
    exchange_plans: str
    node_code: str


def create_from_fixture(
    session: Session, name: str, fixture: str = "empty", *, title: str = "", public_url: str | None = None
) -> Infobase:
    """A new infobase ``name`` holding ``fixture``."""
    if fixture == "demo":
        with reusing_password_hashes(_PASSWORD_HASHES):
            return seed_demo(session, name=name, public_url=public_url).infobase
    if fixture == "empty":
        return create_infobase(session, name, title=title, public_url=public_url)
    raise _unknown(fixture)


def delete_infobase(session: Session, name: str) -> None:
    """Delete an infobase with everything in it (the database cascades), its call journal and its fault rules."""
    infobase = get_infobase(session, name)
    # Children first, table by table: PostgreSQL checks a NO ACTION foreign key (order line → product) as each
    # cascade fires, so one DELETE of the infobase row can fail on rows that the same cascade would remove later.
    for table in reversed(Base.metadata.sorted_tables):
        if "infobase_id" in table.c:
            session.execute(table.delete().where(table.c.infobase_id == infobase.id))
            continue
        owned = [
            fk.parent.in_(select(fk.column).where(fk.column.table.c.infobase_id == infobase.id))
            for fk in table.foreign_keys
            if "infobase_id" in fk.column.table.c
        ]
        if owned:
            session.execute(table.delete().where(or_(*owned)))
    session.execute(delete(Infobase).where(Infobase.id == infobase.id))
    session.execute(delete(SoapCall).where(SoapCall.infobase == name))
    session.execute(delete(FaultRule).where(FaultRule.infobase == name))
    session.expunge_all()


def reset_infobase(session: Session, name: str, fixture: str = "empty") -> Infobase:
    """Put ``name`` back to ``fixture``: everything in it, its journal and fault rules go; its node code stays."""
    if fixture not in BUILTIN_FIXTURES:
        raise _unknown(fixture)
    infobase = get_infobase(session, name)
    shape = InfobaseShape(name, infobase.title, infobase.public_url, infobase.exchange_plans, infobase.node_code)
    delete_infobase(session, name)
    session.flush()
    fresh = create_from_fixture(session, name, fixture, title=shape.title, public_url=shape.public_url)
    fresh.title, fresh.exchange_plans, fresh.node_code = shape.title, shape.exchange_plans, shape.node_code
    session.flush()
    return fresh


def infobase_exists(session: Session, name: str) -> bool:
    return session.scalar(select(Infobase.id).where(Infobase.name == name)) is not None


def _unknown(fixture: str) -> Exception:
    from kassa_server.errors import ConfigError

    return ConfigError(f"fixture {fixture!r}: expected one of {', '.join(BUILTIN_FIXTURES)} or a fixture body")
