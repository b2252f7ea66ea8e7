"""``kassa-server demo``: seed the demo shop and say how to log in."""

from __future__ import annotations

import argparse

from kassa_server.admin.demo import DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD, DEMO_INFOBASE, DemoSummary, seed_demo
from kassa_server.cli._common import PUBLIC_URL_HINT, SERVICE_NAMES, local_url, public_url, session_for
from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser("demo", help="seed the demo shop")
    demo.add_argument("--infobase", default=None, help="name of the demo infobase (default kassa)")
    demo.add_argument(
        "--public-url", default=None, help="«Адрес в интернете» for the QR code (default http://HOST:PORT/<name>)"
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    with session_for(settings) as session:
        name = args.infobase or DEMO_INFOBASE
        summary = seed_demo(session, name=name, public_url=public_url(settings, name, args.public_url))
        print_demo(settings, summary)
    return 0


def print_demo(settings: Settings, summary: DemoSummary) -> None:
    from kassa_server.exchange.qr import qr_string

    base = summary.infobase.name
    root = local_url(settings, base)
    print(f"demo infobase {base!r}: {summary.goods} goods, {summary.orders} orders")
    print(f"cash register «{summary.register.name}», factory number {summary.register.factory_number}")
    print(f"back office: {root}/ (log in as {DEMO_ADMIN_LOGIN!r} with password {DEMO_ADMIN_PASSWORD!r})")
    print(f"the app logs in as {summary.login!r} with password {summary.password!r}")
    if summary.infobase.public_url:
        qr = qr_string(summary.infobase.public_url, summary.register.factory_number, summary.login)
        print(f"connection QR string: {qr}")
    else:
        print(PUBLIC_URL_HINT)
    for service in SERVICE_NAMES:
        print(f"  {root}/ws/{service}?wsdl")
