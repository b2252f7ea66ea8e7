"""The migrations build the schema the models describe, on SQLite and PostgreSQL, both ways."""

from __future__ import annotations

from sqlalchemy import inspect

from kassa_server.models import Base
from kassa_server.models.engine import check, downgrade, make_engine, upgrade


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_to_head_creates_every_table_and_downgrade_removes_them(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    assert _tables(empty_db_url) == set(Base.metadata.tables)
    downgrade(empty_db_url, "base")
    assert _tables(empty_db_url) == set()
    upgrade(empty_db_url)
    assert _tables(empty_db_url) == set(Base.metadata.tables)


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    # alembic check: an autogenerate comparison of the migrated database with the models finds nothing
    check(db_url)
