"""The SOAP call journal: what each client sent and got, so a client developer can see what their app did."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kassa_server.models.base import Base, intpk


class SoapCall(Base):
    __tablename__ = "soap_calls"
    __table_args__ = (Index("ix_soap_calls_infobase_at", "infobase", "at"),)

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column()
    """When the request arrived (UTC, naive)."""
    infobase: Mapped[str] = mapped_column(String(100))
    """Base name as requested; not a foreign key, so the journal outlives a deleted infobase."""
    login: Mapped[str] = mapped_column(String(100), default="")
    service: Mapped[str] = mapped_column(String(60), default="")
    operation: Mapped[str] = mapped_column(String(60), default="")
    node_code: Mapped[str] = mapped_column(String(100), default="")
    soap_version: Mapped[str] = mapped_column(String(4), default="")
    http_status: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(20), default="")
    """``ok``, ``soft_error`` (HTTP 200 with an error text), ``fault``, ``wsdl``, ``rejected`` (413 …)."""
    message: Mapped[str] = mapped_column(Text, default="")
    """Fault string or soft error text."""
    duration_ms: Mapped[int] = mapped_column(default=0)
    request_body: Mapped[str] = mapped_column(Text, default="")
    response_body: Mapped[str] = mapped_column(Text, default="")
    request_size: Mapped[int] = mapped_column(default=0)
    response_size: Mapped[int] = mapped_column(default=0)
    injected_fault: Mapped[str] = mapped_column(String(30), default="", server_default="")
    """The kind of fault the control API's rules injected into this call (``""``: none), so a test can tell."""
