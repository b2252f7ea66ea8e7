"""``kassa-server replay DIR``: answers calls from a cassette, and reports those it has no answer for.

Each call takes the first unused recorded call with the same key (``cassette.key``); once all of them are used, the
last one answers again (a client that polls more often than when it was recorded). A call with no match gets a 404
and is listed at ``GET /_replay/unmatched`` and when the server stops.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kassa_server.record.cassette import BASE_URL, IdMap, Interaction, key, read

logger = logging.getLogger(__name__)

DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "content-encoding", "date", "server"})


class ReplayServer:
    def __init__(self, interactions: list[Interaction]) -> None:
        recorded = IdMap()
        self.interactions = interactions
        self.keys = [
            key(i.method, i.path, i.query, i.request.body.replace(BASE_URL, ""), recorded) for i in interactions
        ]
        self.live = IdMap()
        self.used: set[int] = set()
        self.last: dict[tuple[str, ...], int] = {}
        self.unmatched: list[dict[str, str]] = []
        self.lock = threading.Lock()

    @classmethod
    def from_directory(cls, directory: Path) -> ReplayServer:
        return cls(read(directory))

    def match(self, method: str, path: str, query: str, body: str) -> Interaction | None:
        with self.lock:
            wanted = key(method, path, query, body, self.live)
            for index, candidate in enumerate(self.keys):
                if index not in self.used and candidate == wanted:
                    self.used.add(index)
                    self.last[wanted] = index
                    return self.interactions[index]
            if wanted in self.last:
                return self.interactions[self.last[wanted]]
            self.unmatched.append({"method": method, "path": path, "query": query, "operation": wanted[3]})
            logger.warning("no recorded call matches %s %s %s", method, path, wanted[3])
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            self.report()
            await send({"type": "lifespan.shutdown.complete"})
            return
        request = Request(scope, receive)
        if request.url.path == "/_replay/unmatched":
            payload = json.dumps(self.unmatched, ensure_ascii=False).encode()
            await Response(payload, media_type="application/json")(scope, receive, send)
            return
        body = (await request.body()).decode("utf-8", "replace")
        own = f"{request.url.scheme}://{request.url.netloc}"
        found = self.match(request.method, request.url.path, request.url.query, body.replace(own, ""))
        if found is None:
            text = f"kassa-server replay: no recorded call matches {request.method} {request.url.path}"
            await Response(text, status_code=404, media_type="text/plain")(scope, receive, send)
            return
        headers = {k: v for k, v in found.response.headers.items() if k.lower() not in DROPPED_HEADERS}
        content = found.response.body.replace(BASE_URL, own).encode("utf-8")
        await Response(content, status_code=found.response.status or 200, headers=headers)(scope, receive, send)

    def report(self) -> str:
        lines = [f"replay: {len(self.used)} of {len(self.interactions)} recorded calls used"]
        lines += [f"  no match: {u['method']} {u['path']} {u['operation']}" for u in self.unmatched]
        text = "\n".join(lines)
        logger.info("%s", text)
        return text
