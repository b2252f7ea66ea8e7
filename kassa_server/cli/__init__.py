"""The ``kassa-server`` command line. User mistakes print one line and exit 1; usage errors exit 2.

Command groups live in modules of this package, each with ``register(commands)`` adding its sub-parsers; they are
listed in ``COMMAND_GROUPS`` and imported when the parser is built.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from kassa_server import __version__
from kassa_server.errors import CatalogImportError, ConfigError, KassaError
from kassa_server.settings import DEFAULT_DATABASE_URL, Settings

log = logging.getLogger("kassa_server")

SERVICE_NAMES = ("Exchange_2_0_1_6", "EnterpriseDataExchange_1_0_1_1", "InterfaceVersion")

# Modules of this package that add a command group: each has ``register(commands: argparse._SubParsersAction)``.
COMMAND_GROUPS: tuple[str, ...] = ("ed",)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env(os.environ, database_url=args.database_url)
        return int(args.handler(settings, args) or 0)
    except KassaError as exc:
        print(f"kassa-server: error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"kassa-server: error: database unavailable: {exc.orig}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `kassa-server goods export - | head`
        return 0
    except Exception as exc:  # the outermost catch-all: a bug, reported in one line (traceback with -v)
        log.debug("unexpected error", exc_info=True)
        print(
            f"kassa-server: internal error: {type(exc).__name__}: {exc} (run with -v for the traceback)",
            file=sys.stderr,
        )
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kassa-server", description="A stand-in for the 1С:Касса back office.")
    parser.add_argument("--version", action="version", version=f"kassa-server {__version__}")
    parser.add_argument(
        "--database-url",
        default=None,
        help=f"SQLAlchemy URL (env KASSA_DATABASE_URL; default {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_GROUPS:
        importlib.import_module(f"{__name__}.{module}").register(commands)

    serve = commands.add_parser("serve", help="upgrade the database and serve the SOAP endpoints")
    serve.add_argument("--host", default=None, help="listen address (env KASSA_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="listen port (env KASSA_PORT; default 8080)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (env KASSA_WORKERS; default 1)")
    serve.add_argument("--demo", action="store_true", help="seed the demo shop first if the database has none")
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands", metavar="COMMAND")
    db.add_parser("upgrade", help="apply all migrations").set_defaults(handler=cmd_db_upgrade)
    db.add_parser("check", help="fail if models and migrations differ").set_defaults(handler=cmd_db_check)

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

    user = commands.add_parser("user", help="infobase users").add_subparsers(metavar="COMMAND")
    add = user.add_parser("add", help="add a user (HTTP Basic login for the SOAP services)")
    add.add_argument("--infobase", required=True)
    add.add_argument("login")
    add.add_argument("--password", default=None, help="prompted for when omitted")
    add.add_argument("--full-name", default="")
    add.set_defaults(handler=cmd_user_add)

    demo = commands.add_parser("demo", help="seed the demo shop")
    demo.add_argument("--infobase", default=None, help="name of the demo infobase (default kassa)")
    demo.add_argument(
        "--public-url", default=None, help="«Адрес в интернете» for the QR code (default http://HOST:PORT/<name>)"
    )
    demo.set_defaults(handler=cmd_demo)

    goods = commands.add_parser("goods", help="goods catalogue CSV").add_subparsers(metavar="COMMAND")
    for name, handler, help_text in (
        ("import", cmd_goods_import, "create or update goods from a CSV file (all or nothing)"),
        ("export", cmd_goods_export, "write the goods to a CSV file ('-' for stdout)"),
    ):
        sub = goods.add_parser(name, help=help_text)
        sub.add_argument("--infobase", required=True)
        sub.add_argument("file")
        sub.set_defaults(handler=handler)

    _add_device_commands(commands)
    _add_report_commands(commands)
    _add_simulate_command(commands)
    return parser


def _add_device_commands(commands: argparse._SubParsersAction) -> None:
    device = commands.add_parser("device", help="1С:Мобильная касса devices").add_subparsers(metavar="COMMAND")
    add = device.add_parser("add", help="register a «1С:Мобильная касса» cash register and its exchange node")
    add.add_argument("--infobase", required=True)
    add.add_argument("--factory-number", required=True, help="the app's «Идентификатор приложения»")
    add.add_argument("--name", default=None)
    add.add_argument("--organization", default=None, help="organization name (default: the first one)")
    add.add_argument("--store", default=None, help="store name (default: the organization's first one)")
    add.set_defaults(handler=cmd_device_add)
    listing = device.add_parser("list", help="list devices and their exchange state")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_device_list)
    qr = device.add_parser("qr", help="print the connection QR string and manual parameters")
    qr.add_argument("--infobase", required=True)
    qr.add_argument("factory_number")
    qr.add_argument("--login", default=None, help="user the device logs in as (default: the first cashier)")
    qr.add_argument("--png", default=None, help="write the QR code as PNG")
    qr.add_argument("--svg", default=None, help="write the QR code as SVG")
    qr.set_defaults(handler=cmd_device_qr)


def _add_report_commands(commands: argparse._SubParsersAction) -> None:
    journal = commands.add_parser("journal", help="the SOAP calls clients made (oldest first)")
    journal.add_argument("--infobase", required=True)
    journal.add_argument("--limit", type=int, default=100, help="the last N calls (default 100)")
    journal.add_argument("--bodies", action="store_true", help="include request and response bodies")
    journal.add_argument("--json", action="store_true", help="JSON for scripts and CI assertions")
    journal.set_defaults(handler=cmd_journal)
    receipts = commands.add_parser("receipts", help="the receipts devices sent")
    receipts.add_argument("--infobase", required=True)
    receipts.add_argument("--device", default=None, help="only this factory number")
    receipts.add_argument("--json", action="store_true", help="JSON for scripts and CI assertions")
    receipts.set_defaults(handler=cmd_receipts)


def _add_simulate_command(commands: argparse._SubParsersAction) -> None:
    simulate = commands.add_parser("simulate", help="simulate 1С:Мобильная касса devices against any server")
    try:
        from kassa_server.simulator.cli import add_arguments
    except ImportError:  # pragma: no cover - the simulator is part of the package
        return
    add_arguments(simulate)
    simulate.set_defaults(handler=cmd_simulate)


# --- handlers -------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _session(settings: Settings, *, migrate: bool = True) -> Iterator[Session]:
    """A session in one transaction: committed when the command succeeds, rolled back on any error."""
    from kassa_server.models.engine import database_errors, make_engine, make_sessionmaker, upgrade

    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with database_errors(), make_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.models.engine import upgrade

    upgrade(settings.database_url)
    print(f"database at head: {_safe_url(settings.database_url)}")
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


def cmd_infobase_create(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.infobases import create_infobase

    plans = [p.strip() for p in args.exchange_plans.split(",") if p.strip()]
    with _session(settings) as session:
        infobase = create_infobase(
            session, args.name, title=args.title, public_url=args.public_url, exchange_plans=plans
        )
        print(f"created infobase {infobase.name!r}: /{infobase.name}/ws/<Service>")
    return 0


def cmd_infobase_list(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.infobases import list_infobases

    with _session(settings) as session:
        for infobase in list_infobases(session):
            print(f"{infobase.name}\t{infobase.title}\t{infobase.public_url or '-'}\t{infobase.exchange_plans}")
    return 0


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.infobases import add_user, get_infobase

    password = args.password
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass(f"Password for {args.login}: ")
    if not password:
        raise ConfigError("the password is empty")
    with _session(settings) as session:
        infobase = get_infobase(session, args.infobase)
        add_user(session, infobase, args.login, password, full_name=args.full_name)
        print(f"added user {args.login!r} to infobase {infobase.name!r}")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.demo import DEMO_INFOBASE, seed_demo

    with _session(settings) as session:
        name = args.infobase or DEMO_INFOBASE
        public_url = args.public_url or _local_url(settings, name)
        summary = seed_demo(session, name=name, public_url=public_url)
        _print_demo(settings, summary)
    return 0


def _print_demo(settings: Settings, summary: object) -> None:
    from kassa_server.admin.demo import DemoSummary

    assert isinstance(summary, DemoSummary)
    base = summary.infobase.name
    root = _local_url(settings, base)
    print(f"demo infobase {base!r}: {summary.goods} goods, {summary.orders} orders")
    print(f"cash register «{summary.register.name}», factory number {summary.register.factory_number}")
    print(f"log in as {summary.login!r} with password {summary.password!r}")
    if summary.infobase.public_url:
        from kassa_server.exchange.qr import qr_string

        qr = qr_string(summary.infobase.public_url, summary.register.factory_number, summary.login)
        print(f"connection QR string: {qr}")
    for service in SERVICE_NAMES:
        print(f"  {root}/ws/{service}?wsdl")


def cmd_goods_import(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.goods_csv import import_goods
    from kassa_server.admin.infobases import get_infobase

    path = Path(args.file)
    try:
        source = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    with source, _session(settings) as session:
        try:
            summary = import_goods(session, get_infobase(session, args.infobase), source)
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); nothing imported") from exc
        except CatalogImportError as exc:
            raise CatalogImportError(exc.line, f"{exc.reason} ({path}; nothing imported)") from exc
        print(f"imported {path}: {summary.created} created, {summary.updated} updated")
    return 0


def cmd_goods_export(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.goods_csv import export_goods
    from kassa_server.admin.infobases import get_infobase

    with _session(settings) as session:
        infobase = get_infobase(session, args.infobase)
        if args.file == "-":
            count = export_goods(session, infobase, sys.stdout)
        else:
            with Path(args.file).open("w", encoding="utf-8", newline="") as out:
                count = export_goods(session, infobase, out)
        print(f"exported {count} goods", file=sys.stderr)
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    settings = settings.replace(
        **{k: v for k, v in {"host": args.host, "port": args.port, "workers": args.workers}.items() if v is not None}
    )
    from kassa_server.models.engine import upgrade

    upgrade(settings.database_url)
    if args.demo:
        from kassa_server.admin.demo import demo_exists, seed_demo

        with _session(settings, migrate=False) as session:
            if not demo_exists(session):
                summary = seed_demo(session, public_url=_local_url(settings, "kassa"))
                _print_demo(settings, summary)
            else:
                print("demo infobase present; not seeding again")
    from kassa_server.allocator import limit_heap_retention
    from kassa_server.app import create_app

    log.info("serving on http://%s:%s (database %s)", settings.host, settings.port, _safe_url(settings.database_url))
    if settings.workers > 1:
        # Worker processes build their own app from the environment (uvicorn's factory mode).
        os.environ["KASSA_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "kassa_server.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            timeout_keep_alive=settings.limits.keep_alive_seconds,
            log_level="info",
        )
    else:
        limit_heap_retention()
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            timeout_keep_alive=settings.limits.keep_alive_seconds,
            log_level="info",
        )
    return 0


def _admin_handler(module: str, name: str) -> Callable[[Settings, argparse.Namespace], int]:
    """A handler that runs ``kassa_server.admin.<module>.<name>(session, settings, args)`` in one transaction."""

    def handler(settings: Settings, args: argparse.Namespace) -> int:
        with _session(settings) as session:
            return int(getattr(importlib.import_module(f"kassa_server.admin.{module}"), name)(session, settings, args))

    return handler


cmd_journal = _admin_handler("reports", "cli_journal")
cmd_receipts = _admin_handler("reports", "cli_receipts")
cmd_device_add = _admin_handler("devices", "cli_add")
cmd_device_list = _admin_handler("devices", "cli_list")
cmd_device_qr = _admin_handler("devices", "cli_qr")


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.simulator.cli import run

    return run(args)


def _local_url(settings: Settings, base: str) -> str:
    """Where this server answers for ``base`` on this machine (a wildcard listen address shown as loopback)."""
    host = "127.0.0.1" if settings.host in {"0.0.0.0", "::", ""} else settings.host
    return f"http://{host}:{settings.port}/{base}"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable URL>"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
