"""CLI handlers of ``kassa-server device add|list|qr``."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.infobases import get_infobase
from kassa_server.errors import NotFoundError
from kassa_server.exchange.devices import get_device, list_devices, register_device
from kassa_server.exchange.qr import connection_parameters, device_qr_string, qr_png, qr_svg
from kassa_server.models import Infobase, User
from kassa_server.settings import Settings


def cli_add(session: Session, settings: Settings, args: argparse.Namespace) -> int:
    infobase = get_infobase(session, args.infobase)
    device = register_device(
        session, infobase, args.factory_number, name=args.name, organization=args.organization, store=args.store
    )
    print(
        f"registered «{device.register.name}»: factory number {device.register.factory_number}, node {device.node.code}"
    )
    return 0


def cli_list(session: Session, settings: Settings, args: argparse.Namespace) -> int:
    infobase = get_infobase(session, args.infobase)
    print("factory_number\tname\tversion\tsent_no\treceived_no\tlast_exchange")
    for device in list_devices(session, infobase):
        node = device.node
        print(
            f"{device.register.factory_number}\t{device.register.name}\t{node.format_version or '-'}\t"
            f"{node.sent_no}\t{node.received_no}\t{node.last_exchange_at or '-'}"
        )
    return 0


def cli_qr(session: Session, settings: Settings, args: argparse.Namespace) -> int:
    infobase = get_infobase(session, args.infobase)
    device = get_device(session, infobase, args.factory_number)
    login = args.login or _default_login(session, infobase.id)
    params = connection_parameters(infobase, device.register.factory_number, login, f"{settings.host}:{settings.port}")
    print("Параметры подключения:")
    for line in params.lines():
        print(f"  {line}")
    text = device_qr_string(
        infobase,
        device.register.factory_number,
        device.node.code,
        login,
        node_field=settings.protocol.qr_node_field,
        login_encoding=settings.protocol.qr_login_encoding,
    )
    print(f"QR: {text}")
    if args.png:
        Path(args.png).write_bytes(qr_png(text))
        print(f"PNG written to {args.png}")
    if args.svg:
        Path(args.svg).write_bytes(qr_svg(text))
        print(f"SVG written to {args.svg}")
    return 0


def default_login(session: Session, infobase: Infobase) -> str:
    """The login a device uses by default: the first cashier, else the first user."""
    return _default_login(session, infobase.id)


def _default_login(session: Session, infobase_id: int) -> str:
    login = session.scalar(
        select(User.login).where(User.infobase_id == infobase_id).order_by(User.is_cashier.desc(), User.id)
    )
    if login is None:
        raise NotFoundError("the infobase has no users: add one with `kassa-server user add`")
    return login
