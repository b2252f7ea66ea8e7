"""``kassa-server terminal add|list|delete``, ``card import|export|list``, ``stock import|export|set``, ``kind
add|list`` and ``characteristic add|list``: what a trading point needs besides the goods (issue 17)."""

from __future__ import annotations

import argparse
import io
import sys
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from kassa_server.admin import cards, stock, terminals, variants
from kassa_server.admin.goods_csv import decode_csv
from kassa_server.admin.infobases import get_infobase
from kassa_server.admin.text_values import parse_date
from kassa_server.cli._common import session_for
from kassa_server.errors import CatalogImportError, ConfigError, ValidationError
from kassa_server.models.enums import ProductKind
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    terminal = commands.add_parser("terminal", help="acquiring terminals of the stores").add_subparsers(
        metavar="COMMAND"
    )
    add = terminal.add_parser("add", help="add a terminal to a store")
    add.add_argument("--infobase", required=True)
    add.add_argument("number", help="the terminal's number (TID)")
    add.add_argument("--name", default=None)
    add.add_argument("--store", default=None, help="store name (default: the first one)")
    add.add_argument("--organization", default=None, help="organization name (default: the store's)")
    add.add_argument("--acquirer", default=None, help="the acquiring bank's name")
    add.add_argument("--contract", default=None, help="the contract number with the acquirer")
    add.add_argument("--contract-date", default=None, help="YYYY-MM-DD")
    add.set_defaults(handler=cmd_terminal_add)
    listing = terminal.add_parser("list", help="list terminals")
    listing.add_argument("--infobase", required=True)
    listing.add_argument("--store", default=None)
    listing.set_defaults(handler=cmd_terminal_list)
    delete = terminal.add_parser("delete", help="remove a terminal (the devices get its deletion)")
    delete.add_argument("--infobase", required=True)
    delete.add_argument("number")
    delete.set_defaults(handler=cmd_terminal_delete)

    card = commands.add_parser("card", help="discount cards").add_subparsers(metavar="COMMAND")
    for name, handler, help_text in (
        ("import", cmd_card_import, "add or change cards from CSV (columns: " + ",".join(cards.COLUMNS) + ")"),
        ("export", cmd_card_export, "write the cards as CSV ('-' for stdout)"),
    ):
        sub = card.add_parser(name, help=help_text)
        sub.add_argument("--infobase", required=True)
        sub.add_argument("file", help="CSV file ('-' for stdin/stdout)")
        sub.set_defaults(handler=handler)
    listing = card.add_parser("list", help="list discount cards")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_card_list)

    stock_group = commands.add_parser("stock", help="stock on hand per store").add_subparsers(metavar="COMMAND")
    for name, handler, help_text in (
        ("import", cmd_stock_import, "set quantities from CSV (columns: " + ",".join(stock.COLUMNS) + ")"),
        ("export", cmd_stock_export, "write a store's stock as CSV ('-' for stdout)"),
    ):
        sub = stock_group.add_parser(name, help=help_text)
        sub.add_argument("--infobase", required=True)
        sub.add_argument("--store", default=None, help="store name (default: the first one)")
        sub.add_argument("file", help="CSV file ('-' for stdin/stdout)")
        sub.set_defaults(handler=handler)
    change = stock_group.add_parser("set", help="set the quantity of one product (or characteristic)")
    change.add_argument("--infobase", required=True)
    change.add_argument("--store", default=None)
    change.add_argument("product", help="the product's ref (UUID)")
    change.add_argument("quantity")
    change.add_argument("--characteristic", default=None)
    change.set_defaults(handler=cmd_stock_set)

    kind = commands.add_parser("kind", help="product kinds").add_subparsers(metavar="COMMAND")
    add = kind.add_parser("add", help="add a product kind")
    add.add_argument("--infobase", required=True)
    add.add_argument("name")
    add.add_argument("--service", action="store_true", help="a kind of services")
    add.set_defaults(handler=cmd_kind_add)
    listing = kind.add_parser("list", help="list product kinds")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_kind_list)

    characteristic = commands.add_parser("characteristic", help="product characteristics (sizes, colours)")
    sub_characteristic = characteristic.add_subparsers(metavar="COMMAND")
    add = sub_characteristic.add_parser("add", help="add a characteristic to a product or a product kind")
    add.add_argument("--infobase", required=True)
    add.add_argument("name")
    owner = add.add_mutually_exclusive_group(required=True)
    owner.add_argument("--product", default=None, help="the product's ref (UUID)")
    owner.add_argument("--kind", default=None, help="a product kind's name")
    add.add_argument("--full-name", default="")
    add.set_defaults(handler=cmd_characteristic_add)
    listing = sub_characteristic.add_parser("list", help="list characteristics")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_characteristic_list)


def cmd_terminal_add(settings: Settings, args: argparse.Namespace) -> int:
    data = terminals.TerminalInput(
        number=args.number,
        name=args.name,
        store=args.store,
        organization=args.organization,
        acquirer=args.acquirer,
        contract_number=args.contract,
        contract_date=parse_date(args.contract_date or "", "contract_date"),
    )
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        created = terminals.add_terminal(session, infobase, data)
        print(f"added terminal {created.number!r} to store {created.store.name!r}")
    return 0


