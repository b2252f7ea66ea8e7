"""Tables of the control API (kassa_server/api): access tokens and fault-injection rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa_server.models.base import Base, intpk, timestamp_now


class ApiToken(Base):
    """A bearer token of the control API; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[timestamp_now]
    last_used_at: Mapped[dt.datetime | None]


class FaultRule(Base):
    """A fault the SOAP edge injects into matching calls (kassa_server/transport/faults.py applies it).

    Empty match fields match anything. ``remaining`` counts down from N for a rule that fires N times (None: always);
    ``probability`` is the chance it fires on a matching call.
    """

    __tablename__ = "fault_rules"

    id: Mapped[intpk]
    infobase: Mapped[str] = mapped_column(String(100), default="")
    service: Mapped[str] = mapped_column(String(60), default="")
    operation: Mapped[str] = mapped_column(String(60), default="")
    device: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[str] = mapped_column(Text, default="{}")
    """The kind's parameters as JSON (delay_ms, text, status, polls, ...)."""
    remaining: Mapped[int | None]
    probability: Mapped[float] = mapped_column(default=1.0)
    fired: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[timestamp_now]
