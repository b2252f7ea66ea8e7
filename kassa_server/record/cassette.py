"""Cassettes: a directory of readable files, one JSON file per HTTP call, in the order the calls were made.

    DIR/0001-EnterpriseDataExchange_1_0_1_1-PrepareDataForGetting.json   request, response, timing
    DIR/0007-EnterpriseDataExchange_1_0_1_1-GetDataPart.response-1.xml   a ZIP in a body, unpacked beside it

Each JSON file holds ``method``, ``path`` (from the publication's base, e.g. ``/kassa/ws/…``), ``query``,
``request`` and ``response`` (``status``, ``headers``, ``body`` as text) and ``duration_ms``. Credentials are masked;
the recording server's own address in bodies is written as ``{{base_url}}``.

Replay matches a call by method, path, operation and its parameters, with data blobs left out and every UUID a client
sends replaced by its order of first appearance (``<id1>``, ``<id2>``, …), so ids that change per run (a new
TransferId, FileID, OperationID) map consistently.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kassa_server.admin.verification import zip_payloads

BASE_URL = "{{base_url}}"
MASKED = "***"
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
BLOBS = frozenset({"PartData", "Data"})
"""Parameters holding payload bytes: left out of matching (their content differs per run)."""

_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_BODY_CALL = re.compile(r"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)", re.S)
_LEAF = re.compile(r"<(?:[\w.-]+:)?([\w.-]+)(?:\s[^<>]*?)?>([^<]*)</(?:[\w.-]+:)?\1>", re.S)


@dataclass
class Message:
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None


@dataclass
class Interaction:
    method: str
    path: str
    query: str
    request: Message
    response: Message
    duration_ms: int = 0
    at: str = ""

    @property
    def service(self) -> str:
        segments = self.path.split("/ws/", 1)
        return segments[1].split("/", 1)[0] if len(segments) == 2 else ""

    @property
    def operation(self) -> str:
        return operation_of(self.request.body)


def operation_of(body: str) -> str:
    match = _BODY_CALL.search(body[:8192])
    return match.group(1) if match else ""


def mask(headers: dict[str, str]) -> dict[str, str]:
    return {name: (MASKED if name.lower() in SECRET_HEADERS else value) for name, value in headers.items()}


class IdMap:
    """UUIDs a client sends, numbered by first appearance, so two runs of the same client compare equal."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def __call__(self, text: str) -> str:
        def number(match: re.Match[str]) -> str:
            value = match.group(0).lower()
            self.numbers.setdefault(value, len(self.numbers) + 1)
            return f"<id{self.numbers[value]}>"

        return _UUID.sub(number, text)


def key(method: str, path: str, query: str, body: str, ids: IdMap) -> tuple[str, ...]:
    """What a call is matched by: method, path (case-insensitive service), query, operation, parameters."""
    params = sorted((name, value.strip()) for name, value in _LEAF.findall(body) if name not in BLOBS)
    normalized = ";".join(f"{name}={ids(value)}" for name, value in params)
    return (method.upper(), path.lower(), query.lower(), operation_of(body), normalized)


def write(directory: Path, number: int, interaction: Interaction) -> Path:
    """Write one call as ``NNNN-<service>-<operation>.json`` and unpack the ZIPs its bodies carry beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    name = "-".join(part for part in (f"{number:04d}", interaction.service, interaction.operation) if part)
    name = re.sub(r"[^\w.-]", "_", name)
    path = directory / f"{name}.json"
    data = asdict(interaction)
    data["request"]["headers"] = mask(interaction.request.headers)
    data["response"]["headers"] = mask(interaction.response.headers)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    for side, message in (("request", interaction.request), ("response", interaction.response)):
        for index, content in enumerate(_zips(message.body), start=1):
            (directory / f"{name}.{side}-{index}.xml").write_bytes(content)
    return path


def read(directory: Path) -> list[Interaction]:
    """The calls of a cassette, in order."""
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such cassette directory")
    out = []
    for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]*.json")):
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        out.append(
            Interaction(
                method=data["method"],
                path=data["path"],
                query=data.get("query", ""),
                request=Message(**data["request"]),
                response=Message(**data["response"]),
                duration_ms=data.get("duration_ms", 0),
                at=data.get("at", ""),
            )
        )
    return out


def _zips(body: str) -> list[bytes]:
    """The messages carried as complete ZIP archives in a SOAP body (one part of a larger file is left as it is)."""
    return zip_payloads(body)
