"""How long the control API's reset of the demo shop takes on SQLite: ``POST /api/v1/infobases/kassa/reset``.

    python benchmarks/bench_reset.py            # 30 resets over HTTP, 30 of the use case alone
    python benchmarks/bench_reset.py 100

Goal (issue 11): under 200 ms, so a test suite can reset before every test. The floor measured in the same run is one
empty-fixture reset (the deletes and the re-created infobase row without the demo's objects).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from kassa_server.admin.fixtures import reset_infobase
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.pytest_plugin import start_server


def _figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:<34} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   min {ms[0]:7.1f} ms"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp, start_server(Path(tmp)) as kassa:
        timings: dict[str, list[float]] = {"demo": [], "empty": []}
        for _ in range(runs):
            for fixture in ("demo", "empty"):
                started = time.perf_counter()
                kassa.reset(fixture)
                timings[fixture].append(time.perf_counter() - started)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'kassa.sqlite3'}")
        sessions = make_sessionmaker(engine)
        direct: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            with sessions.begin() as session:
                reset_infobase(session, "kassa", "demo")
            direct.append(time.perf_counter() - started)
        engine.dispose()
    print(f"reset of the demo shop on SQLite, {runs} runs each")
    print(_figures("API reset to demo (HTTP)", timings["demo"]))
    print(_figures("API reset to empty (floor, HTTP)", timings["empty"]))
    print(_figures("reset_infobase(demo), no HTTP", direct))
    median = statistics.median(timings["demo"]) * 1000
    print(f"goal < 200 ms: {'met' if median < 200 else 'NOT met'} ({median:.1f} ms)")


if __name__ == "__main__":
    main()
