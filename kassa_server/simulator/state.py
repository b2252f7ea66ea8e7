"""The device's local state, kept in a JSON file so a restarted simulator resumes where it left off.

Everything is JSON-native (strings for decimals): `python -m json.tool` shows it readably.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

__all__ = ["STATE_FORMAT", "DeviceState", "OutboxEntry", "load_state", "save_state"]

STATE_FORMAT = 1


@dataclass
class OutboxEntry:
    """A document not yet acknowledged: re-sent in every upload until the server's ReceivedNo covers
    `first_sent_in` (enterprisedata.md §4.1, the same cumulative rule the server follows)."""

    document: dict[str, Any]
    first_sent_in: int | None = None


@dataclass
class DeviceState:
    factory_number: str
    # numbering (enterprisedata.md §4): our last MessageNo, and the last server MessageNo we imported
    sent_no: int = 0
    received_no: int = 0
    server_node: str | None = None  # the server's own node code: our Confirmation/To
    server_versions: list[str] = field(default_factory=list)
    version: str | None = None  # negotiated EnterpriseData version we write
    # what the server sent us
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    register: dict[str, Any] | None = None  # our КассыККМ key block
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → {key, vat, price, barcodes, type}
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → {key, amount, lines, state, paid}
    terminals: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → ЭквайринговыеТерминалы key block
    discount_cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # ref → ДисконтныеКарты key + Статус
    stock: dict[str, str] = field(default_factory=dict)  # "item ref/characteristic ref" → quantity (informative)
    # the till
    shift_open: bool = False
    shift_number: int = 0
    shift_ref: str | None = None
    shift_opened_at: str | None = None
    shift_takings: str = "0"
    shift_sales: list[dict[str, Any]] = field(default_factory=list)  # sale receipts that may still be returned
    document_counter: int = 0  # НомерВПрограмме
    fiscal_counter: int = 0  # НомерЧекаФР / НомерЧекаККМ
    cycles_in_shift: int = 0
    outbox: list[OutboxEntry] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    """The last message built and not yet delivered: {"message_no", "documents", "payload" (base64 ZIP)}."""
    # totals
    receipts_sent: int = 0
    receipts_confirmed: int = 0
    documents_confirmed: int = 0
    syncs: int = 0
    format: int = STATE_FORMAT

    def to_json(self) -> dict[str, Any]:
        """Shallow: every field is JSON-native already (no deep copy: this runs several times a cycle)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["outbox"] = [{"document": e.document, "first_sent_in": e.first_sent_in} for e in self.outbox]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DeviceState:
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"unsupported state file format {data.get('format')!r}")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["outbox"] = [OutboxEntry(**entry) for entry in data.get("outbox", [])]
        return cls(**values)


def load_state(path: Path, factory_number: str) -> DeviceState:
    """The saved state, or a fresh one when the file does not exist."""
    if not path.exists():
        return DeviceState(factory_number=factory_number)
    state = DeviceState.from_json(json.loads(path.read_text(encoding="utf-8")))
    if state.factory_number != factory_number:
        raise ValueError(f"{path} belongs to device {state.factory_number!r}, not {factory_number!r}")
    return state


def save_state(path: Path, state: DeviceState) -> None:
    """Write atomically (temporary file + rename), so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # one line: json's C encoder (an indented dump takes the pure-Python one, several times slower)
            stream.write(json.dumps(state.to_json(), ensure_ascii=False, separators=(",", ":")))
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
