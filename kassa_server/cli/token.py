"""``kassa-server token create|list|revoke``: bearer tokens of the control API (``/api/v1``)."""

from __future__ import annotations

import argparse

from kassa_server.cli._common import session_for
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    token = commands.add_parser("token", help="bearer tokens of the control API").add_subparsers(metavar="COMMAND")
    create = token.add_parser("create", help="create a token and print it (it is shown only this once)")
    create.add_argument("--name", default="default", help="a name to list and revoke it by (default: default)")
    create.set_defaults(handler=cmd_create)
    token.add_parser("list", help="list tokens (names, never the tokens)").set_defaults(handler=cmd_list)
    revoke = token.add_parser("revoke", help="delete a token")
    revoke.add_argument("name")
    revoke.set_defaults(handler=cmd_revoke)


def cmd_create(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.tokens import create_token

    with session_for(settings) as session:
        _, token = create_token(session, args.name)
    print(token)
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.tokens import list_tokens

    with session_for(settings) as session:
        for row in list_tokens(session):
            print(f"{row.name}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.last_used_at or '-'}")
    return 0


def cmd_revoke(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.tokens import revoke_token

    with session_for(settings) as session:
        revoke_token(session, args.name)
    print(f"revoked token {args.name!r}")
    return 0
