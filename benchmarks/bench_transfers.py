"""Peak RSS of the server process for hostile-sized transfers (issue 14, items 8 and 9).

```
python benchmarks/bench_transfers.py                     # SQLite; --database-url for PostgreSQL
python benchmarks/bench_transfers.py --message-mib 100 --part-mib 40 --parallel 4
```

Cases, each against a fresh ``kassa-server serve`` (its VmHWM reset before every case):

* **zip / exchange**: a ZIP whose single entry inflates to ``--message-mib`` MiB at about 120:1 (a valid message
  header, a Body padded with comments) goes up in 1 MiB parts: ``PutFilePart`` × N, ``SaveFileFromParts``,
  ``DownloadData``.
* **zip / ede**: the same ZIP through ``PutFilePart`` × N and ``PutData``.
* **over the cap**: a ZIP inflating to ``--bomb-mib`` MiB (default 1000) through ``SaveFileFromParts``.
* **parts**: ``--parallel`` clients each send one ``--part-mib`` MiB part at once (``PutFilePart``).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import random
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import EDE, EXCHANGE, LOGIN, PASSWORD, PLAN, ServerProcess, fresh_database, machine, seed_shop

NAMESPACES = {
    EXCHANGE: "http://www.1c.ru/SSL/Exchange_2_0_1_6",
    EDE: "http://www.1c.ru/SSL/EnterpriseDataExchange_1_0_1_1",
}
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<Message xmlns:msg="http://www.1c.ru/SSL/Exchange/Message" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<msg:Header><msg:Format>http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8</msg:Format>"
    "<msg:CreationDate>2026-11-30T12:00:00</msg:CreationDate>"
    "<msg:Confirmation><msg:ExchangePlan>{plan}</msg:ExchangePlan><msg:To>our</msg:To><msg:From>{node}</msg:From>"
    "<msg:MessageNo>{no}</msg:MessageNo><msg:ReceivedNo>0</msg:ReceivedNo></msg:Confirmation>"
    "<msg:AvailableVersion>1.8</msg:AvailableVersion></msg:Header>"
    '<Body xmlns="http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8">'
)


def padded_message_zip(path: Path, mib: int, node: str, message_no: int) -> tuple[int, int]:
    """Write the ZIP to ``path``; (inflated bytes, zipped bytes). About 120:1, under the 200:1 ratio limit."""
    rng = random.Random(mib)
    rows = [
        ("<!--" + "".join("y" * 600 + f"{rng.getrandbits(16):04x} " for _ in range(100)) + "-->\n").encode()
        for _ in range(64)
    ]
    block = b"".join(rows)
    total = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("data.xml", "w") as entry:
        head = HEADER.format(plan=PLAN, node=node, no=message_no).encode()
        entry.write(head)
        total += len(head)
        while total < mib * 2**20:
            entry.write(block)
            total += len(block)
        entry.write(b"</Body></Message>")
        total += 17
    return total, path.stat().st_size


def envelope(service: str, operation: str, **args: str) -> bytes:
    ns = NAMESPACES[service]
    inner = "".join(f"<m:{k}>{v}</m:{k}>" for k, v in args.items())
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:m="{ns}"><soap:Body><m:{operation}>{inner}</m:{operation}></soap:Body></soap:Envelope>'
    ).encode()


def call(base_url: str, service: str, operation: str, **args: str) -> requests.Response:
    return requests.post(
        f"{base_url}/kassa/ws/{service}",
        data=envelope(service, operation, **args),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        auth=(LOGIN.encode(), PASSWORD.encode()),
        timeout=600,
    )


def outcome(response: requests.Response) -> str:
    if response.status_code == 200:
        return "200"
    text = response.text
    start = text.find("<faultstring>")
    return f"{response.status_code} {text[start + 13 : text.find('</faultstring>')][:90] if start >= 0 else text[:90]}"


def put_parts(base_url: str, service: str, key: str, data: bytes, part: int) -> None:
    for number, offset in enumerate(range(0, len(data), part), start=1):
        chunk = base64.b64encode(data[offset : offset + part]).decode()
        name = "TransferId" if service == EXCHANGE else "FileID"
        response = call(base_url, service, "PutFilePart", **{name: key, "PartNumber": str(number), "PartData": chunk})
        assert response.status_code == 200, outcome(response)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--message-mib", type=int, default=100)
    parser.add_argument("--bomb-mib", type=int, default=1000)
    parser.add_argument("--part-mib", type=int, default=40)
    parser.add_argument("--parallel", type=int, default=4)
    options = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp_name, fresh_database(options.database_url, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        shop = seed_shop(url, goods=0, devices=1)
        node = shop.factory_numbers[0]
        with ServerProcess(url, tmp) as server:
            base = server.base_url
            print(f"idle server: {server.rss_mb():.0f} MB")

            inflated, zipped = padded_message_zip(tmp / "m1.zip", options.message_mib, node, 1)
            data = (tmp / "m1.zip").read_bytes()
            server.reset_peak()
            print(f"  (RSS before the next case: {server.rss_mb():.0f} MB)")
            transfer = str(uuid.uuid4())
            put_parts(base, EXCHANGE, transfer, data, 1 << 20)
            saved = call(
                base, EXCHANGE, "SaveFileFromParts", TransferId=transfer, PartQuantity=str(-(-zipped // 2**20))
            )
            file_id = saved.text.split("FileId>")[1].split("<")[0] if saved.status_code == 200 else ""
            download = call(
                base,
                EXCHANGE,
                "DownloadData",
                ExchangePlanName=PLAN,
                NodeCode=node,
                FileID=file_id,
                ContinuousOperationAllowed="false",
            )
            print(
                f"zip/exchange: {inflated / 2**20:.0f} MiB inflated from {zipped / 2**20:.1f} MiB: "
                f"save {outcome(saved)}, download {outcome(download)}; peak RSS {server.peak_rss_mb():.0f} MB"
            )

            padded_message_zip(tmp / "m2.zip", options.message_mib, node, 2)
            data = (tmp / "m2.zip").read_bytes()
            server.reset_peak()
            print(f"  (RSS before the next case: {server.rss_mb():.0f} MB)")
            key = str(uuid.uuid4())
            put_parts(base, EDE, key, data, 1 << 20)
            put = call(base, EDE, "PutData", ExchangePlanName=PLAN, PeerCode=node, FileID=key)
            print(f"zip/ede: PutData {outcome(put)}; peak RSS {server.peak_rss_mb():.0f} MB")

            inflated, zipped = padded_message_zip(tmp / "bomb.zip", options.bomb_mib, node, 3)
            data = (tmp / "bomb.zip").read_bytes()
            server.reset_peak()
            print(f"  (RSS before the next case: {server.rss_mb():.0f} MB)")
            transfer = str(uuid.uuid4())
            put_parts(base, EXCHANGE, transfer, data, 1 << 20)
            saved = call(
                base, EXCHANGE, "SaveFileFromParts", TransferId=transfer, PartQuantity=str(-(-zipped // 2**20))
            )
            print(
                f"over the cap: {inflated / 2**20:.0f} MiB from {zipped / 2**20:.1f} MiB: save {outcome(saved)}; "
                f"peak RSS {server.peak_rss_mb():.0f} MB"
            )

            part = base64.b64encode(random.randbytes(options.part_mib * 2**20)).decode()
            server.reset_peak()
            print(f"  (RSS before the next case: {server.rss_mb():.0f} MB)")
            with concurrent.futures.ThreadPoolExecutor(options.parallel) as pool:
                answers = list(
                    pool.map(
                        lambda _: outcome(
                            call(
                                base,
                                EXCHANGE,
                                "PutFilePart",
                                TransferId=str(uuid.uuid4()),
                                PartNumber="1",
                                PartData=part,
                            )
                        ),
                        range(options.parallel),
                    )
                )
            print(
                f"parts: {options.parallel} × {options.part_mib} MiB at once: {answers}; "
                f"peak RSS {server.peak_rss_mb():.0f} MB"
            )


if __name__ == "__main__":
    main()
