"""``kassa-server record --upstream URL --out DIR`` and ``kassa-server replay DIR``: cassettes of SOAP sessions
(kassa_server/record). ``kassa-server journal export --cassette DIR`` is in cli/reports.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from kassa_server.settings import Settings


def register(commands: argparse._SubParsersAction) -> None:
    record = commands.add_parser("record", help="a recording proxy in front of a real 1C server")
    record.add_argument("--upstream", required=True, help="the real publication, e.g. https://host/kassa")
    record.add_argument("--out", required=True, type=Path, help="cassette directory to write")
    record.add_argument("--host", default="127.0.0.1")
    record.add_argument("--port", type=int, default=8081)
    record.set_defaults(handler=cmd_record)
    replay = commands.add_parser("replay", help="serve a cassette's answers")
    replay.add_argument("cassette", type=Path)
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8082)
    replay.set_defaults(handler=cmd_replay)


def cmd_record(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from kassa_server.errors import ConfigError
    from kassa_server.record.proxy import RecordingProxy

    try:
        proxy = RecordingProxy(args.upstream, args.out)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    print(f"recording {args.upstream} into {args.out}: point the client at http://{args.host}:{args.port}/")
    uvicorn.run(proxy, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from kassa_server.errors import ConfigError
    from kassa_server.record.replay import ReplayServer

    try:
        server = ReplayServer.from_directory(args.cassette)
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from exc
    print(f"replaying {len(server.interactions)} calls from {args.cassette} at http://{args.host}:{args.port}/")
    uvicorn.run(server, host=args.host, port=args.port, log_level="warning")
    print(server.report())
    return 1 if server.unmatched else 0
