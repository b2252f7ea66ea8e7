"""``kassa-server device add|list|qr``: «1С:Мобильная касса» devices."""

from __future__ import annotations

import argparse
from pathlib import Path

from kassa_server.admin import devices
from kassa_server.admin.infobases import get_infobase
from kassa_server.cli._common import session_for
from kassa_server.errors import ConfigError
from kassa_server.exchange.qr import PublicUrlMissing
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    device = commands.add_parser("device", help="1С:Мобильная касса devices").add_subparsers(metavar="COMMAND")
    add = device.add_parser("add", help="register a «1С:Мобильная касса» cash register and its exchange node")
    add.add_argument("--infobase", required=True)
    add.add_argument("--factory-number", required=True, help="the app's «Идентификатор приложения»")
    add.add_argument("--name", default=None)
    add.add_argument("--organization", default=None, help="organization name (default: the first one)")
    add.add_argument("--store", default=None, help="store name (default: the organization's first one)")
    add.set_defaults(handler=cmd_device_add)
    listing = device.add_parser("list", help="list devices and their exchange state")
    listing.add_argument("--infobase", required=True)
    listing.set_defaults(handler=cmd_device_list)
    qr = device.add_parser("qr", help="print the connection QR string and manual parameters")
    qr.add_argument("--infobase", required=True)
    qr.add_argument("factory_number")
    qr.add_argument("--login", default=None, help="user the device logs in as (default: the first cashier)")
    qr.add_argument("--png", default=None, help="write the QR code as PNG")
    qr.add_argument("--svg", default=None, help="write the QR code as SVG")
    qr.set_defaults(handler=cmd_device_qr)
    change = device.add_parser("set", help="rename a device or move it to another store or organization")
    change.add_argument("--infobase", required=True)
    change.add_argument("factory_number")
    change.add_argument("--name", default=None)
    change.add_argument("--organization", default=None)
    change.add_argument("--store", default=None)
    change.set_defaults(handler=cmd_device_set)
    remove = device.add_parser("remove", help="remove a device: its next call is refused; its receipts stay")
    remove.add_argument("--infobase", required=True)
    remove.add_argument("factory_number")
    remove.set_defaults(handler=cmd_device_remove)


def cmd_device_add(settings: Settings, args: argparse.Namespace) -> int:
    data = devices.DeviceInput(
        factory_number=args.factory_number, name=args.name, organization=args.organization, store=args.store
    )
    with session_for(settings) as session:
        device = devices.register_device(session, get_infobase(session, args.infobase), data)
        print(
            f"registered «{device.register.name}»: factory number {device.register.factory_number}, "
            f"node {device.node_code}"
        )
    return 0


def cmd_device_set(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        device = devices.set_device(
            session,
            get_infobase(session, args.infobase),
            args.factory_number,
            name=args.name,
            organization=args.organization,
            store=args.store,
        )
        store = device.register.store.name if device.register.store else "-"
        print(f"changed «{device.register.name}»: factory number {device.register.factory_number}, store {store}")
    return 0


def cmd_device_remove(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        device = devices.remove_device(session, get_infobase(session, args.infobase), args.factory_number)
        print(f"removed «{device.register.name}» (factory number {device.register.factory_number})")
    return 0


def cmd_device_list(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        found = devices.list_devices(session, get_infobase(session, args.infobase))
        print("factory_number\tname\tversion\tsent_no\treceived_no\tlast_exchange")
        for device in found:
            node, register = device.node, device.register
            if node is None:
                print(f"{register.factory_number}\t{register.name}\t-\t0\t0\t-")
            else:
                print(
                    f"{register.factory_number}\t{register.name}\t{node.format_version or '-'}\t"
                    f"{node.sent_no}\t{node.received_no}\t{node.last_exchange_at or '-'}"
                )
    return 0


def cmd_device_qr(settings: Settings, args: argparse.Namespace) -> int:
    # a server bound to all interfaces does not know which of its addresses the devices reach: no guess
    fallback = None if settings.listens_everywhere else f"{settings.host}:{settings.port}"
    with session_for(settings) as session:
        try:
            info = devices.connection_info(
                session,
                get_infobase(session, args.infobase),
                args.factory_number,
                login=args.login,
                public_url=settings.public_url_for(args.infobase),
                fallback_server=fallback,
                protocol=settings.protocol,
            )
        except PublicUrlMissing as exc:
            raise _fill_public_url(exc) from exc
    print("Параметры подключения:")
    for line in info.parameters.lines():
        print(f"  {line}")
    if info.qr is None:
        raise _fill_public_url(PublicUrlMissing(args.infobase))
    text = info.qr
    print(f"QR: {text}")
    if args.png:
        _write(args.png, "PNG", text)
    if args.svg:
        _write(args.svg, "SVG", text)
    return 0


def _fill_public_url(exc: PublicUrlMissing) -> ConfigError:
    name = exc.infobase
    return ConfigError(
        f"infobase {name!r} has no public URL («Адрес в интернете»), so no QR code: set it with "
        f"`kassa-server infobase set {name} --public-url https://HOST/{name}`, or for every infobase with "
        "KASSA_PUBLIC_URL=https://HOST/{base}"
    )


def _write(path: str, kind: str, text: str) -> None:
    from kassa_server.exchange.qr import qr_png, qr_svg

    image = qr_png(text) if kind == "PNG" else qr_svg(text)
    try:
        Path(path).write_bytes(image)
    except OSError as exc:
        raise ConfigError(f"cannot write the QR code to {path}: {exc.strerror}") from exc
    print(f"{kind} written to {path}")
