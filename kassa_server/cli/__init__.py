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
from typing import Any

from sqlalchemy.exc import OperationalError

from kassa_server import __version__
from kassa_server.errors import KassaError
from kassa_server.settings import DEFAULT_DATABASE_URL, Settings

log = logging.getLogger("kassa_server")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Modules of this package that add a command group: each has ``register(commands: argparse._SubParsersAction)``.
COMMAND_GROUPS: tuple[str, ...] = (
    "serve",
    "database",
    "infobases",
    "organizations",
    "demo",
    "goods",
    "retail",
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
    level = "debug" if args.verbose else (args.log_level or "info")
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if level != "debug":
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
    _global_options(parser, default=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in COMMAND_GROUPS:
        importlib.import_module(f"{__name__}.{module}").register(commands)
    _accept_global_options_anywhere(parser)
    return parser


def _global_options(parser: argparse.ArgumentParser, *, default: object, show: bool = True) -> None:
    """``--database-url``, ``--log-level`` and ``-v``. On the sub-commands their default is SUPPRESS, so a value given
    before the sub-command is kept unless the same option is given after it."""
    options: list[tuple[list[str], dict[str, Any]]] = [
        (
            ["--database-url"],
            {"help": f"SQLAlchemy URL (env KASSA_DATABASE_URL; default {DEFAULT_DATABASE_URL})"},
        ),
        (["--log-level"], {"choices": LOG_LEVELS, "help": "logging level (default info)"}),
        (["-v", "--verbose"], {"action": "store_true", "help": "debug logging (same as --log-level debug)"}),
    ]
    for flags, extra in options:
        if any(flag in parser._option_string_actions for flag in flags):
            continue  # a sub-command with its own option of that name (none today) keeps it
        if not show:
            extra = {**extra, "help": argparse.SUPPRESS}
        parser.add_argument(*flags, default=default, **extra)


def _accept_global_options_anywhere(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                _global_options(sub, default=argparse.SUPPRESS, show=False)
                _accept_global_options_anywhere(sub)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
