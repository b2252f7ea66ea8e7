"""Where a message comes from: a path, bytes or a binary stream, plain XML or zipped as the services carry it.

A ZIP (recognised by its signature, not its name) holds one entry, ``data.xml`` (EnterpriseDataExchange) or
``Message…xml`` (Exchange_2_0_1_6); as 1C does, the first entry is read whatever its name (``enterprisedata.md`` §1).
The entry is streamed, never extracted in full.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import SourceError

ZIP_MAGIC = b"PK\x03\x04"

Source = bytes | str | os.PathLike[str] | IO[bytes]


@dataclass(slots=True)
class Opened:
    stream: IO[bytes]
    name: str  # for reports: ``file.xml``, ``file.zip!data.xml``, ``<bytes>``


def describe(source: Source, name: str | None = None) -> str:
    if name is not None:
        return name
    if isinstance(source, bytes | bytearray):
        return "<bytes>"
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


@contextlib.contextmanager
def open_message(source: Source, name: str | None = None) -> Iterator[Opened]:
    """Open ``source`` for streaming; a ZIP is opened at its first entry."""
    label = describe(source, name)
    with contextlib.ExitStack() as stack:
        if isinstance(source, bytes | bytearray):
            stream: IO[bytes] = io.BytesIO(bytes(source))
        elif isinstance(source, str | os.PathLike):
            try:
                stream = stack.enter_context(Path(source).open("rb"))
            except OSError as exc:
                raise SourceError(f"{label}: {exc.strerror}") from exc
        else:
            stream = source
        head = _peek(stream)
        if head.startswith(ZIP_MAGIC):
            try:
                archive = stack.enter_context(zipfile.ZipFile(stream))
                entries = [info for info in archive.infolist() if not info.is_dir()]
                if not entries:
                    raise SourceError(f"{label}: the ZIP archive is empty")
                stream = stack.enter_context(archive.open(entries[0]))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as exc:
                raise SourceError(f"{label}: not a readable ZIP archive ({exc})") from exc
            label = f"{label}!{entries[0].filename}"
        yield Opened(stream, label)


def _peek(stream: IO[bytes]) -> bytes:
    """The first bytes of ``stream``, which is left at its start (seekable) or wrapped so they are read again."""
    if stream.seekable():
        position = stream.tell()
        head = stream.read(4)
        stream.seek(position)
        return head
    raise SourceError("the message stream must be seekable (a file or bytes)")
