"""``kassa-server fault add|list|remove|clear``: fault and latency rules the SOAP edge injects (see admin/faults.py).

A running server notices a rule added here within a second.
"""

from __future__ import annotations

import argparse
import json

from kassa_server.cli._common import session_for
from kassa_server.errors import ConfigError
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    from kassa_server.admin.faults import KINDS

    fault = commands.add_parser("fault", help="inject faults into SOAP calls").add_subparsers(metavar="COMMAND")
    add = fault.add_parser(
        "add",
        help="add a fault rule",
        description="Kinds: " + "; ".join(f"{name}: {kind.description}" for name, kind in KINDS.items()),
    )
    add.add_argument("kind", choices=sorted(KINDS))
    add.add_argument("--infobase", default="", help="only this infobase (default: any)")
    add.add_argument("--service", default="", help="only this service, e.g. EnterpriseDataExchange_1_0_1_1")
    add.add_argument("--operation", default="", help="only this operation, e.g. PutData")
    add.add_argument("--device", default="", help="only calls naming this node code (factory number)")
    add.add_argument("--times", type=int, default=None, help="fire this many times (default: always)")
    add.add_argument("--probability", type=float, default=1.0, help="chance of firing on a matching call")
    add.add_argument(
        "--param", action="append", default=[], metavar="NAME=VALUE", help="a parameter of the kind, e.g. status=503"
    )
    add.set_defaults(handler=cmd_add)
    listing = fault.add_parser("list", help="list fault rules")
    listing.add_argument("--infobase", default=None)
    listing.set_defaults(handler=cmd_list)
    remove = fault.add_parser("remove", help="delete one rule")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=cmd_remove)
    clear = fault.add_parser("clear", help="delete every rule (of one infobase)")
    clear.add_argument("--infobase", default=None)
    clear.set_defaults(handler=cmd_clear)


def _params(items: list[str]) -> dict[str, object]:
    params: dict[str, object] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise ConfigError(f"--param {item!r}: expected NAME=VALUE")
        params[name] = int(value) if value.lstrip("-").isdigit() else value
    return params


def cmd_add(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.faults import FaultInput, add_fault

    data = FaultInput(
        kind=args.kind,
        infobase=args.infobase,
        service=args.service,
        operation=args.operation,
        device=args.device,
        times=args.times,
        probability=args.probability,
        params=_params(args.param),
    )
    with session_for(settings) as session:
        rule = add_fault(session, data)
        print(f"fault rule {rule.id}: {rule.kind}")
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.faults import list_faults, rule_params

    print("id\tkind\tinfobase\tservice\toperation\tdevice\tremaining\tprobability\tfired\tparams")
    with session_for(settings) as session:
        for r in list_faults(session, args.infobase):
            remaining = "always" if r.remaining is None else r.remaining
            print(
                f"{r.id}\t{r.kind}\t{r.infobase or '*'}\t{r.service or '*'}\t{r.operation or '*'}\t"
                f"{r.device or '*'}\t{remaining}\t{r.probability:g}\t{r.fired}\t"
                f"{json.dumps(rule_params(r), ensure_ascii=False)}"
            )
    return 0


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.faults import delete_fault

    with session_for(settings) as session:
        delete_fault(session, args.id)
    print(f"removed fault rule {args.id}")
    return 0


def cmd_clear(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.admin.faults import clear_faults

    with session_for(settings) as session:
        count = clear_faults(session, args.infobase)
    print(f"removed {count} fault rule(s)")
    return 0
