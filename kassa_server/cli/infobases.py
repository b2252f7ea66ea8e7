"""``kassa-server infobase create|list`` and ``kassa-server user add``."""

from __future__ import annotations

import argparse

from kassa_server.admin import infobases
from kassa_server.cli._common import read_password, session_for
from kassa_server.models.enums import UserRole
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    infobase = commands.add_parser("infobase", help="published databases").add_subparsers(metavar="COMMAND")
    create = infobase.add_parser("create", help="create an infobase")
    create.add_argument("name", help="base name, case-sensitive: the URL becomes /<name>/ws/...")
    create.add_argument("--title", default="")
    create.add_argument(
        "--public-url", default=None, help="«Адрес в интернете», e.g. https://host/<name> (for QR codes)"
    )
    create.add_argument("--exchange-plans", default="", help="comma-separated allowed exchange plan names, or *")
    create.set_defaults(handler=cmd_infobase_create)
    infobase.add_parser("list", help="list infobases").set_defaults(handler=cmd_infobase_list)
    change = infobase.add_parser("set", help="change an infobase")
    change.add_argument("name")
    change.add_argument("--title", default=None)
    change.add_argument(
        "--public-url", default=None, help="«Адрес в интернете», e.g. https://host/<name>; '' clears it"
    )
    change.add_argument("--exchange-plans", default=None, help="comma-separated allowed exchange plan names, or *")
    change.add_argument(
        "--sync",
        choices=("on", "off"),
        default=None,
        help="«Синхронизация данных»: off, the web services refuse to exchange (as 1C does)",
    )
    change.set_defaults(handler=cmd_infobase_set)

    user = commands.add_parser("user", help="infobase users").add_subparsers(metavar="COMMAND")
    add = user.add_parser("add", help="add a user (HTTP Basic login for the SOAP services)")
    add.add_argument("--infobase", required=True)
    add.add_argument("login")
    add.add_argument("--password", default=None, help="prompted for when omitted")
    add.add_argument("--full-name", default="")
    add.add_argument(
        "--admin", action="store_true", help="an administrator (back office and control API), not a cashier"
    )
    add.set_defaults(handler=cmd_user_add)
    listing = user.add_parser("list", help="list the users of an infobase")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_user_list)
    passwd = user.add_parser("passwd", help="set a user's password")
    passwd.add_argument("--infobase", required=True)
    passwd.add_argument("login")
    passwd.add_argument("--password", default=None, help="prompted for when omitted")
    passwd.set_defaults(handler=cmd_user_passwd)
    disable = user.add_parser("disable", help="disable a user: HTTP Basic logins fail from then on")
    disable.add_argument("--infobase", required=True)
    disable.add_argument("login")
    disable.add_argument("--enable", action="store_true", help="enable the user again instead")
    disable.set_defaults(handler=cmd_user_disable)


def cmd_infobase_create(settings: Settings, args: argparse.Namespace) -> int:
    plans = [p.strip() for p in args.exchange_plans.split(",") if p.strip()]
    with session_for(settings) as session:
        infobase = infobases.create_infobase(
            session, args.name, title=args.title, public_url=args.public_url, exchange_plans=plans
        )
        print(f"created infobase {infobase.name!r}: /{infobase.name}/ws/<Service>")
    return 0


def cmd_infobase_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        for infobase in infobases.list_infobases(session):
            sync = "sync on" if infobase.sync_enabled else "sync off"
            print(f"{infobase.name}\t{infobase.title}\t{infobase.public_url or '-'}\t{infobase.exchange_plans}\t{sync}")
    return 0


def cmd_infobase_set(settings: Settings, args: argparse.Namespace) -> int:
    plans = None
    if args.exchange_plans is not None:
        plans = [p.strip() for p in args.exchange_plans.split(",") if p.strip()]
    with session_for(settings) as session:
        infobase = infobases.set_infobase(
            session, args.name, title=args.title, public_url=args.public_url, exchange_plans=plans
        )
        if args.sync is not None:
            infobases.set_sync_enabled(session, infobase, args.sync == "on")
        print(
            f"changed infobase {infobase.name!r}: public URL {infobase.public_url or '-'}, title {infobase.title!r}, "
            f"data synchronization {'on' if infobase.sync_enabled else 'off'}"
        )
    return 0


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    password = read_password(args.login, args.password)
    role = UserRole.ADMINISTRATOR if args.admin else UserRole.CASHIER
    with session_for(settings) as session:
        infobase = infobases.get_infobase(session, args.infobase)
        infobases.add_user(session, infobase, args.login, password, full_name=args.full_name, role=role)
        print(f"added user {args.login!r} to infobase {infobase.name!r}")
    return 0


def cmd_user_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("login\tfull_name\trole\tstate")
        for user in infobases.list_users(session, infobases.get_infobase(session, args.infobase)):
            state = "disabled" if user.disabled else "active"
            print(f"{user.login}\t{user.full_name}\t{user.role.value}\t{state}")
    return 0


def cmd_user_passwd(settings: Settings, args: argparse.Namespace) -> int:
    password = read_password(args.login, args.password)
    with session_for(settings) as session:
        infobase = infobases.get_infobase(session, args.infobase)
        infobases.set_password(session, infobase, args.login, password)
        print(f"changed the password of {args.login!r} in infobase {infobase.name!r}")
    return 0


def cmd_user_disable(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = infobases.get_infobase(session, args.infobase)
        infobases.set_user_disabled(session, infobase, args.login, not args.enable)
        print(f"{'enabled' if args.enable else 'disabled'} user {args.login!r} in infobase {infobase.name!r}")
    return 0
