"""Time in the exchange: one injected clock and one UTC policy.

Policy: every timestamp the server stores is **naive UTC** (``DateTime(timezone=False)`` columns hold UTC wall time),
whether the server took it from its clock (``last_exchange_at``, a fallback document date) or from a message. The
format's ``xs:dateTime`` values carry no zone and are the infobase's local time (enterprisedata.md §10), so they are
converted at the edges only: ``to_utc`` when a message is read (from_format.py), ``from_utc`` when one is written
(to_format.py), with the zone of ``ProtocolOptions.format_timezone`` (default ``UTC``, where both are the identity).
The header's ``CreationDate`` is UTC on the wire already (enterprisedata.md §3, [V]).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from zoneinfo import ZoneInfo

Clock = Callable[[], dt.datetime]
"""Returns the current time as naive UTC; tests inject a fixed one."""


def utc_now() -> dt.datetime:
    """The real clock: naive UTC, whole seconds (the format carries no fractions)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


@cache
def zone(name: str) -> dt.tzinfo:
    return dt.UTC if name.upper() == "UTC" else ZoneInfo(name)


def to_utc(local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A zone-less format date (the infobase's local time) → naive UTC for storage."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def from_utc(stored: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """A stored naive-UTC timestamp → the zone-less local time the format carries."""
    return stored.replace(tzinfo=dt.UTC).astimezone(tz).replace(tzinfo=None)
