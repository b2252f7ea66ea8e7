"""One-line assertions for the tests of client projects: ``assert_valid_enterprisedata(message)``."""

from __future__ import annotations

import os
from typing import IO

from .validation import Report, validate


def assert_valid_enterprisedata(
    message: bytes | str | os.PathLike[str] | IO[bytes], version: str | None = None
) -> Report:
    """Fail with the full error report (``file:line: object type, Ссылка, path: reason``) unless ``message`` is a
    valid EnterpriseData message, Body or object; return the report otherwise.

    ``message`` is bytes, a path (``str`` or ``Path``; XML or a ZIP of it), an XML text (a ``str`` starting with
    ``<``) or a binary stream; ``version`` checks against that version instead of the one the message declares.
    """
    name = None
    if isinstance(message, str) and message.lstrip("\ufeff \t\r\n").startswith("<"):
        message, name = message.encode("utf-8"), "<text>"
    report = validate(message, version, name=name)
    if not report.valid:
        raise AssertionError("invalid EnterpriseData message:\n" + report.text())
    return report
