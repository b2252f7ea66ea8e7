"""``kassa-server goods import|export``: the goods catalogue as CSV."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from kassa_server.admin.goods_csv import decode_csv, export_goods, import_goods
from kassa_server.admin.infobases import get_infobase
from kassa_server.cli._common import session_for
from kassa_server.errors import CatalogImportError, ConfigError
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    goods = commands.add_parser("goods", help="goods catalogue CSV").add_subparsers(metavar="COMMAND")
    for name, handler, help_text, file_help in (
        (
            "import",
            cmd_goods_import,
            "create or update goods from a CSV file (all or nothing)",
            "CSV file ('-' for stdin): UTF-8 or Windows-1251, ',' or ';' separated",
        ),
        ("export", cmd_goods_export, "write the goods to a CSV file ('-' for stdout)", "CSV file ('-' for stdout)"),
    ):
        sub = goods.add_parser(name, help=help_text)
        sub.add_argument("--infobase", required=True)
        sub.add_argument("file", help=file_help)
        sub.set_defaults(handler=handler)


def cmd_goods_import(settings: Settings, args: argparse.Namespace) -> int:
    name = "stdin" if args.file == "-" else args.file
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{args.file}: {exc.strerror}") from exc
    text = decode_csv(data)

    def progress(rows: int) -> None:
        print(f"… {rows} rows", file=sys.stderr, flush=True)

    with session_for(settings) as session:
        try:
            summary = import_goods(session, get_infobase(session, args.infobase), io.StringIO(text), progress=progress)
        except CatalogImportError as exc:
            raise CatalogImportError(exc.line, f"{exc.reason} ({name}; nothing imported)") from exc
        print(f"imported {name}: {summary.created} created, {summary.updated} updated")
    return 0


def cmd_goods_export(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        if args.file == "-":
            count = export_goods(session, infobase, sys.stdout)
        else:
            buffer = io.StringIO()
            count = export_goods(session, infobase, buffer)
            try:
                Path(args.file).write_text(buffer.getvalue(), encoding="utf-8", newline="")
            except OSError as exc:
                raise ConfigError(f"{args.file}: {exc.strerror}") from exc
        print(f"exported {count} goods", file=sys.stderr)
    return 0
