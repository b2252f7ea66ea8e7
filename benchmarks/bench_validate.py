"""``kassa-server ed validate`` on a message of N goods, beside the reader on the same file, in one run.

Usage: python benchmarks/bench_validate.py [N=100000] [--version 1.21]

The message is ``bench_format.py``'s (1 unit, 100 groups, 1 price type, N goods, N barcodes, one price list of N
rows), written once into a ZIP member. Each phase then runs in a fresh interpreter, so its peak RSS is its own:

* ``read``: ``read_message(strict=True)`` (unzip + parse + validate + convert to dataclasses): the reader's
  benchmark, the time budget of the issue.
* ``validate``: ``validation.validate()`` (unzip + parse + validate every object, collecting every error), what
  ``kassa-server ed validate`` runs.
* ``parse``: lxml ``iterparse`` of the same member only, for reference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_format import child as format_child

from kassa_server.enterprisedata.validation import validate


def phase_validate(path: Path) -> dict[str, float]:
    report = validate(path)
    if not report.valid:
        raise SystemExit(report.text())
    return {"objects": report.objects}


def run(name: str, *args: str) -> dict[str, float]:
    import json

    command = [sys.executable, __file__, "--phase", name, *args]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def child(name: str, args: list[str]) -> None:
    if name != "validate":
        format_child(name, args)
        return
    import json
    import resource
    import time

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    t0 = time.perf_counter()
    result = phase_validate(Path(args[0]))
    result["seconds"] = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime - cpu_before
    result["rss_mb"] = usage.ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("goods", nargs="?", type=int, default=100_000)
    parser.add_argument("--version", default="1.21")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        message = os.path.join(tmp, "message.zip")
        written = run("write", message, str(options.goods), options.version)
        # the reader and the validator alternate twice; each one's faster run counts (the machine may be shared)
        reads, validations = [], []
        for _ in range(2):
            reads.append(run("read", message))
            validations.append(run("validate", message))
        parse = run("parse", message)
        zip_mb = os.path.getsize(message) / 1e6
    read = min(reads, key=lambda f: f["seconds"])
    checked = min(validations, key=lambda f: f["seconds"])
    print(f"goods={options.goods} version={options.version} objects={written['objects']:.0f} zip={zip_mb:.1f} MB")
    print(f"{'phase':34s} {'wall s':>8s} {'x read':>8s} {'CPU s':>8s} {'x read':>8s} {'peak RSS MB':>12s}")
    for label, figures in (
        ("unzip + read + validate (reader)", read),
        ("unzip + ed validate", checked),
        ("ref: unzip + iterparse only", parse),
    ):
        print(
            f"{label:34s} {figures['seconds']:8.2f} {figures['seconds'] / read['seconds']:8.2f} "
            f"{figures['cpu']:8.2f} {figures['cpu'] / read['cpu']:8.2f} {figures['rss_mb']:12.0f}"
        )
    print("all runs (wall s): read " + ", ".join(f"{f['seconds']:.2f}" for f in reads)
          + "; validate " + ", ".join(f"{f['seconds']:.2f}" for f in validations))  # fmt: skip


if __name__ == "__main__":
    main()
