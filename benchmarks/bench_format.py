"""Write and read an EnterpriseData message of N goods (groups, units, barcodes, prices), beside a floor.

Floor: lxml building and serializing the same number of bare elements with xmlfile, then zipping.
Usage: python benchmarks/bench_format.py [N=100000]. Prints seconds and peak RSS (MB) of each phase.
"""

from __future__ import annotations

import io
import resource
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from lxml import etree

from kassa_server.enterprisedata import Header, read_message, write_message
from kassa_server.enterprisedata import objects as o


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


def floor(n: int) -> bytes:
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="UTF-8") as xf, xf.element("Body"):
        for i in range(n * 3):  # item + barcode + price row
            element = etree.Element("Object")
            etree.SubElement(element, "Name").text = f"Товар {i}"
            xf.write(element)
    return zip_bytes(buffer.getvalue())


def zip_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.xml", data)
    return out.getvalue()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    floor(n)
    t_floor = time.perf_counter() - t0
    rss_floor = peak_mb()
    header = Header("1.21", datetime(2025, 3, 1), "server", available_versions=["1.21"])
    t0 = time.perf_counter()
    buffer = io.BytesIO()
    count = write_message(buffer, header, goods(n))
    data = buffer.getvalue()
    zipped = zip_bytes(data)
    t_write = time.perf_counter() - t0
    rss_write = peak_mb()
    del zipped
    t0 = time.perf_counter()
    with read_message(io.BytesIO(data), strict=True) as reader:
        read = sum(1 for _ in reader)
    t_read = time.perf_counter() - t0
    print(f"goods={n} objects={count} read={read} xml={len(data) / 1e6:.1f} MB")
    print(f"floor (bare elements + zip): {t_floor:6.2f} s  peak RSS {rss_floor:6.0f} MB")
    print(
        f"write + zip:                 {t_write:6.2f} s  ({t_write / t_floor:.1f}x floor)  peak RSS {rss_write:6.0f} MB"
    )
    print(
        f"read + validate:             {t_read:6.2f} s  ({t_read / t_floor:.1f}x floor)  peak RSS {peak_mb():6.0f} MB"
    )


if __name__ == "__main__":
    main()
