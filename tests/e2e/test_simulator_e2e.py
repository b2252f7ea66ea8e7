"""The simulator against our real server: uvicorn on loopback, a demo infobase, three registered devices, a few
cycles over each service; then the database must hold every receipt the devices sent, exactly once."""

from __future__ import annotations

import contextlib
import json
import shlex
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import create_engine, select, text

from kassa_server.app import create_app
from kassa_server.models import CustomerOrder, Price, Product
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Settings
from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, clear_wsdl_cache, register_devices

pytestmark = pytest.mark.slow


def _kassa(db_url: str, *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.fixture
def server_port(db_url: str, tmp_path: Path) -> Iterator[int]:
    settings = Settings(database_url=db_url)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield int(server.servers[0].sockets[0].getsockname()[1])
    server.should_exit = True
    thread.join(timeout=30)
    clear_wsdl_cache()  # the next test's server has another port, hence other WSDL URLs anyway


@pytest.mark.parametrize("service", ["ede", "exchange"])
def test_three_devices_sync_and_every_receipt_lands_once(
    service: str, db_url: str, server_port: int, tmp_path: Path
) -> None:
    _kassa(db_url, "demo", "--infobase", "kassa")
    params = ConnectionParams(f"127.0.0.1:{server_port}", "kassa", False, "Кассир", "kassa", "E2E")
    configs = [
        DeviceConfig(
            params.with_application_id(f"E2E-{service}-{n}"),
            service=service,
            state_path=tmp_path / "state" / f"{n}.json",
            receipts_per_cycle=2,
            shift_cycles=2,
            order_payment_share=1.0,
            return_share=0.5,
            poll_interval=0.05,
            timeout=60,
            seed=n,
            variant_share=0.6,
            discount_card_share=0.5,
        )
        for n in range(1, 4)
    ]
    command = shlex.join([sys.executable, "-m", "kassa_server", "--database-url", db_url]) + (
        " device add --infobase {base} --factory-number {factory_number} --name {name}"
    )
    assert register_devices(configs, command) == []

    # orders for two of the three devices; the third gets one in a status that never goes to a device
    codes = [config.factory_number for config in configs]
    with _db(db_url) as connection:
        registers = dict(connection.execute(text("SELECT factory_number, id FROM cash_registers")).tuples().all())
        free = (
            connection.execute(text("SELECT id FROM customer_orders WHERE cash_register_id IS NULL ORDER BY id"))
            .scalars()
            .all()
        )
        plan = [
            (free[0], codes[0], "agreed"),
            (free[1], codes[0], "in_transit"),
            (free[2], codes[1], "assembled"),
            (free[3], codes[2], "new"),
        ]
        for order_id, code, status in plan:
            connection.execute(
                text(
                    "UPDATE customer_orders SET cash_register_id = :r, status = :s, change_seq = change_seq + 1000 "
                    "WHERE id = :id"
                ),
                {"r": registers[code], "s": status, "id": order_id},
            )
        connection.execute(text("UPDATE infobases SET change_seq = change_seq + 1000"))
        stock_before = _stock(connection)

    first = Fleet(configs, cycles=2, interval=0).run()
    assert first.ok, first.format()

    # back-office edits through the ORM (change tracking), then the fleet resumes from its state files
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
        product = session.scalars(select(Product).where(Product.name == "Хлеб Бородинский")).one()
        product.name = "Хлеб Бородинский нарезка"
        session.scalars(select(Price).where(Price.product_id == product.id)).one().value = Decimal("61.00")
        edited_ref = str(product.ref)
        moved = session.get(CustomerOrder, free[1])
        assert moved is not None
        moved.cash_register_id = registers[codes[1]]  # from the first device to the second
    engine.dispose()

    summary = Fleet(configs, cycles=2, interval=0).run()
    assert summary.ok, summary.format()
    assert summary.cycles == 6 and summary.failed_cycles == 0
    assert summary.receipts_sent > 0
    assert summary.receipts_confirmed == summary.receipts_sent
    assert summary.documents_unconfirmed == 0
    assert summary.latencies["cycle"].count == 6
    states = {config.factory_number: json.loads(config.state_path.read_text()) for config in configs}
    sent = sum(state["receipts_sent"] for state in states.values())  # the devices' own running totals
    assert sent >= summary.receipts_sent > 0
    with _db(db_url) as connection:
        total, distinct = connection.execute(text("SELECT count(*), count(DISTINCT ref) FROM receipts")).one()
        assert total == distinct == sent  # every receipt the devices sent is in the back office exactly once
        refs = {
            code: set(
                connection.execute(
                    text(
                        "SELECT CAST(ref AS VARCHAR(40)) FROM customer_orders WHERE cash_register_id = :r "
                        "AND status IN ('agreed', 'assembled', 'in_transit')"
                    ),
                    {"r": registers[code]},
                ).scalars()
            )
            for code in codes
        }
        order_refs = dict(
            connection.execute(text("SELECT id, CAST(ref AS VARCHAR(40)) FROM customer_orders")).tuples().all()
        )
        # nothing the server sent is left unacknowledged
        unacked = (
            connection.execute(
                text(
                    "SELECT n.code FROM exchange_nodes n JOIN node_messages m"
                    " ON m.node_id = n.id AND m.message_no = n.sent_no WHERE n.acked_seq < m.max_seq"
                )
            )
            .scalars()
            .all()
        )
        assert unacked == []
        # issue 17: the receipts used a terminal, a discount card and a size, and moved the stock by what they sold
        assert connection.execute(text("SELECT count(*) FROM receipt_payments WHERE terminal_id IS NOT NULL")).scalar()
        assert connection.execute(text("SELECT count(*) FROM receipts WHERE discount_card_id IS NOT NULL")).scalar()
        assert connection.execute(
            text("SELECT count(*) FROM receipt_lines WHERE characteristic_id IS NOT NULL")
        ).scalar()
        sold = connection.execute(
            text(
                "SELECT l.product_id, l.characteristic_id, r.kind, SUM(l.quantity) FROM receipt_lines l"
                " JOIN receipts r ON r.id = l.receipt_id JOIN products p ON p.id = l.product_id"
                " WHERE p.kind = 'goods' AND NOT r.cancelled GROUP BY l.product_id, l.characteristic_id, r.kind"
            )
        ).all()
        expected = dict(stock_before)
        for product_id, characteristic_id, kind, quantity in sold:
            sign = 1 if kind == "return" else -1
            key = (product_id, characteristic_id)
            expected[key] = expected.get(key, Decimal(0)) + sign * _quantity(quantity)
        assert any(key[1] is not None and expected[key] != stock_before.get(key) for key in expected)
        assert _stock(connection) == expected

    ever = {codes[0]: {free[0], free[1]}, codes[1]: {free[1], free[2]}, codes[2]: set()}
    received_first = {codes[0]: {free[0], free[1]}, codes[1]: {free[2]}, codes[2]: set()}  # in their filter at once
    for code, state in states.items():
        held = {_uuid_text(ref) for ref in state["orders"]}
        # every order the device should see reached it, and no other
        assert {_uuid_text(ref) for ref in refs[code]} <= held
        assert held <= {_uuid_text(order_refs[i]) for i in ever[code]}
        assert {_uuid_text(order_refs[i]) for i in received_first[code]} <= held
        # the catalogue edit reached every device
        item = state["items"][next(ref for ref in state["items"] if _uuid_text(ref) == _uuid_text(edited_ref))]
        assert item["key"]["Наименование"] == "Хлеб Бородинский нарезка"
        assert item["price"] == "61.00"
    assert states[codes[2]]["orders"] == {}
    for state in states.values():  # every device got all of mobile-kassa.md §7.1
        assert state["terminals"] and state["discount_cards"] and state["stock"]
        assert any(item.get("characteristics") for item in state["items"].values())


def _stock(connection: Any) -> dict[tuple[int, int | None], Decimal]:
    rows = connection.execute(text("SELECT product_id, characteristic_id, quantity FROM stock_balances")).all()
    return {(product_id, variant): _quantity(quantity) for product_id, variant, quantity in rows}


def _quantity(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"))  # SQLite may hand a float back to a raw query


def _uuid_text(value: str) -> str:
    return str(uuid.UUID(str(value)))


@contextlib.contextmanager
def _db(db_url: str) -> Iterator[Any]:
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()
