"""The ``kassa-server`` command line. User mistakes print one line and exit 1; usage errors exit 2.

Command groups live in modules of this package, each with ``register(commands)`` adding its sub-parsers; they are
listed in ``COMMAND_GROUPS`` and imported when the parser is built. A command parses its arguments, calls the use
cases of ``kassa_server.admin`` in one transaction (``_common.session_for``) and prints; the rules live in admin.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from kassa_server import __version__
from kassa_server.errors import KassaError
from kassa_server.settings import DEFAULT_DATABASE_URL, Settings

log = logging.getLogger("kassa_server")

# Modules of this package that add a command group: each has ``register(commands: argparse._SubParsersAction)``.
COMMAND_GROUPS: tuple[str, ...] = (
    "serve",
    "database",
    "infobases",
    "organizations",
    "demo",
    "goods",
    "devices",
    "reports",
    "simulate",
    "ed",
    "fault",
    "token",
    "record",
)


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
    return parser


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
