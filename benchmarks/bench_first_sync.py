"""A device's cold first sync of a big catalogue over each service, beside the lxml floor of the same message.

Usage: python benchmarks/bench_first_sync.py [--goods 100000] [--part-kb 1024] [--services ede,exchange]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres] [--profile DIR]

1. Seeds a fresh database (SQLite file by default; a new database in the given PostgreSQL cluster otherwise): 220
   groups in two levels, 3 units, N goods with one barcode and one price each (bulk inserts, then one change_seq).
2. For each service, starts the server as its own process (``python -m kassa_server serve`` on 127.0.0.1), lets the
   simulator's flow fetch the WSDL and ping, resets the server's peak RSS, then runs the receive half of a first
   sync for a registered device that never synced: EnterpriseDataExchange_1_0_1_1 ``PrepareDataForGetting`` →
   ``PrepareDataActionResult`` → ``GetDataPart`` 1…N → ``ConfirmGettingFile``; Exchange_2_0_1_6 ``UploadData`` →
   ``PrepareGetFile`` → ``GetFilePart`` 1…N → ``ReleaseFile``; then unzips the message.
   * prepare = the calls that build the message (PrepareDataForGetting + PrepareDataActionResult; UploadData +
     PrepareGetFile), timed at the client;
   * end-to-end = from the first call to the unzipped message in the client's hands;
   * server peak RSS = the kernel's VmHWM of the server process during the sync (reset after warm-up);
   * server CPU = the server process's CPU seconds during the sync, beside the floor's: on a shared machine the
     CPU ratio is steadier than the wall-clock one.
3. The floor: in a fresh interpreter, lxml builds the same number of elements in the same number of objects (leaf
   texts padded to the same XML size), serializes them with ``xmlfile`` and zips them. Ratios are against it.

With ``--profile DIR`` the server runs under py-spy (DIR/first-sync-<service>.txt, collapsed stacks; the profile
includes start-up and warm-up, and the sampling slows the server: take figures from a run without it).
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from io import BytesIO
from pathlib import Path

import _support as s

from kassa_server.simulator import CallRecorder
from kassa_server.simulator.flows import make_flow

PREPARE = {
    "ede": ("PrepareDataForGetting", "PrepareDataActionResult"),
    "exchange": ("UploadData", "GetContinuousOperationStatus", "PrepareGetFile"),
}


def sync_once(shop: s.Shop, service: str, factory_number: str, part_kb: int, tmp: Path, profile: Path | None) -> dict:
    if profile is not None:
        profile.mkdir(parents=True, exist_ok=True)
    out = profile / f"first-sync-{service}.txt" if profile is not None else None
    with s.ServerProcess(shop.database_url, tmp, profile=out) as server:
        recorder = CallRecorder()
        flow = make_flow(service, s.connection(server.base_url, factory_number), recorder, part_kb=part_kb,
                         poll_interval=0.1, timeout=1800)  # fmt: skip
        flow.check()  # WSDL + Ping: not part of the figure
        idle_mb = server.rss_mb()
        server.reset_peak()
        recorder.operations.clear()
        cpu0 = server.cpu_seconds()
        started = time.perf_counter()
        payload = flow.receive()
        with zipfile.ZipFile(BytesIO(payload)) as archive:
            xml = archive.read(archive.infolist()[0])
        end_to_end = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu0
        peak_mb = server.peak_rss_mb()
        flow.close()
    service_name = s.SERVICES[service]
    prepare = sum(sum(recorder.operations.get(f"{service_name}.{op}", [])) for op in PREPARE[service])
    parts = sum(len(v) for k, v in recorder.operations.items() if k.endswith(("GetDataPart", "GetFilePart")))
    return {
        "prepare": prepare,
        "end_to_end": end_to_end,
        "server_cpu": cpu,
        "idle_mb": idle_mb,
        "peak_mb": peak_mb,
        "zip_bytes": len(payload),
        "parts": parts,
        "xml": xml,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--goods", type=int, default=100_000)
    parser.add_argument("--part-kb", type=int, default=1024)
    parser.add_argument("--services", default="ede,exchange")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL cluster URL; default: a SQLite file")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the server during each sync into DIR")
    options = parser.parse_args()
    services = [name.strip() for name in options.services.split(",") if name.strip()]
    print(s.machine())
    print("command: python " + " ".join(sys.argv))
    with s.tempdir() as tmp_name:
        tmp = Path(tmp_name)
        with s.fresh_database(options.database_url, tmp) as url:
            started = time.perf_counter()
            shop = s.seed_shop(url, goods=options.goods, devices=len(services))
            print(
                f"database: {url.split('@')[-1]}; seeded {options.goods} goods in {time.perf_counter() - started:.1f} s"
            )
            rows = []
            for service, factory_number in zip(services, shop.factory_numbers, strict=True):
                result = sync_once(shop, service, factory_number, options.part_kb, tmp, options.profile)
                shape = s.message_shape(result.pop("xml"))
                floor_seconds, floor_cpu, floor_mb = s.floor_in_subprocess(shape)
                rows.append((service, result, shape, floor_seconds, floor_cpu, floor_mb))
    print(f"{'service':9s} {'objects':>8s} {'elements':>9s} {'XML MB':>7s} {'ZIP MB':>7s} {'parts':>5s}")
    for service, r, shape, *_floor in rows:
        print(f"{service:9s} {shape.objects:8d} {shape.elements:9d} {shape.xml_bytes / 1e6:7.1f} "
              f"{r['zip_bytes'] / 1e6:7.1f} {r['parts']:5d}")  # fmt: skip
    print(
        f"{'service':9s} {'floor s':>8s} {'prepare s':>9s} {'x floor':>7s} {'e2e s':>7s} {'x floor':>7s} "
        f"{'floor CPU':>9s} {'srv CPU':>8s} {'x floor':>7s} {'idle MB':>8s} {'peak MB':>8s} {'floor MB':>8s}"
    )
    for service, r, _shape, floor_seconds, floor_cpu, floor_mb in rows:
        print(
            f"{service:9s} {floor_seconds:8.2f} {r['prepare']:9.2f} {r['prepare'] / floor_seconds:7.1f} "
            f"{r['end_to_end']:7.2f} {r['end_to_end'] / floor_seconds:7.1f} {floor_cpu:9.2f} {r['server_cpu']:8.2f} "
            f"{r['server_cpu'] / floor_cpu:7.1f} {r['idle_mb']:8.0f} {r['peak_mb']:8.0f} {floor_mb:8.0f}"
        )
    print("goal: end-to-end <= 2.0 x floor, server peak RSS < 200 MB")


if __name__ == "__main__":
    main()
