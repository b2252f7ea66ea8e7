"""`kassa-server simulate` / `python -m kassa_server.simulator`: one device or a fleet against any 1С:Касса publication.

Examples:
    kassa-server simulate --qr 'http://127.0.0.1:8000/kassa;0000000001012345;0JrQsNGB0YHQuNGA;' --password secret
    kassa-server simulate --server 127.0.0.1:8000 --base demo --user Кассир --password secret \\
        --factory-number SIM --devices 50 --register --interval 5 --duration 60 --service exchange
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FrameType

from .connection import DEFAULT_EXCHANGE_PLAN, ConnectionParams, QrCodeError, parse_qr
from .device import DeviceConfig
from .fleet import DEFAULT_REGISTER_COMMAND, Fleet, FleetProgress, register_devices

__all__ = ["add_arguments", "build_configs", "main", "run"]

PASSWORD_ENV = "KASSA_SIMULATOR_PASSWORD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    connection = parser.add_argument_group("connection (QR string or manual fields, mobile-kassa.md §2)")
    connection.add_argument("--qr", help="the QR string 'url;factory_number;base64(login);'")
    connection.add_argument("--server", help="host[:port] of the publication («Адрес сервера»)")
    connection.add_argument("--base", help="publication name («Имя базы данных»), case-sensitive")
    connection.add_argument("--https", action="store_true", help="use https («Защищенный протокол»)")
    connection.add_argument("--user", help="1С:Касса user name («Пользователь»)")
    connection.add_argument(
        "--password", help=f"the user's password (default: ${PASSWORD_ENV}); never printed or logged"
    )
    connection.add_argument(
        "--factory-number",
        "--application-id",
        dest="factory_number",
        help="«Идентификатор приложения» = the register's factory number; with --devices > 1, the prefix of "
        "generated numbers (default SIM)",
    )
    connection.add_argument("--exchange-plan", default=DEFAULT_EXCHANGE_PLAN, help="ExchangePlanName sent in calls")
    connection.add_argument(
        "--service",
        choices=["ede", "exchange"],
        default="ede",
        help="ede = EnterpriseDataExchange_1_0_1_1, exchange = Exchange_2_0_1_6 (SSL client flow)",
    )

    run = parser.add_argument_group("run")
    run.add_argument("--devices", type=int, default=1, help="number of devices in this process (default 1)")
    run.add_argument("--cycles", type=int, help="cycles per device (a cycle = trade + sync); default: until stopped")
    run.add_argument("--duration", type=float, help="stop after this many seconds")
    run.add_argument("--interval", type=float, default=300.0, help="seconds between syncs (default 300)")
    run.add_argument("--stagger", type=float, default=0.0, help="spread the devices' first sync over this many s")
    run.add_argument(
        "--open-loop",
        action="store_true",
        help="each device keeps its own fixed schedule (device i of N first at i*interval/N): a fixed arrival rate",
    )
    run.add_argument("--processes", type=int, default=1, help="spread the devices over this many processes")
    run.add_argument(
        "--engine",
        choices=["zeep", "template"],
        default="zeep",
        help="SOAP client: zeep (default) or envelopes from templates over a pooled client (big fleets)",
    )
    run.add_argument("--no-final-sync", dest="final_sync", action="store_false", help="skip the confirming last sync")
    run.add_argument("--register", action="store_true", help="register devices without a state file first")
    run.add_argument(
        "--register-command",
        default=DEFAULT_REGISTER_COMMAND,
        help="registration command template ({base}, {factory_number}, {name}, {server}, {user})",
    )
    run.add_argument("--state-dir", type=Path, default=Path("kassa-simulator-state"), help="one JSON state per device")
    run.add_argument("--no-state", action="store_true", help="keep the state in memory only")
    run.add_argument("--quiet", action="store_true", help="no progress line on stderr")

    behaviour = parser.add_argument_group("device behaviour")
    behaviour.add_argument("--receipts-per-cycle", type=int, default=3)
    behaviour.add_argument("--shift-cycles", type=int, default=5, help="close the shift after this many cycles")
    behaviour.add_argument("--card-share", type=float, default=0.4, help="share of receipts paid by card")
    behaviour.add_argument("--return-share", type=float, default=0.15, help="chance of a return per cycle")
    behaviour.add_argument("--order-payment-share", type=float, default=0.5, help="chance of an order paid per cycle")
    behaviour.add_argument("--cashier", default="Кассир")
    behaviour.add_argument("--seed", type=int, help="random seed (default: per factory number)")
    behaviour.add_argument("--part-size", type=int, default=1024, help="PartSize/BlockSize in KB (default 1024)")
    behaviour.add_argument("--poll-interval", type=float, default=3.0, help="long-operation poll interval, s")
    behaviour.add_argument("--timeout", type=float, default=600.0, help="HTTP timeout per call, s")


def _base_params(args: argparse.Namespace) -> ConnectionParams:
    if args.qr:
        params = parse_qr(args.qr, "")
        if args.exchange_plan:
            params = replace(params, exchange_plan=args.exchange_plan)
    else:
        missing = [name for name in ("server", "base", "user") if not getattr(args, name)]
        if missing:
            raise ValueError("give --qr, or " + ", ".join(f"--{name}" for name in missing))
        params = ConnectionParams(
            server=args.server,
            base=args.base,
            https=args.https,
            user=args.user,
            password="",
            application_id=args.factory_number or "SIM",
            exchange_plan=args.exchange_plan,
        )
    return replace(params, password=_password(args, params.user))


def _password(args: argparse.Namespace, user: str) -> str:
    """``--password``, else ``$KASSA_SIMULATOR_PASSWORD``, else asked for on the terminal; without a terminal there is
    no one to ask: a one-line error (a run with no password would only collect 401s)."""
    if args.password is not None:
        return str(args.password)
    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise ValueError(f"no password for {user!r}: give --password or set {PASSWORD_ENV} (stdin is not a terminal)")
    return getpass.getpass(f"Password for {user}: ")


def build_configs(args: argparse.Namespace) -> list[DeviceConfig]:
    """One DeviceConfig per device; with several devices the factory numbers are `<prefix><n>`."""
    params = _base_params(args)
    if args.devices < 1:
        raise ValueError("--devices must be at least 1")
    if args.devices == 1:
        numbers = [args.factory_number if (args.factory_number and args.qr) else params.application_id]
    else:
        prefix = args.factory_number or params.application_id or "SIM"
        width = max(4, len(str(args.devices)))
        numbers = [f"{prefix}{index:0{width}d}" for index in range(1, args.devices + 1)]
    configs: list[DeviceConfig] = []
    for number in numbers:
        configs.append(
            DeviceConfig(
                params=params.with_application_id(number),
                service=args.service,
                state_path=None
                if args.no_state
                else args.state_dir / f"{_safe(params.server)}_{_safe(params.base)}" / f"{_safe(number)}.json",
                receipts_per_cycle=args.receipts_per_cycle,
                shift_cycles=args.shift_cycles,
                card_share=args.card_share,
                return_share=args.return_share,
                order_payment_share=args.order_payment_share,
                cashier=args.cashier,
                part_kb=args.part_size,
                poll_interval=args.poll_interval,
                timeout=args.timeout,
                seed=None if args.seed is None else args.seed + len(configs),
                name=f"Мобильная касса {number}",
                engine=args.engine,
            )
        )
    return configs


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


Registrar = Callable[[Sequence[DeviceConfig]], list[str]]
"""Registers devices with the back office; returns one error text per device that failed."""


def run(args: argparse.Namespace, register: Registrar | None = None) -> int:
    """Run the simulator; 0 when no error happened, 1 otherwise, 2 for bad arguments.

    With ``--register``, devices without a state file are registered first by ``register`` (``kassa-server simulate``
    passes one writing to the server's database), else by running ``--register-command`` for each."""
    try:
        configs = build_configs(args)
    except (ValueError, QrCodeError) as exc:
        print(f"kassa-server simulate: error: {exc}", file=sys.stderr)
        return 2
    if args.register:
        pending = [c for c in configs if c.state_path is None or not c.state_path.exists()]
        failures = register_devices(pending, args.register_command) if register is None else register(pending)
        for failure in failures:
            print(f"registration failed: {failure}", file=sys.stderr)
        if failures:
            return 1
    stop = threading.Event()
    fleet = Fleet(
        configs,
        cycles=args.cycles,
        duration=args.duration,
        interval=args.interval,
        stagger=args.stagger,
        final_sync=args.final_sync,
        stop=stop,
        open_loop=args.open_loop,
        processes=args.processes,
    )
    show_progress = not args.quiet

    def progress(state: FleetProgress) -> None:
        if show_progress:
            end = "\r" if sys.stderr.isatty() else "\n"
            print(state.format(), end=end, file=sys.stderr, flush=True)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        """First Ctrl-C / SIGTERM: finish the calls in flight and print the summary; a second one: stop now."""
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        if show_progress:
            print("\nstopping: finishing the calls in flight (Ctrl-C again to abort)", file=sys.stderr, flush=True)

    handled = (signal.SIGINT, signal.SIGTERM)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = {signum: signal.signal(signum, on_signal) for signum in handled} if in_main_thread else {}
    try:
        summary = fleet.run(on_progress=progress, progress_every=1.0)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if show_progress and sys.stderr.isatty():
        print(file=sys.stderr)
    print(summary.format())
    return 0 if summary.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kassa_server.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0)
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run(args)
