"""``kassa-server db upgrade|check``."""

from __future__ import annotations

import argparse

from kassa_server.cli._common import safe_url
from kassa_server.errors import ConfigError
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands", metavar="COMMAND")
    db.add_parser("upgrade", help="apply all migrations").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("check", help="fail if models and migrations differ").set_defaults(handler=cmd_db_check)


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.models.engine import upgrade

    upgrade(settings.database_url)
    print(f"database at head: {safe_url(settings.database_url)}")
    return 0


def cmd_db_check(settings: Settings, args: argparse.Namespace) -> int:
    from alembic.util.exc import CommandError

    from kassa_server.models.engine import check

    try:
        check(settings.database_url)
    except CommandError as exc:
        raise ConfigError(str(exc)) from exc
    print("models and migrations agree")
    return 0
