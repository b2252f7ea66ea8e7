"""The CSV reading the card and stock files share with the goods file: a header row naming known columns, comma or
semicolon (detected from the header), every bad row an error naming its line (``CatalogImportError``)."""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from typing import TextIO

from kassa_server.errors import CatalogImportError


def read_rows(
    source: TextIO, columns: Collection[str], required: Collection[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with stripped values) of each data row; blank lines are skipped."""
    first = source.readline()
    header_line = first.rstrip("\r\n")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(_chain(first, source), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader, [])]
    except csv.Error as exc:
        raise CatalogImportError(1, f"malformed header: {exc}") from None
    missing = set(required) - set(header)
    if missing:
        raise CatalogImportError(1, f"missing column(s): {', '.join(sorted(missing))}")
    unknown = set(header) - set(columns)
    if unknown:
        raise CatalogImportError(1, f"unknown column(s): {', '.join(sorted(unknown))}; expected {', '.join(columns)}")
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CatalogImportError(start, f"malformed row ({exc}), e.g. an unclosed quote") from None
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue
        if len(fields) > len(header):
            raise CatalogImportError(
                start, f"{len(fields)} fields but the header has {len(header)} (a stray '{delimiter}' or quote?)"
            )
        yield start, {name: value.strip() for name, value in zip(header, fields, strict=False)}


def _chain(first: str, rest: TextIO) -> Iterator[str]:
    yield first
    yield from rest
