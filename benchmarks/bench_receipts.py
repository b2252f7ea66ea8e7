"""Receipts/s for one device message of 10,000 receipts: in-process and over HTTP, beside two floors.

Usage: python benchmarks/bench_receipts.py [--receipts 10000] [--database-url postgresql+psycopg://…] [--profile]

1. Seeds a fresh database with the demo shop and two devices; starts the server as its own process on 127.0.0.1.
   Each device (the simulator's ``Device``, EnterpriseData service) makes its first sync, opens a shift and sells
   ``--receipts`` times (1–3 lines, cash or card); its outbox is then written as one numbered message, exactly as the
   device would send it (the simulator's writer).
2. HTTP: device B sends its message through ``EnterpriseDataExchange_1_0_1_1`` (``PutFilePart`` 1…N of 1 MB,
   ``PutData``, ``PutDataActionResult``); timed from the first part to the completed operation.
3. In-process: with the server stopped, ``DatabaseExchangeGateway.import_message`` of device A's message.
4. Floors, in this process: lxml ``iterparse`` of the same message (parse only, clearing as it goes), and a
   bulk insert (Core ``executemany``, one transaction, rolled back) of the very rows the import produced:
   receipts, their lines and payments.

CPU seconds are printed beside the wall-clock ones (this process for the in-process rows, the server process for
HTTP): on a shared machine the CPU figures are the steadier ones. ``--profile`` runs the in-process import under
pyinstrument and prints its call tree.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
import uuid
import zipfile
from pathlib import Path

import _support as s
from lxml import etree
from sqlalchemy import func, insert, select

from kassa_server.exchange.gateway import DatabaseExchangeGateway
from kassa_server.models import CashRegister, Receipt, ReceiptLine, ReceiptPayment
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from kassa_server.simulator import CallRecorder, Device, DeviceConfig
from kassa_server.simulator.documents import document_from_json
from kassa_server.simulator.payload import zip_message
from kassa_server.simulator.writer import OutgoingHeader, write_message


def device_with_receipts(base_url: str, factory_number: str, receipts: int) -> Device:
    device = Device(DeviceConfig(params=s.connection(base_url, factory_number), service="ede", poll_interval=0.05,
                                 timeout=1800, seed=1), CallRecorder())  # fmt: skip
    device.sync()  # the catalogue, the register, the server's node code
    device.open_shift()
    sold = 0
    while sold < receipts:
        if device.sell() is not None:
            sold += 1
    return device


def outgoing(device: Device) -> bytes:
    """The device's next message with its whole outbox, as ``Device.send`` writes it."""
    state = device.state
    header = OutgoingHeader(
        version=state.version or "1.8",
        exchange_plan=device.config.params.exchange_plan,
        sender=device.config.factory_number,
        recipient=state.server_node,
        message_no=state.sent_no + 1,
        received_no=state.received_no,
    )
    return write_message(header, [document_from_json(entry.document) for entry in state.outbox], bom=True)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def iterparse_floor(xml: bytes) -> tuple[float, float, int]:
    started, cpu0 = time.perf_counter(), cpu()
    count = 0
    for _event, element in etree.iterparse(io.BytesIO(xml), resolve_entities=False, no_network=True, huge_tree=True):
        count += 1
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]  # type: ignore[union-attr]
    return time.perf_counter() - started, cpu() - cpu0, count