def cmd_terminal_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("number\tname\tstore\tacquirer\tcontract\tref")
        for t in terminals.list_terminals(session, get_infobase(session, args.infobase), store=args.store):
            acquirer = t.acquirer.name if t.acquirer else "-"
            print(f"{t.number}\t{t.name}\t{t.store.name}\t{acquirer}\t{t.contract_number or '-'}\t{t.ref}")
    return 0


def cmd_terminal_delete(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        removed = terminals.delete_terminal(session, get_infobase(session, args.infobase), args.number)
        print(f"removed terminal {removed.number!r}")
    return 0


def cmd_card_import(settings: Settings, args: argparse.Namespace) -> int:
    name, text = _read(args.file)
    with session_for(settings) as session:
        try:
            summary = cards.import_cards(session, get_infobase(session, args.infobase), io.StringIO(text))
        except CatalogImportError as exc:
            raise CatalogImportError(exc.line, f"{exc.reason} ({name}; nothing imported)") from exc
        print(f"imported {name}: {summary.created} created, {summary.updated} updated")
    return 0


def cmd_card_export(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        count = _write(args.file, lambda out: cards.export_cards(session, infobase, out))
        print(f"exported {count} cards", file=sys.stderr)
    return 0


def cmd_card_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("number\tbarcode\towner\tkind\tdiscount\tstatus")
        for c in cards.list_cards(session, get_infobase(session, args.infobase)):
            owner = c.owner.name if c.owner else "-"
            status = cards.ACTIVE if c.active else cards.CANCELLED
            print(f"{c.number}\t{c.barcode or '-'}\t{owner}\t{c.kind or '-'}\t{c.discount_percent:f}\t{status}")
    return 0


def cmd_stock_import(settings: Settings, args: argparse.Namespace) -> int:
    name, text = _read(args.file)
    with session_for(settings) as session:
        try:
            summary = stock.import_stock(session, get_infobase(session, args.infobase), args.store, io.StringIO(text))
        except CatalogImportError as exc:
            raise CatalogImportError(exc.line, f"{exc.reason} ({name}; nothing imported)") from exc
        print(f"imported {name}: {summary.rows} rows, {summary.changed} changed")
    return 0


def cmd_stock_export(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        count = _write(args.file, lambda out: stock.export_stock(session, infobase, args.store, out))
        print(f"exported {count} rows", file=sys.stderr)
    return 0


def cmd_stock_set(settings: Settings, args: argparse.Namespace) -> int:
    quantity = stock.parse_quantity(args.quantity)
    with session_for(settings) as session:
        balance = stock.set_stock(
            session,
            get_infobase(session, args.infobase),
            args.store,
            _uuid(args.product, "product"),
            Decimal(quantity),
            characteristic=args.characteristic,
        )
        print(f"{balance.product.name}: {balance.quantity:f} in {balance.store.name}")
    return 0


def cmd_kind_add(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase)
        kind = ProductKind.SERVICE if args.service else ProductKind.GOODS
        created = variants.create_kind(session, infobase, args.name, product_kind=kind)
        print(f"added product kind {created.name!r}")
    return 0


def cmd_kind_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("name\ttype\tref")
        for k in variants.list_kinds(session, get_infobase(session, args.infobase)):
            print(f"{k.name}\t{k.product_kind.value}\t{k.ref}")
    return 0


def cmd_characteristic_add(settings: Settings, args: argparse.Namespace) -> int:
    product = _uuid(args.product, "product") if args.product else None
    with session_for(settings) as session:
        created = variants.add_characteristic(
            session,
            get_infobase(session, args.infobase),
            args.name,
            product_ref=product,
            kind=args.kind,
            full_name=args.full_name,
        )
        print(f"added characteristic {created.full_name!r} ({created.ref})")
    return 0


def cmd_characteristic_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        print("name\tfull_name\towner\tref")
        for c in variants.list_characteristics(session, get_infobase(session, args.infobase)):
            owner = c.product.name if c.product else f"kind {c.item_kind.name}" if c.item_kind else "-"
            print(f"{c.name}\t{c.full_name}\t{owner}\t{c.ref}")
    return 0


def _read(file: str) -> tuple[str, str]:
    if file == "-":
        return "stdin", decode_csv(sys.stdin.buffer.read())
    try:
        return file, decode_csv(Path(file).read_bytes())
    except OSError as exc:
        raise ConfigError(f"{file}: {exc.strerror}") from exc


def _write(file: str, export: Callable[[io.StringIO], int]) -> int:
    buffer = io.StringIO()
    count = export(buffer)
    if file == "-":
        sys.stdout.write(buffer.getvalue())
        return count
    try:
        Path(file).write_text(buffer.getvalue(), encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"{file}: {exc.strerror}") from exc
    return count


def _uuid(text: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ValidationError(field, f"{text!r} is not a UUID") from None
