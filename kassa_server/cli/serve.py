"""``kassa-server serve``: upgrade the database and serve the SOAP endpoints with uvicorn."""

from __future__ import annotations

import argparse
import logging

from kassa_server.cli._common import public_url, safe_url, session_for
from kassa_server.settings import Settings

log = logging.getLogger("kassa_server")


def register(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="upgrade the database and serve the SOAP endpoints")
    serve.add_argument("--host", default=None, help="listen address (env KASSA_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="listen port (env KASSA_PORT; default 8080)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (env KASSA_WORKERS; default 1)")
    serve.add_argument(
        "--demo", action="store_true", help="seed the demo shop first if the database has none (env KASSA_DEMO=1)"
    )
    serve.add_argument(
        "--public-url",
        default=None,
        help="«Адрес в интернете» template, {base} = the infobase's name (env KASSA_PUBLIC_URL), "
        "e.g. https://shop.example.ru/{base}",
    )
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    flags = {"host": args.host, "port": args.port, "workers": args.workers, "public_url": args.public_url}
    settings = settings.replace(**{k: v for k, v in flags.items() if v is not None})
    from kassa_server.models.engine import upgrade

    upgrade(settings.database_url)
    if args.demo or settings.demo:
        from kassa_server.admin.demo import demo_exists, seed_demo
        from kassa_server.cli.demo import print_demo

        with session_for(settings, migrate=False) as session:
            if not demo_exists(session):
                summary = seed_demo(session, public_url=public_url(settings, "kassa"))
                print_demo(settings, summary)
            else:
                print("demo infobase present; not seeding again")
    from kassa_server.app import serve

    log.info("serving on http://%s:%s (database %s)", settings.host, settings.port, safe_url(settings.database_url))
    serve(settings)
    return 0
