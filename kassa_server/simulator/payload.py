"""ZIP payloads: the message is the first entry (soap-services.md §6), split into parts of `part_kb` KB."""

from __future__ import annotations

import io
import zipfile
import zlib

__all__ = ["PayloadError", "join_parts", "split", "unzip_message", "zip_message"]

# A guard against a hostile server: a message bigger than this after inflation is refused.
MAX_MESSAGE_BYTES = 2 * 1024 * 1024 * 1024


class PayloadError(ValueError):
    """The payload is not a ZIP archive with at least one entry."""


def zip_message(message: bytes, entry_name: str = "data.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(entry_name, message)
    return buffer.getvalue()


def unzip_message(payload: bytes) -> bytes:
    """The first entry of the archive, whatever its name."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            entries = archive.infolist()
            if not entries:
                raise PayloadError("the archive has no entries")
            first = entries[0]
            if first.file_size > MAX_MESSAGE_BYTES:
                raise PayloadError(f"the message entry is too large ({first.file_size} bytes)")
            with archive.open(first) as stream:
                data = stream.read(MAX_MESSAGE_BYTES + 1)
    except zipfile.BadZipFile as exc:
        raise PayloadError(f"not a ZIP archive: {exc}") from exc
    except (zlib.error, EOFError) as exc:  # a damaged deflate stream (a corrupted or truncated part)
        raise PayloadError(f"the archive is damaged: {exc}") from exc
    if len(data) > MAX_MESSAGE_BYTES:
        raise PayloadError("the message entry is too large")
    return data


def split(payload: bytes, part_kb: int) -> list[bytes]:
    """Raw byte slices of `part_kb` * 1024 bytes, only the last one shorter; 0 = one part."""
    if part_kb <= 0 or not payload:
        return [payload]
    size = part_kb * 1024
    return [payload[offset : offset + size] for offset in range(0, len(payload), size)]


def join_parts(parts: list[bytes]) -> bytes:
    return b"".join(parts)
