"""Time ``kassa-server goods import`` of N generated goods into a fresh SQLite database (wall and CPU seconds).

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=100_000)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        goods, db = folder / "goods.csv", f"sqlite:///{folder / 'bench.sqlite3'}"
        write_goods(goods, args.count)
        kassa = [args.python, "-m", "kassa_server", "--database-url", db]
        subprocess.run([*kassa, "infobase", "create", "bench"], check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([*kassa, "goods", "import", "--infobase", "bench", str(goods)], capture_output=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(done.stderr.decode(), file=sys.stderr)
            return 1
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"{args.count} goods: {wall:.1f} s wall, {cpu:.1f} s CPU ({done.stdout.decode().strip()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
