"""``kassa-server simulate``: 1С:Мобильная касса devices against any server (kassa_server.simulator)."""

from __future__ import annotations

import argparse

from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    from kassa_server.simulator.cli import add_arguments

    simulate = commands.add_parser("simulate", help="simulate 1С:Мобильная касса devices against any server")
    add_arguments(simulate)
    simulate.set_defaults(handler=cmd_simulate)


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.simulator.cli import run

    return run(args)
