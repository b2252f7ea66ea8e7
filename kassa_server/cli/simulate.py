"""``kassa-server simulate``: the device simulator (``kassa_server.simulator``) driven from the server's command line.

``--register`` registers the simulated devices in the server's database, given with ``--database-url`` (or
``KASSA_DATABASE_URL``), with a progress line. The registration happens here, in the CLI face: the simulator package
never imports the server. (When the control API exists, registering through it would also cover servers whose
database this machine cannot reach; today ``--register-command`` is the way for those.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kassa_server.errors import ConfigError
from kassa_server.settings import DEFAULT_DATABASE_URL, Settings


def register(commands: argparse._SubParsersAction) -> None:
    from kassa_server.simulator.cli import add_arguments

    simulate = commands.add_parser(
        "simulate",
        help="simulate 1С:Мобильная касса devices against any server",
        description="Simulate 1С:Мобильная касса devices against any 1С:Касса publication.",
    )
    add_arguments(simulate)
    simulate.add_argument(
        "--database-url",
        default=argparse.SUPPRESS,
        help="with --register: the server's database, where the devices are registered (env KASSA_DATABASE_URL)",
    )
    simulate.set_defaults(handler=cmd_simulate)


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    from kassa_server.simulator.cli import run

    if not args.register:
        return run(args)
    if args.register_command != _default_register_command():
        return run(args)  # the user's own registration command
    if args.database_url is None and settings.database_url == DEFAULT_DATABASE_URL:
        raise ConfigError(
            "simulate --register needs the server's database: give --database-url (or KASSA_DATABASE_URL), "
            "or --register-command for a server elsewhere"
        )
    return run(args, register=lambda configs: _register_in_database(settings, configs))


def _default_register_command() -> str:
    from kassa_server.simulator.fleet import DEFAULT_REGISTER_COMMAND

    return DEFAULT_REGISTER_COMMAND


def _register_in_database(settings: Settings, configs: Sequence[object]) -> list[str]:
    from kassa_server.admin.simulation import register_devices
    from kassa_server.models.engine import database_errors, make_engine, make_sessionmaker, upgrade
    from kassa_server.simulator.device import DeviceConfig

    devices = [c for c in configs if isinstance(c, DeviceConfig)]
    if not devices:
        return []
    bases = {c.params.base for c in devices}
    assert len(bases) == 1, bases  # one publication per run
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    tty = sys.stderr.isatty()
    step = max(1, len(devices) // 20)

    def progress(done: int, total: int) -> None:
        if done == total or done % step == 0:
            end = "\r" if tty and done < total else "\n"
            print(f"registering devices: {done}/{total}", end=end, file=sys.stderr, flush=True)

    try:
        with database_errors():
            result = register_devices(
                make_sessionmaker(engine),
                bases.pop(),
                [(c.factory_number, c.name or f"Мобильная касса {c.factory_number}") for c in devices],
                on_progress=progress,
            )
    finally:
        engine.dispose()
    print(f"registered {result.created} devices ({result.existing} were registered already)", file=sys.stderr)
    return result.failures