def bulk_insert_floor(url: str, factory_number: str) -> tuple[float, float, int]:
    """Insert copies of the receipts (with lines and payments) imported for ``factory_number`` in one transaction
    of Core executemany statements, then roll back: what writing these rows costs with no ORM and no parsing."""
    engine = make_engine(url)
    receipts_t, lines_t, payments_t = Receipt.__table__, ReceiptLine.__table__, ReceiptPayment.__table__
    with engine.connect() as conn:
        register_id = conn.scalar(select(CashRegister.id).where(CashRegister.factory_number == factory_number))
        receipts = [
            dict(r)
            for r in conn.execute(select(receipts_t).where(receipts_t.c.cash_register_id == register_id)).mappings()
        ]
        ids = [r["id"] for r in receipts]
        lines = [dict(r) for r in conn.execute(select(lines_t).where(lines_t.c.receipt_id.in_(ids))).mappings()]
        payments = [
            dict(r) for r in conn.execute(select(payments_t).where(payments_t.c.receipt_id.in_(ids))).mappings()
        ]
        offsets = {t: int(conn.scalar(select(func.max(t.c.id))) or 0) for t in (receipts_t, lines_t, payments_t)}
        shift = offsets[receipts_t]
        for row in receipts:
            row["id"] += shift
            row["ref"] = uuid.uuid4()
        for table, rows in ((lines_t, lines), (payments_t, payments)):
            for row in rows:
                row["id"] += offsets[table]
                row["receipt_id"] += shift
        conn.rollback()  # end the reading transaction
        transaction = conn.begin()
        started, cpu0 = time.perf_counter(), cpu()
        conn.execute(insert(receipts_t), receipts)
        conn.execute(insert(lines_t), lines)
        conn.execute(insert(payments_t), payments)
        seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu0
        transaction.rollback()
    engine.dispose()
    return seconds, cpu_seconds, len(receipts) + len(lines) + len(payments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receipts", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL cluster URL; default: a SQLite file")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the in-process import")
    options = parser.parse_args()
    n = options.receipts
    print(s.machine())
    print("command: python " + " ".join(sys.argv))
    with s.tempdir() as tmp_name:
        tmp = Path(tmp_name)
        with s.fresh_database(options.database_url, tmp) as url:
            shop = s.seed_shop(url, goods=0, devices=2, demo=True)
            first, second = shop.factory_numbers
            with s.ServerProcess(url, tmp) as server:
                in_process_device = device_with_receipts(server.base_url, first, n)
                http_device = device_with_receipts(server.base_url, second, n)
                local_xml, http_xml = outgoing(in_process_device), outgoing(http_device)
                payload = zip_message(http_xml)
                flow = http_device.flow
                flow.check()
                server.reset_peak()
                cpu0 = server.cpu_seconds()
                started = time.perf_counter()
                flow.send(payload)
                http_seconds = time.perf_counter() - started
                http_cpu = server.cpu_seconds() - cpu0
                http_peak = server.peak_rss_mb()
                http_device.close()
                in_process_device.close()
            engine = make_engine(url)
            gateway = DatabaseExchangeGateway(make_sessionmaker(engine), Settings(database_url=url))
            profiler = None
            if options.profile:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.002)
                profiler.start()
            started, cpu0 = time.perf_counter(), cpu()
            outcome = gateway.import_message(s.BASE, s.PLAN, first, io.BytesIO(local_xml))
            local_seconds, local_cpu = time.perf_counter() - started, cpu() - cpu0
            if profiler is not None:
                profiler.stop()
            engine.dispose()
            parse_seconds, parse_cpu, elements = iterparse_floor(local_xml)
            insert_seconds, insert_cpu, rows = bulk_insert_floor(url, first)
            with make_engine(url).connect() as conn:
                imported = conn.scalar(select(func.count()).select_from(Receipt))
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert archive.namelist()
    print(f"database: {url.split('@')[-1] if '@' in url else 'SQLite file'}")
    print(
        f"message: {n} receipts (+1 shift opening), {elements} elements, {len(local_xml) / 1e6:.1f} MB XML, "
        f"{len(payload) / 1e6:.2f} MB zipped; message {outcome.message_no} imported, {imported} receipts in the DB"
    )
    print(f"{'':44s} {'seconds':>8s} {'receipts/s':>11s} {'x parse':>8s} {'x insert':>8s} {'CPU s':>7s}")
    for label, seconds, cpu_seconds in (
        ("floor: lxml iterparse of the message", parse_seconds, parse_cpu),
        (f"floor: Core bulk insert of the {rows} rows", insert_seconds, insert_cpu),
        ("import_message, in-process", local_seconds, local_cpu),
        ("HTTP: PutFilePart… PutData… (EDE)", http_seconds, http_cpu),
    ):
        print(f"{label:44s} {seconds:8.2f} {n / seconds:11.0f} {seconds / parse_seconds:8.1f} "
              f"{seconds / insert_seconds:8.1f} {cpu_seconds:7.2f}")  # fmt: skip
    print(
        f"CPU ratios: in-process import / (parse + insert) = {local_cpu / (parse_cpu + insert_cpu):.1f}; "
        f"HTTP server CPU / in-process CPU = {http_cpu / local_cpu:.2f}"
    )
    print(f"server over HTTP: {http_cpu:.1f} CPU s, peak RSS {http_peak:.0f} MB")
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
