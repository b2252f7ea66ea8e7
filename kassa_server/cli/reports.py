"""``kassa-server journal`` and ``kassa-server receipts``: what clients did, as text or JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

from kassa_server.admin.infobases import get_infobase
from kassa_server.admin.reports import JOURNAL_OUTCOMES, JournalFilter, clear_journal, journal_rows, receipt_rows
from kassa_server.cli._common import session_for
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    journal = commands.add_parser(
        "journal",
        help="the calls clients made (oldest first); `journal clear` forgets them",
        description="Every request to /<base>/ws/... with its answer: SOAP calls with their bodies (cut to "
        "KASSA_LIMITS_JOURNAL_BODY_LIMIT), and 401, 404, 405 and 413 answers, ping and WSDL downloads without.",
    )
    journal.add_argument("--infobase", default=None, help="only this infobase (default: every path, known base or not)")
    journal.add_argument("--limit", type=_limit, default=100, help="the last N calls that match (default 100)")
    journal.add_argument("--operation", default=None, help="only this SOAP operation, e.g. PutData")
    journal.add_argument("--device", default=None, help="only calls naming this node: a device's factory number")
    journal.add_argument(
        "--since", type=_since, default=None, help="only calls from then on: 2026-11-30T09:00 (UTC), or 90m, 2h, 7d ago"
    )
    journal.add_argument("--outcome", choices=JOURNAL_OUTCOMES, default=None, help="only calls with this outcome")
    journal.add_argument("--bodies", action="store_true", help="include request and response bodies")
    journal.add_argument("--json", action="store_true", help="JSON for scripts and CI assertions")
    journal.set_defaults(handler=cmd_journal)
    actions = journal.add_subparsers(metavar="{clear,export}", title="journal commands")
    clear = actions.add_parser("clear", help="forget the journaled calls of an infobase (--infobase) or all (--all)")
    which = clear.add_mutually_exclusive_group(required=True)
    which.add_argument("--infobase", default=argparse.SUPPRESS, help="forget this infobase's calls")
    which.add_argument("--all", action="store_true", help="forget every call, of every path")
    clear.set_defaults(handler=cmd_journal_clear)
    export = actions.add_parser("export", help="write the calls as a cassette for kassa-server replay")
    export.add_argument("--infobase", required=True)
    export.add_argument("--cassette", type=Path, required=True, help="the cassette directory to write")
    export.set_defaults(handler=cmd_journal_export)
    receipts = commands.add_parser("receipts", help="the receipts devices sent")
    receipts.add_argument("--infobase", required=True)
    receipts.add_argument("--device", default=None, help="only this factory number")
    receipts.add_argument("--json", action="store_true", help="JSON for scripts and CI assertions")
    receipts.set_defaults(handler=cmd_receipts)


_AGO = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of 1 or more: {text!r}")
    return value


def _since(text: str) -> dt.datetime:
    """``90m``, ``2h``, ``7d`` ago, or an ISO date or time (UTC unless it says its offset), as the journal's UTC."""
    now = dt.datetime.now(dt.UTC)
    if match := _AGO.fullmatch(text.strip()):
        moment = now - dt.timedelta(**{_UNITS[match[2]]: int(match[1])})
    else:
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a time: {text!r} (give 2026-11-30, 2026-11-30T09:00, or 90m, 2h, 7d for that long ago)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def cmd_journal(settings: Settings, args: argparse.Namespace) -> int:
    where = JournalFilter(operation=args.operation, device=args.device, since=args.since, outcome=args.outcome)
    with session_for(settings) as session:
        infobase = get_infobase(session, args.infobase) if args.infobase is not None else None
        rows = journal_rows(session, infobase, limit=args.limit, bodies=args.bodies, where=where)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for row in rows:
        base = "" if args.infobase is not None else f"{row['infobase']}\t"
        print(
            f"{row['at']}\t{base}{row['login'] or '-'}\t{row['service']}.{row['operation']}\t{row['node'] or '-'}\t"
            f"{row['http_status']}\t{row['outcome']}\t{row['duration_ms']} ms\t{row['message']}"
        )
        if args.bodies:
            print(f"  request:  {row['request']}\n  response: {row['response']}")
    return 0


def cmd_journal_export(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.record.export import export_journal

    with session_for(settings) as session:
        count = export_journal(session, get_infobase(session, args.infobase).name, args.cassette)
    print(f"wrote {count} calls to {args.cassette}")
    return 0


def cmd_journal_clear(settings: Settings, args: argparse.Namespace) -> int:
    name = None if args.all else args.infobase
    with session_for(settings) as session:
        deleted = clear_journal(session, get_infobase(session, name) if name is not None else None)
    print(f"deleted {deleted} calls from the journal" + (f" of {name!r}" if name is not None else ""))
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
