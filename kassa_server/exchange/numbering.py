"""Message numbering and acknowledgement on the server side (enterprisedata.md §4.2–4.3), as pure decisions."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Disposition(enum.Enum):
    NO_HANDSHAKE = "no_handshake"
    """``MessageNo`` absent or ≤ 0: import the Body, acknowledge nothing, keep ``received_no`` [V]."""
    DUPLICATE = "duplicate"
    """``MessageNo`` ≤ ``received_no``: skip the Body and ignore its ``ReceivedNo`` — a warning, not an error [V]."""
    ACCEPT = "accept"
    """A new message: its ``ReceivedNo`` acknowledges our messages, then the Body is imported [V]."""


DUPLICATE_WARNING = "Сообщение обмена было ранее принято."
"""SSL's result text for a message number already received (enterprisedata.md §4.2)."""


@dataclass(frozen=True)
class Decision:
    disposition: Disposition
    acknowledged_no: int | None = None
    """Our message number the peer acknowledges (clamped to what we sent), or None."""
    clamped: bool = False
    """The peer acknowledged a number we never sent; it was clamped to ``sent_no`` (§4.3 step 6)."""


def decide(message_no: int | None, received_no: int | None, *, last_received: int, last_sent: int) -> Decision:
    """What to do with an incoming data message, given the node's counters."""
    if message_no is None or message_no <= 0:
        return Decision(Disposition.NO_HANDSHAKE)
    if message_no <= last_received:
        return Decision(Disposition.DUPLICATE)
    if received_no is None or received_no <= 0:
        return Decision(Disposition.ACCEPT)
    if received_no > last_sent:
        return Decision(Disposition.ACCEPT, last_sent or None, clamped=True)
    return Decision(Disposition.ACCEPT, received_no)
