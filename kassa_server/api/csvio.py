"""CSV in and out of the control API: a ``text/csv`` request body read up to the upload limit and decoded as the CLI
and the back office decode files (UTF-8 or Windows-1251), and a CSV answer."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kassa_server.admin.goods_csv import decode_csv
from kassa_server.api.context import ApiContext
from kassa_server.api.errors import ApiError

CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A CSV file (UTF-8 or Windows-1251; comma or semicolon) with a header row",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
CSV_ANSWER: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}


async def read_csv(request: Request, context: ApiContext) -> str:
    """The body's text; 413 beyond ``KASSA_LIMITS_MAX_UPLOAD``, 422 when it is empty or not text."""
    limit = context.settings.limits.max_upload
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the CSV is larger than {limit} bytes (KASSA_LIMITS_MAX_UPLOAD)")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise ApiError(422, "invalid", "the request body is empty: send the CSV file as text/csv")
    return decode_csv(data)


def csv_response(write: Callable[[io.StringIO], int], filename: str) -> Response:
    buffer = io.StringIO()
    count = write(buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Row-Count": str(count)},
    )
