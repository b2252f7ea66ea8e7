"""Shared pieces of the server benchmarks: a throw-away database, a fast catalogue seed, the server as a real
process on 127.0.0.1 (with its peak RSS), the lxml floor of a message, and the bare starlette floor of the transport.

Not a benchmark by itself. ``python benchmarks/_support.py`` is not meant to be run; the floor app is served with
``uvicorn --app-dir benchmarks _support:floor_app``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import psutil
import requests
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BASE = "kassa"
LOGIN = "Кассир"
PASSWORD = "bench"
PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
EDE = "EnterpriseDataExchange_1_0_1_1"
EXCHANGE = "Exchange_2_0_1_6"
SERVICES = {"ede": EDE, "exchange": EXCHANGE}


def machine() -> str:
    """One line naming the machine, the software and the commit the figures come from."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "kassa_server"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit, dirty = "?", ""
    load = os.getloadavg()[0]
    return (
        f"{dt.datetime.now():%Y-%m-%d %H:%M}, {platform.machine()} {psutil.cpu_count()} CPUs, "
        f"load {load:.1f}, Python {platform.python_version()}, commit {commit}{' + local changes' if dirty else ''}"
    )


def peak_mb_self() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- a throw-away database --------------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(url: str | None, tmp: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``tmp``, or a new database in the PostgreSQL cluster of ``url``
    (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    if url is None or url.startswith("sqlite"):
        yield f"sqlite:///{tmp / 'bench.sqlite3'}"
        return
    name = f"kassa_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- seeding ------------------------------------------------------------------------------------------------------


@dataclass
class Shop:
    database_url: str
    goods: int
    factory_numbers: list[str] = field(default_factory=list)


def ean13(seed: int) -> str:
    body = f"2{seed:011d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def seed_shop(database_url: str, *, goods: int, devices: int, demo: bool = False, batch: int = 5000) -> Shop:
    """Migrate, then seed an infobase ``kassa`` with an organization, a store, a price type, 3 units, a two-level
    tree of groups and ``goods`` products with one barcode and one price each; register ``devices`` devices.

    Small things go through the ORM (change tracking stamps them); the bulk rows go in with Core ``insert`` and get
    one fresh ``change_seq`` by hand, and ``infobases.change_seq`` moves past it, so the change watermark of every
    node sees them exactly as if the ORM had written them (models/tracking.py). With ``demo`` the demo shop (54 goods,
    orders, counterparties) is seeded first instead of the bare organization.
    """
    from sqlalchemy import insert, select, update

    from kassa_server.admin.demo import seed_demo
    from kassa_server.admin.devices import DeviceInput, register_device
    from kassa_server.admin.infobases import add_user, create_infobase
    from kassa_server.models import (
        Barcode,
        Infobase,
        Organization,
        Price,
        PriceType,
        Product,
        ProductGroup,
        Store,
        Unit,
    )
    from kassa_server.models.engine import make_engine, make_sessionmaker, upgrade
    from kassa_server.models.enums import ProductKind, VatRate

    upgrade(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    now = dt.datetime(2026, 1, 1, 9, 0)
    shop = Shop(database_url, goods)
    with sessions.begin() as session:
        if demo:
            summary = seed_demo(session, name=BASE, login=LOGIN, password=PASSWORD, factory_number="9000000000000000")
            infobase = summary.infobase
            price_type = summary.register.price_type
            units = list(session.scalars(select(Unit).where(Unit.infobase_id == infobase.id)))
        else:
            infobase = create_infobase(session, BASE, title="Бенчмарк")
            add_user(session, infobase, LOGIN, PASSWORD, full_name="Кассир")
            organization = Organization(infobase_id=infobase.id, name="ООО «Бенчмарк»", inn="7700000000")
            store = Store(infobase_id=infobase.id, name="Склад", organization=organization)
            price_type = PriceType(infobase_id=infobase.id, name="Розничная")
            units = [
                Unit(infobase_id=infobase.id, code=code, name=short, full_name=full)
                for code, short, full in (("796", "шт", "Штука"), ("166", "кг", "Килограмм"), ("112", "л", "Литр"))
            ]
            session.add_all([organization, store, price_type, *units])
        tops = [ProductGroup(infobase_id=infobase.id, name=f"Раздел {i + 1}") for i in range(20)]
        leaves = [
            ProductGroup(infobase_id=infobase.id, name=f"Группа {i + 1}.{j + 1}", parent=top)
            for i, top in enumerate(tops)
            for j in range(10)
        ]
        session.add_all([*tops, *leaves])
        session.flush()
        ib, pt_id = infobase.id, price_type.id
        unit_ids = [u.id for u in units]
        leaf_ids = [g.id for g in leaves]
        for number in range(devices):
            register_device(session, infobase, DeviceInput(f"{number + 1:016d}", name=f"Касса {number + 1}"))
            shop.factory_numbers.append(f"{number + 1:016d}")
    if goods:
        with engine.begin() as conn:
            seq = int(conn.scalar(select(Infobase.change_seq).where(Infobase.id == ib)) or 0) + 1
            first_id = int(conn.scalar(select(Product.id).order_by(Product.id.desc()).limit(1)) or 0) + 1
            for start in range(0, goods, batch):
                numbers = range(start, min(goods, start + batch))
                ids = [first_id + n for n in numbers]
                conn.execute(
                    insert(Product),
                    [
                        {
                            "id": pid,
                            "infobase_id": ib,
                            "ref": uuid.uuid4(),
                            "name": f"Товар {n + 1} упаковка {n % 7 + 1} шт",
                            "full_name": f"Товар {n + 1} упаковка {n % 7 + 1} шт, производитель {n % 97 + 1}",
                            "article": f"A-{n + 1:06d}",
                            "code": f"{n + 1:08d}",
                            "kind": ProductKind.GOODS,
                            "unit_id": unit_ids[n % len(unit_ids)],
                            "vat_rate": VatRate.VAT20 if n % 3 else VatRate.VAT10,
                            "weighed": n % len(unit_ids) == 1,
                            "marked": False,
                            "group_id": leaf_ids[n % len(leaf_ids)],
                            "deleted": False,
                            "change_seq": seq,
                        }
                        for n, pid in zip(numbers, ids, strict=True)
                    ],
                )
                conn.execute(
                    insert(Barcode),
                    [
                        {"infobase_id": ib, "product_id": pid, "value": ean13(10_000_000 + n), "change_seq": seq}
                        for n, pid in zip(numbers, ids, strict=True)
                    ],
                )
                conn.execute(
                    insert(Price),
                    [
                        {
                            "infobase_id": ib,
                            "product_id": pid,
                            "price_type_id": pt_id,
                            "value": Decimal(50 + n % 950) + Decimal("0.90"),
                            "since": now,
                            "change_seq": seq,
                        }
                        for n, pid in zip(numbers, ids, strict=True)
                    ],
                )
            conn.execute(update(Infobase).where(Infobase.id == ib).values(change_seq=seq))
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            with engine.begin() as conn:
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence('products', 'id'), (SELECT max(id) FROM products))"
                )
    engine.dispose()
    return shop


# --- the server under test ----------------------------------------------------------------------------------------


class ServerProcess:
    """``python -m kassa_server --database-url URL serve`` on 127.0.0.1:<free port>, output to a log file."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
        profile: Path | None = None,
    ):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{self.port}.log"
        command = [sys.executable, "-m", "kassa_server", "--database-url", database_url, "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        self.profiled = profile is not None
        if profile is not None:  # py-spy starts the server itself (attaching to a running one needs ptrace rights)
            spy = str(Path(sys.executable).with_name("py-spy"))
            gil = ["--gil"] if os.environ.get("KASSA_BENCH_PROFILE_GIL") else []  # only the thread holding the GIL
            command = [spy, "record", "-o", str(profile), "-f", "raw", "-r", "100", *gil, "--", *command]
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=log_dir
        )
        self.process = psutil.Process(self.popen.pid)
        deadline = time.monotonic() + 120
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"the server exited with {self.popen.returncode}: see {self.log_path}")
            try:
                if requests.get(self.base_url + "/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start in 120 s: see {self.log_path}")
            time.sleep(0.1)

    def _processes(self) -> list[psutil.Process]:
        try:
            return [self.process, *self.process.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_mb(self) -> float:
        return sum(p.memory_info().rss for p in self._processes()) / 2**20

    def peak_rss_mb(self) -> float:
        """VmHWM (the kernel's peak RSS) of the biggest server process since the last ``reset_peak``."""
        peaks = []
        for p in self._processes():
            try:
                status = Path(f"/proc/{p.pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0)

    def reset_peak(self) -> None:
        """Start the peak over from the current RSS (Linux: ``echo 5 > /proc/PID/clear_refs``)."""
        for p in self._processes():
            with contextlib.suppress(OSError):
                Path(f"/proc/{p.pid}/clear_refs").write_text("5")

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self._processes():
            with contextlib.suppress(psutil.Error):
                times = p.cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> None:
        if self.popen.poll() is None:
            if self.profiled:  # stop the server; py-spy then writes its profile and exits
                for child in self.process.children():
                    with contextlib.suppress(psutil.Error):
                        child.send_signal(signal.SIGINT)
            else:
                self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connection(base_url: str, factory_number: str) -> Any:
    """The simulator's connection parameters of one registered device."""
    from kassa_server.simulator import ConnectionParams

    return ConnectionParams(
        server=base_url.removeprefix("http://"),
        base=BASE,
        https=False,
        user=LOGIN,
        password=PASSWORD,
        application_id=factory_number,
    )


# --- the floor of a message: lxml, the same element count, serialized and zipped ----------------------------------


@dataclass(frozen=True)
class MessageShape:
    elements: int
    objects: int
    xml_bytes: int


def message_shape(xml: bytes) -> MessageShape:
    """Elements in all, objects (children of the Body) and the size of a message."""
    elements = objects = depth = 0
    body_depth = None
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False, no_network=True, huge_tree=True)
    for offset in range(0, len(xml), 1 << 20):
        parser.feed(xml[offset : offset + (1 << 20)])
        for event, element in parser.read_events():
            if event == "start":
                depth += 1
                elements += 1
                if body_depth is None and etree.QName(element).localname == "Body":
                    body_depth = depth
                elif body_depth is not None and depth == body_depth + 1:
                    objects += 1
            else:
                depth -= 1
                if body_depth is not None and depth == body_depth:
                    element.clear()
                    parent = element.getparent()
                    while element.getprevious() is not None and parent is not None:
                        del parent[0]
    parser.close()
    return MessageShape(elements, objects, len(xml))


def build_floor_message(path: Path, shape: MessageShape) -> int:
    """lxml builds ``shape.objects`` small trees of bare elements (``shape.elements`` in all, leaf texts padded to
    the same XML size) and writes them with ``xmlfile`` straight into a ZIP member; returns the bytes written."""
    leaves = max(shape.elements - shape.objects - 1, shape.objects)
    per_object, extra = divmod(leaves, max(shape.objects, 1))
    structure = (
        len("<Body></Body>")
        + shape.objects * len("<Объект></Объект>".encode())
        + leaves * len("<Элемент></Элемент>".encode())
    )
    text_len = max(1, (shape.xml_bytes - structure) // max(leaves, 1))
    counter = 0
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("data.xml", "w") as stream,
        etree.xmlfile(stream, encoding="UTF-8") as xf,
        xf.element("Body"),
    ):
        for i in range(shape.objects):
            root = etree.Element("Объект")
            for _ in range(per_object + (1 if i < extra else 0)):
                counter += 1
                etree.SubElement(root, "Элемент").text = f"{counter:0{text_len}d}"
            xf.write(root)
    return path.stat().st_size


def floor_in_subprocess(shape: MessageShape) -> tuple[float, float, float]:
    """Run the floor in a fresh interpreter (so its peak RSS is its own): (seconds, CPU seconds, peak RSS MB)."""
    code = (
        "import sys, time, json, pathlib, tempfile, resource; sys.path.insert(0, sys.argv[1]);"
        "import _support as s;"
        "shape = s.MessageShape(*map(int, sys.argv[2:5]));"
        "cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2]);"
        "t, c = time.perf_counter(), cpu();"
        "d = tempfile.mkdtemp(); s.build_floor_message(pathlib.Path(d) / 'floor.zip', shape);"
        "print(json.dumps([time.perf_counter() - t, cpu() - c, s.peak_mb_self()]))"
    )
    here = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, str(shape.elements), str(shape.objects), str(shape.xml_bytes)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, cpu, rss = json.loads(done.stdout.strip().splitlines()[-1])
    return float(seconds), float(cpu), float(rss)


# --- the floor of the transport: a bare starlette endpoint ---------------------------------------------------------


def _floor_app() -> Any:
    """GET → the stored WSDL, POST → the stored answer: what a SOAP endpoint costs with no work behind it."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    wsdl = Path(os.environ.get("KASSA_BENCH_FLOOR_WSDL", "/dev/null")).read_bytes()
    answer = Path(os.environ.get("KASSA_BENCH_FLOOR_ANSWER", "/dev/null")).read_bytes()

    async def endpoint(request: Request) -> Response:
        if request.method == "GET":
            return Response(wsdl, media_type="text/xml; charset=utf-8")
        await request.body()
        return Response(answer, media_type="text/xml; charset=utf-8")

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


def floor_app() -> Any:
    return _floor_app()


class FloorServer:
    """The bare starlette app under uvicorn, as a separate process on 127.0.0.1, serving ``wsdl`` and ``answer``."""

    def __init__(self, wsdl: bytes, answer: bytes, tmp: Path) -> None:
        (tmp / "floor.wsdl").write_bytes(wsdl)
        (tmp / "floor-answer.xml").write_bytes(answer)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "KASSA_BENCH_FLOOR_WSDL": str(tmp / "floor.wsdl"),
            "KASSA_BENCH_FLOOR_ANSWER": str(tmp / "floor-answer.xml"),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "_support:floor_app",
            "--app-dir",
            str(Path(__file__).parent),
        ]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        self._log = (tmp / "floor.log").open("wb")
        self.popen = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.process = psutil.Process(self.popen.pid)
        deadline = time.monotonic() + 60
        while True:
            if self.popen.poll() is not None:
                raise RuntimeError(f"the floor server exited: see {tmp / 'floor.log'}")
            try:
                requests.get(self.base_url + "/", timeout=2)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def tempdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="kassa-bench-")
