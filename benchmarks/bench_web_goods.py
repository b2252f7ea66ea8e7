"""The back office's goods list at N goods (default 100 000): time per page beside a bare starlette page of the same
size, which is the floor of any page the server sends (HTTP, the event loop, the bytes).

    python benchmarks/bench_web_goods.py                 # SQLite, 100 000 goods
    python benchmarks/bench_web_goods.py 20000 --postgres postgresql+psycopg://postgres@127.0.0.1:55432/postgres

The server runs as a real process (``kassa-server serve``); a client signs in as an administrator and asks for the
first, a middle and the last page, and for searches by part of the name, by code, by article and by barcode. Each
request is repeated; the figures are the median wall time per request and the server's CPU time per request.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._support import (
    BASE,
    FloorServer,
    ServerProcess,
    ean13,
    fresh_database,
    machine,
    seed_shop,
    tempdir,
)

ADMIN, ADMIN_PASSWORD = "Администратор", "bench-admin"


def add_administrator(database_url: str) -> None:
    from sqlalchemy import select

    from kassa_server.admin.infobases import add_user
    from kassa_server.models import Infobase
    from kassa_server.models.engine import make_engine, make_sessionmaker
    from kassa_server.models.enums import UserRole

    engine = make_engine(database_url)
    with make_sessionmaker(engine).begin() as session:
        infobase = session.scalars(select(Infobase).where(Infobase.name == BASE)).one()
        add_user(session, infobase, ADMIN, ADMIN_PASSWORD, role=UserRole.ADMINISTRATOR)
    engine.dispose()


def sign_in(base_url: str) -> requests.Session:
    http = requests.Session()
    form = http.get(f"{base_url}/{BASE}/login", timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no CSRF field on the login form"
    answer = http.post(
        f"{base_url}/{BASE}/login",
        data={"csrf_token": token.group(1), "login": ADMIN, "password": ADMIN_PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303, answer.text[:500]
    return http


def measure(http: requests.Session, url: str, repeats: int, cpu: object | None = None) -> tuple[float, float, int, str]:
    """Median seconds per request, server CPU seconds per request, bytes, and the body of the last answer."""
    http.get(url, timeout=120)  # warm-up
    times = []
    cpu_before = cpu() if callable(cpu) else 0.0
    body = ""
    for _ in range(repeats):
        started = time.perf_counter()
        answer = http.get(url, timeout=120)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code)
        body = answer.text
    cpu_used = (cpu() - cpu_before) / repeats if callable(cpu) else 0.0
    return statistics.median(times), cpu_used, len(body.encode()), body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("goods", type=int, nargs="?", default=100_000)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (default: a SQLite file)")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    with tempdir() as tmp_name:
        tmp = Path(tmp_name)
        with fresh_database(args.postgres, tmp) as url:
            started = time.perf_counter()
            seed_shop(url, goods=args.goods, devices=1)
            add_administrator(url)
            print(f"seeded {args.goods} goods in {time.perf_counter() - started:.1f} s ({machine()})")
            last_page = max(1, -(-args.goods // 50))
            middle = args.goods // 2
            cases = [
                ("page 1", ""),
                ("middle page", f"page={last_page // 2}"),
                ("last page", f"page={last_page}"),
                ("group (subtree)", "group=1"),
                ("search: part of the name", "q=упаковка 3"),
                ("search: one product's name", f"q=Товар {middle} упаковка"),
                ("search: code", f"q={middle:08d}"),
                ("search: article", f"q=A-{middle:06d}"),
                ("search: barcode", f"q={ean13(10_000_000 + middle - 1)}"),
                ("search: nothing found", "q=нет такого товара"),
            ]
            rows = []
            with ServerProcess(url, tmp) as server:
                http = sign_in(server.base_url)
                for name, query in cases:
                    target = f"{server.base_url}/{BASE}/goods" + (f"?{query}" if query else "")
                    seconds, cpu, size, body = measure(http, target, args.repeats, server.cpu_seconds)
                    found = body.count("<tr") - 1
                    rows.append((name, seconds, cpu, size, found))
                _s, _c, _n, first_page = measure(http, f"{server.base_url}/{BASE}/goods", 1)
            floor = FloorServer(first_page.encode(), b"", tmp)
            try:
                # the floor costs well under a millisecond: enough requests that its CPU time is measurable
                floor_s, floor_cpu, floor_size, _ = measure(
                    requests.Session(), floor.base_url + "/goods", args.repeats * 20, floor.cpu_seconds
                )
            finally:
                floor.stop()

    print(
        f"\nfloor: bare starlette page of {floor_size} bytes: {floor_s * 1000:.1f} ms, CPU {floor_cpu * 1000:.1f} ms\n"
    )
    print("| request | rows shown | bytes | median ms | × floor | server CPU ms | × floor CPU |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, cpu, size, found in rows:
        print(
            f"| {name} | {found} | {size} | {seconds * 1000:.1f} | {seconds / floor_s:.1f} | {cpu * 1000:.1f} | "
            f"{cpu / floor_cpu if floor_cpu else 0:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
