"""``kassa-server journal`` and ``kassa-server receipts``: what clients did, as text or JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kassa_server.admin.infobases import get_infobase
from kassa_server.admin.reports import journal_rows, receipt_rows
from kassa_server.cli._common import session_for
from kassa_server.errors import ConfigError
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    journal = commands.add_parser("journal", help="the SOAP calls clients made (oldest first)")
    journal.add_argument(
        "action", nargs="?", choices=["export"], help="export: write the calls as a cassette (with --cassette)"
    )
    journal.add_argument("--cassette", type=Path, default=None, help="cassette directory for `journal export`")
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


def cmd_journal(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "export":
        return cmd_journal_export(settings, args)
    with session_for(settings) as session:
        rows = journal_rows(session, get_infobase(session, args.infobase), limit=args.limit, bodies=args.bodies)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print(
            f"{row['at']}\t{row['login']}\t{row['service']}.{row['operation']}\t{row['node'] or '-'}\t"
            f"{row['http_status']}\t{row['outcome']}\t{row['duration_ms']} ms\t{row['message']}"
        )
        if args.bodies:
            print(f"  request:  {row['request']}\n  response: {row['response']}")
    return 0


def cmd_journal_export(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.record.export import export_journal

    if args.cassette is None:
        raise ConfigError("journal export needs --cassette DIR")
    with session_for(settings) as session:
        count = export_journal(session, get_infobase(session, args.infobase).name, args.cassette)
    print(f"wrote {count} calls to {args.cassette}")
    return 0


def cmd_receipts(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        rows = receipt_rows(session, get_infobase(session, args.infobase), factory_number=args.device)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        print(
            f"{row['date']}\t{row['register']}\tshift {row['shift']}\t{row['kind']}\t{row['amount']}\t"
            f"cash {row['cash']}\tcard {row['card']}\t{len(row['lines'])} line(s)\t{row['ref']}"
        )
    return 0
