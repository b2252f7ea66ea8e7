"""Write and read an EnterpriseData message of N goods (groups, units, barcodes, prices), beside a floor.

Usage: python benchmarks/bench_format.py [N=100000] [--version 1.21]

Every phase runs in a fresh subprocess, so each peak RSS (``ru_maxrss`` of that child) belongs to that phase alone:

* ``write``: ``write_message`` of 1 unit, 100 groups, 1 price type, N goods, N barcode objects and one
  ``УстановкаЦенНоменклатуры`` of N rows, streamed straight into a ZIP member (deflate) in a temporary directory.
* ``count`` (untimed): the number of elements and the XML size of that message.
* ``floor``: lxml building **the same number of bare elements** (one small tree per object, the same number of
  objects, leaf texts padded so the XML has about the same size), serializing them with ``xmlfile`` into a ZIP
  member, as the issue defines it. Ratios are against this floor.
* ``read``: ``read_message(strict=True)`` of the ZIP member (unzip + parse + validate + convert to dataclasses).
* ``parse``: for reference, lxml ``iterparse`` of the same ZIP member, clearing as it goes (no validation, no
  conversion): the least any streaming reader of this message can cost.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from kassa_server.enterprisedata import Header, read_message, write_message
from kassa_server.enterprisedata import objects as o

MEMBER = "data.xml"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def goods(n: int) -> Iterator[o.CatalogObject]:
    unit = o.Unit(ref=uuid.uuid4(), code="796", name="шт")
    yield unit
    groups = [o.ItemGroup(ref=uuid.uuid4(), name=f"Группа {i}") for i in range(100)]
    yield from groups
    price_type = o.PriceType(ref=uuid.uuid4(), name="Розничная", currency=o.Currency(code="643", name="руб."))
    yield price_type
    rows = []
    for i in range(n):
        item = o.Item(ref=uuid.uuid4(), name=f"Товар {i}", code=f"{i:08d}", group=groups[i % 100],
                      item_type=o.ItemType.GOODS, unit=unit, vat=o.VatRate(Decimal(20)))  # fmt: skip
        yield item
        data = o.GoodsData(item=item)
        yield o.Barcode(barcode=f"46{i:011d}", records=[o.BarcodeRecord(data)])
        rows.append(o.PriceRow(i + 1, data, Decimal(100 + i % 900)))
    yield o.PriceList(ref=uuid.uuid4(), date=datetime(2025, 3, 1), number="1", price_type=price_type, rows=rows)


# --- phases (each runs in its own process) --------------------------------------------------------------------------


def phase_write(path: Path, n: int, version: str) -> dict[str, float]:
    header = Header(version, datetime(2025, 3, 1), "server", available_versions=[version])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open(MEMBER, "w") as stream:
        count = write_message(stream, header, goods(n))
    return {"objects": count}


def phase_count(path: Path) -> dict[str, float]:
    """Elements = start tags: every ``<`` that does not open an end tag, a declaration or a comment."""
    elements = size = 0
    previous = b""
    with zipfile.ZipFile(path) as archive, archive.open(MEMBER) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            joined = previous + chunk
            # count on the joined window, minus what the previous byte alone already counted
            elements += joined.count(b"<") - joined.count(b"</") - joined.count(b"<?") - joined.count(b"<!")
            elements -= previous.count(b"<")
            previous = chunk[-1:]
    return {"elements": elements, "xml_bytes": size}


def phase_floor(path: Path, elements: int, objects: int, xml_bytes: int) -> dict[str, float]:
    """``objects`` trees of bare elements, ``elements`` in all, leaf texts sized so the XML is about ``xml_bytes``."""
    leaves = elements - objects - 1  # minus the roots and the Body
    per_object, extra = divmod(leaves, objects)
    structure = (
        len("<Body></Body>")
        + objects * len("<Объект></Объект>".encode())
        + leaves * len("<Элемент></Элемент>".encode())
    )
    text_len = max(1, (xml_bytes - structure) // max(leaves, 1))
    counter = 0
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(MEMBER, "w") as stream,
        etree.xmlfile(stream, encoding="UTF-8") as xf,
        xf.element("Body"),
    ):
        for i in range(objects):
            root = etree.Element("Объект")
            for _ in range(per_object + (1 if i < extra else 0)):
                counter += 1
                etree.SubElement(root, "Элемент").text = f"{counter:0{text_len}d}"
            xf.write(root)
    return {}


def phase_read(path: Path) -> dict[str, float]:
    with zipfile.ZipFile(path) as archive, archive.open(MEMBER) as stream, read_message(stream) as reader:
        count = sum(1 for _ in reader)
    return {"objects": count}


def phase_parse(path: Path) -> dict[str, float]:
    count = 0
    with zipfile.ZipFile(path) as archive, archive.open(MEMBER) as stream:
        for _event, element in etree.iterparse(stream, resolve_entities=False, no_network=True):
            count += 1
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]  # type: ignore[union-attr]
    return {"elements": count}


def run_phase(name: str, *args: str) -> dict[str, float]:
    """Run one phase in a fresh interpreter; it prints a JSON line with its seconds and peak RSS."""
    command = [sys.executable, __file__, "--phase", name, *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child(name: str, args: list[str]) -> None:
    phases: dict[str, Callable[..., dict[str, float]]] = {
        "write": lambda p, n, v: phase_write(Path(p), int(n), v),
        "count": lambda p: phase_count(Path(p)),
        "floor": lambda p, e, ob, b: phase_floor(Path(p), int(e), int(ob), int(b)),
        "read": lambda p: phase_read(Path(p)),
        "parse": lambda p: phase_parse(Path(p)),
    }
    rss_before = peak_mb()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    t0 = time.perf_counter()
    result = phases[name](*args)
    result["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime - cpu_before
    result["rss_mb"] = peak_mb()
    result["rss_start_mb"] = rss_before
    print(json.dumps(result))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("goods", nargs="?", type=int, default=100_000)
    parser.add_argument("--version", default="1.21")
    options = parser.parse_args()
    n = options.goods
    with tempfile.TemporaryDirectory() as tmp:
        message, bare = os.path.join(tmp, "message.zip"), os.path.join(tmp, "floor.zip")
        write = run_phase("write", message, str(n), options.version)
        counted = run_phase("count", message)
        floor = run_phase("floor", bare, str(counted["elements"]), str(write["objects"]), str(counted["xml_bytes"]))
        floor_count = run_phase("count", bare)
        read = run_phase("read", message)
        parse = run_phase("parse", message)
        floor_again = run_phase(
            "floor", bare, str(counted["elements"]), str(write["objects"]), str(counted["xml_bytes"])
        )
        zip_mb = os.path.getsize(message) / 1e6
    # the machine may be shared: the floor runs first and last, and the faster run is the reference (which can
    # only make our ratios look worse); CPU seconds of each child are printed beside wall-clock seconds
    floor = min(floor, floor_again, key=lambda figures: figures["seconds"])
    base, base_cpu = floor["seconds"], floor["cpu"]
    print(
        f"goods={n} version={options.version} objects={write['objects']:.0f} read={read['objects']:.0f} "
        f"elements={counted['elements']:.0f} xml={counted['xml_bytes'] / 1e6:.1f} MB zip={zip_mb:.1f} MB"
    )
    print(
        f"floor: elements={floor_count['elements']:.0f} xml={floor_count['xml_bytes'] / 1e6:.1f} MB; "
        f"a bare interpreter with the imports peaks at {floor['rss_start_mb']:.0f} MB RSS"
    )
    rows = [
        ("floor: bare elements + zip", floor),
        ("write + zip", write),
        ("unzip + read + validate", read),
        ("ref: unzip + iterparse only", parse),
    ]
    print(f"{'phase':30s} {'wall s':>8s} {'x floor':>8s} {'CPU s':>8s} {'x floor':>8s} {'peak RSS MB':>12s}")
    for label, figures in rows:
        print(
            f"{label:30s} {figures['seconds']:8.2f} {figures['seconds'] / base:8.1f} {figures['cpu']:8.2f} "
            f"{figures['cpu'] / base_cpu:8.1f} {figures['rss_mb']:12.0f}"
        )


if __name__ == "__main__":
    main()
