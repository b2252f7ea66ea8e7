"""Transport mechanics shared by both exchange services: export → ZIP → stored file, parts → ZIP → import.

Both services work on the same storage and call the same gateway, so a message uploaded through either service goes
to the same import and downloads take from the same outbox (soap-services.md §10.3).
"""

from __future__ import annotations

import logging
import uuid
from typing import IO, BinaryIO

from kassa_server.exchange.errors import ExchangeError, InvalidIdentifier, UnknownExchangePlan
from kassa_server.exchange.files import inflate_first_entry, open_message, spool_zip
from kassa_server.exchange.interface import ImportOutcome
from kassa_server.services.context import ServiceCall

logger = logging.getLogger(__name__)

MAX_COMPRESSION = 9
"""Exchange_2_0_1_6 exports use maximum compression [V]."""
DEFAULT_COMPRESSION = 6
"""EDE exports use the default compression [V]."""


def parse_uuid(value: str | None) -> uuid.UUID:
    """A ``v8:UUID`` argument; a malformed one faults, as the platform's conversion does (soap-services.md §3.1)."""
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        raise InvalidIdentifier(str(value)) from None


def require_plan(call: ServiceCall, plan: str | None) -> str:
    plan = plan or ""
    if not call.infobase.allows_plan(plan):
        raise UnknownExchangePlan(plan)
    return plan


def export_zip(call: ServiceCall, plan: str, node_code: str, entry_name: str, compresslevel: int) -> IO[bytes]:
    """The node's message, zipped into a temporary file (rewound; the caller closes it) with the deflater of
    ``Settings.zip_deflater`` at ``compresslevel``."""
    gateway = call.deps.gateway

    def write(out: BinaryIO) -> None:
        gateway.export_message(call.infobase.name, plan, node_code, out)

    deflater = call.deps.settings.zip_deflater
    return spool_zip(write, entry_name, compresslevel=compresslevel, deflater=deflater)


def import_zip(call: ServiceCall, plan: str, node_code: str, payload: IO[bytes]) -> ImportOutcome:
    """Inflate the ZIP's first entry into a spooled file (within ``Limits.max_message_bytes``) and import it from
    there as a stream; the payload is closed."""
    with payload, open_message(payload, call.deps.archive_limits) as message:
        return import_message(call, plan, node_code, message)


def check_zip(call: ServiceCall, payload: IO[bytes]) -> None:
    """Inflate the ZIP's first entry to nowhere: raise the archive errors now, where 1C raises them."""
    inflate_first_entry(payload, call.deps.archive_limits, None)


def import_message(call: ServiceCall, plan: str, node_code: str, message: IO[bytes]) -> ImportOutcome:
    outcome = call.deps.gateway.import_message(call.infobase.name, plan, node_code, message)  # type: ignore[arg-type]
    if outcome.warnings:
        call.message = "; ".join(outcome.warnings)
    return outcome


def confirm_delivery(call: ServiceCall, plan: str, node_code: str) -> None:
    """Tell the exchange logic a download was released; its errors are only logged, as 1C does for ReleaseFile."""
    if not node_code:
        return
    try:
        call.deps.gateway.delivery_confirmed(call.infobase.name, plan, node_code)
    except ExchangeError as exc:
        logger.warning("delivery confirmation for node %s failed: %s", node_code, exc)
