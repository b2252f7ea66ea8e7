"""Time ``kassa-server goods import`` of N generated goods into a fresh SQLite database (wall and CPU seconds),
beside the floor of the same run: parsing that CSV with ``csv`` and inserting the same rows (groups, products,
barcodes, prices) with SQLAlchemy Core in batches of 2,000, without any check or change tracking.

    python benchmarks/bench_goods_csv.py [N] [--python PYTHON]

Each row has a code, an article, a two-level group (100 folders), a barcode, a VAT rate, a unit and a price. The
import runs as a subprocess of ``PYTHON -m kassa_server`` (default: this interpreter), so the same script times an
older checkout (``--python`` of a venv whose kassa_server is that checkout, or PYTHONPATH).
"""

from __future__ import annotations

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_goods(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "article", "name", "group", "unit_code", "unit_name", "vat_rate", "barcodes", "price"])
        for n in range(1, count + 1):
            writer.writerow(
                [
                    f"{n:06d}",
                    f"A-{n:06d}",
                    f"Товар номер {n}",
                    f"Группа {n % 10} / Подгруппа {n % 100}",
                    "796",
                    "шт",
                    "20",
                    f"2{n:011d}0",
                    f"{n % 1000 + 0.99:.2f}",
                ]
            )


def floor(goods: Path, database_url: str) -> None:
    """Parse ``goods`` and insert its rows with Core into the infobase ``bench`` (run in a child, for its CPU)."""
    import decimal

    from sqlalchemy import insert, select

    from kassa_server.models import Barcode, Infobase, Price, PriceType, Product, ProductGroup, Unit
    from kassa_server.models.engine import make_engine, make_sessionmaker
    from kassa_server.models.enums import VatRate

    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        base = session.scalar(select(Infobase.id).where(Infobase.name == "bench"))
        price_type = session.scalar(select(PriceType.id).where(PriceType.infobase_id == base))
        unit = session.execute(insert(Unit).returning(Unit.id), [{"infobase_id": base, "code": "796", "name": "шт"}])
        unit_id = unit.scalar_one()
        groups: dict[str, int] = {}
        with goods.open(encoding="utf-8", newline="") as source:
            rows = list(csv.DictReader(source))
        for name in sorted({row["group"] for row in rows}):
            groups[name] = session.execute(
                insert(ProductGroup).returning(ProductGroup.id), [{"infobase_id": base, "name": name}]
            ).scalar_one()
        for start in range(0, len(rows), 2000):
            batch = rows[start : start + 2000]
            products = [
                {
                    "infobase_id": base,
                    "code": row["code"],
                    "article": row["article"],
                    "name": row["name"],
                    "group_id": groups[row["group"]],
                    "unit_id": unit_id,
                    "vat_rate": VatRate.VAT20,
                }
                for row in batch
            ]
            ids = session.scalars(insert(Product).returning(Product.id, sort_by_parameter_order=True), products).all()
            session.execute(
                insert(Barcode),
                [
                    {"infobase_id": base, "product_id": i, "value": r["barcodes"]}
                    for i, r in zip(ids, batch, strict=True)
                ],
            )
            session.execute(
                insert(Price),
                [
                    {
                        "infobase_id": base,
                        "product_id": i,
                        "price_type_id": price_type,
                        "value": decimal.Decimal(r["price"]),
                    }
                    for i, r in zip(ids, batch, strict=True)
                ],
            )
    engine.dispose()


def _timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--floor", nargs=2, metavar=("CSV", "URL"), help=argparse.SUPPRESS)  # the child of the floor
    args = parser.parse_args()
    if args.floor:
        floor(Path(args.floor[0]), args.floor[1])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        goods, db = folder / "goods.csv", f"sqlite:///{folder / 'bench.sqlite3'}"
        write_goods(goods, args.count)
        kassa = [args.python, "-m", "kassa_server", "--database-url", db]
        floor_db = f"sqlite:///{folder / 'floor.sqlite3'}"
        for url in (db, floor_db):
            subprocess.run([args.python, "-m", "kassa_server", "--database-url", url, "infobase", "create", "bench"],
                           check=True, capture_output=True)  # fmt: skip
        wall, cpu, done = _timed([*kassa, "goods", "import", "--infobase", "bench", str(goods)])
        if done.returncode != 0:
            print(done.stderr.decode(), file=sys.stderr)
            return 1
        floor_wall, floor_cpu, floored = _timed([sys.executable, __file__, "--floor", str(goods), floor_db])
        if floored.returncode != 0:
            print(floored.stderr.decode(), file=sys.stderr)
            return 1
        print(f"{args.count} goods: {wall:.1f} s wall, {cpu:.1f} s CPU ({done.stdout.decode().strip()})")
        print(f"floor (csv + Core inserts): {floor_wall:.1f} s wall, {floor_cpu:.1f} s CPU")
        print(f"import / floor: {cpu / floor_cpu:.1f}x CPU, {wall / floor_wall:.1f}x wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
