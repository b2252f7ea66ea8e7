"""Values people type as text (a form field, a CSV cell), read the same way by every face."""

from __future__ import annotations

import datetime as dt

from kassa_server.errors import ValidationError


def parse_date(text: str, field: str) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``); empty text is None; anything else a ``ValidationError`` naming ``field``."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{text!r} is not a date (YYYY-MM-DD)") from None
