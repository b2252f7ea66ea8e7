"""``kassa-server serve``: upgrade the database and serve the SOAP endpoints with uvicorn."""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys

from kassa_server.cli._common import PUBLIC_URL_HINT, public_url, safe_url, session_for
from kassa_server.errors import ConfigError
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
    serve.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        default=None,
        help="no line per HTTP request on standard error (env KASSA_ACCESS_LOG=0); the call journal still records "
        "every SOAP call",
    )
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    flags = {
        "host": args.host,
        "port": args.port,
        "workers": args.workers,
        "public_url": args.public_url,
        "access_log": args.access_log,
    }
    settings = settings.replace(**{k: v for k, v in flags.items() if v is not None})
    _check_port_free(settings.host, settings.port)
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
    if settings.listens_everywhere and not settings.public_url:
        print(PUBLIC_URL_HINT.replace("this server listens", f"{settings.host} listens"), file=sys.stderr)
    from kassa_server.app import serve

    log.info("serving on http://%s:%s (database %s)", settings.host, settings.port, safe_url(settings.database_url))
    serve(settings)
    return 0


def _check_port_free(host: str, port: int) -> None:
    """Fail in one line before anything starts when another process listens on the port (uvicorn would log a
    traceback-like error and exit later)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} is in use") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
