"""The seam through which the HTTP edge records each SOAP call (request/response bodies up to a limit)."""

from __future__ import annotations

import re
from typing import Protocol

from kassa_server.exchange.journal import JournalEntry

__all__ = ["JournalEntry", "JournalSink", "MemoryJournal", "fault_string"]


class JournalSink(Protocol):
    def record(self, entry: JournalEntry) -> None:
        """Write ``entry`` (called in a worker thread). A sink may also offer ``submit(entry, on_written)``, which
        queues it and calls ``on_written`` from its own thread once written: the edge then needs no thread."""
        ...


class MemoryJournal:
    """For tests and for running without a journal."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)


_FAULTSTRING = re.compile(rb"<(?:\w+:)?(?:faultstring|Text)(?:\s[^>]*)?>(.*?)</", re.S)


def fault_string(body: bytes) -> str:
    """The fault text of a SOAP fault envelope, for the journal (no XML parsing of untrusted output needed)."""
    match = _FAULTSTRING.search(body[:65536])
    return match.group(1).decode("utf-8", errors="replace") if match else ""
