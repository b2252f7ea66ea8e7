"""Two devices sending the same receipt ``Ссылка`` at the same moment on PostgreSQL (issue 14 §16): both get an
answer, no ``UniqueViolation`` escapes, and the receipt stays with the register that committed it first (§13). Two
devices of one store selling the same goods at once: no quantity is lost (issue 12)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text

from kassa_server.admin.devices import DeviceInput
from kassa_server.admin.stock import get_stock
from kassa_server.exchange import gateway as gateway_module
from kassa_server.exchange.interface import ImportOutcome
from kassa_server.models import CashRegister, Infobase, Receipt
from tests.exchange import device_messages as dm
from tests.exchange.demo_shop import demo_shop
from tests.exchange.test_device_exchange import NODE, Shop, _item_key, _register_key

SECOND = "0000000002000002"
WAIT_SECONDS = 60


@pytest.fixture
def shop(postgres_databases: Any) -> Iterator[Shop]:
    with demo_shop(postgres_databases.create(), DeviceInput(SECOND, name="Касса 2")) as demo:
        yield Shop(demo.sessions, demo.gateway, demo.own_code)


def _race(
    shop: Shop, monkeypatch: pytest.MonkeyPatch, first: list[Any], second: list[Any]
) -> tuple[dict[str, ImportOutcome | BaseException], threading.Event]:
    """FIRST sends ``first``; once it has applied its message and not committed, SECOND sends ``second`` and FIRST is
    held until SECOND waits on a lock FIRST holds. The outcomes by node code, and whether SECOND was seen waiting."""
    blocked = threading.Event()
    holding = threading.Event()
    original = gateway_module.crashpoints.reached

    def hold_first_until_second_waits(name: str) -> None:
        original(name)
        if name != "import-applied" or threading.current_thread().name != "first":
            return
        holding.set()
        with shop.sessions() as probe:
            for _ in range(WAIT_SECONDS * 20):
                waiting = probe.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                )
                if waiting:
                    blocked.set()
                    return
                probe.rollback()
                threading.Event().wait(0.05)  # polling a server-side state, not a timing assertion

    monkeypatch.setattr(gateway_module.crashpoints, "reached", hold_first_until_second_waits)
    outcomes: dict[str, ImportOutcome | BaseException] = {}

    def send(code: str, receipts: list[Any]) -> None:
        head = dm.header("1.21", from_code=code, to_code=shop.own_code, message_no=1, received_no=0)
        try:
            outcomes[code] = shop.gateway.import_message("kassa", dm.PLAN, code, dm.message(head, receipts))
        except BaseException as exc:  # reported by the callers' assertions
            outcomes[code] = exc

    threads = [
        threading.Thread(target=send, args=(NODE, first), name="first"),
        threading.Thread(target=send, args=(SECOND, second), name="second"),
    ]
    threads[0].start()
    assert holding.wait(WAIT_SECONDS)  # SECOND starts once FIRST holds its rows
    threads[1].start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    return outcomes, blocked


def test_two_devices_sending_the_same_receipts_at_once_both_get_an_answer(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    milk = _item_key(shop, "Молоко 3,2% 1 л")
    refs = [uuid.uuid4() for _ in range(3)]
    first = [dm.sale(_register_key(shop), milk, amount="10.00", ref=ref) for ref in refs]
    second = [dm.sale(_register_key(shop, SECOND), milk, amount="20.00", ref=ref) for ref in refs]
    outcomes, blocked = _race(shop, monkeypatch, first, second)
    assert blocked.is_set(), "SECOND never waited on FIRST's receipts: the race was not reproduced"
    assert isinstance(outcomes[NODE], ImportOutcome), outcomes[NODE]
    assert isinstance(outcomes[SECOND], ImportOutcome), outcomes[SECOND]  # an answer, not a UniqueViolation
    assert sum(str(ref) in w for ref in refs for w in outcomes[SECOND].warnings) == 3  # refused one by one
    with shop.sessions() as session:
        receipts = session.scalars(select(Receipt)).all()
        assert sorted(r.ref for r in receipts) == sorted(refs)
        registers = {session.get(CashRegister, r.cash_register_id).factory_number for r in receipts}  # type: ignore[union-attr]
        assert registers == {NODE}


def test_two_devices_of_one_store_selling_the_same_goods_at_once_lose_no_quantity(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both registers are in the demo's one store. FIRST has moved the stock of its receipts and not committed;
    SECOND's message must wait for it (the infobase row, then the balances, locked in that order) and then count
    from FIRST's quantity: no sale is lost, neither message fails, and neither deadlocks."""
    milk = _item_key(shop, "Молоко 3,2% 1 л")
    with shop.sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        assert milk.ref is not None
        before = get_stock(session, infobase, None, milk.ref)
    first = [dm.sale(_register_key(shop), milk, amount="10.00") for _ in range(3)]
    second = [dm.sale(_register_key(shop, SECOND), milk, amount="10.00") for _ in range(2)]
    for sale in second:
        sale.sales[0].quantity = Decimal(2)
    outcomes, blocked = _race(shop, monkeypatch, first, second)
    assert blocked.is_set(), "SECOND never waited on FIRST's stock: the race was not reproduced"
    for code in (NODE, SECOND):
        outcome = outcomes[code]
        assert isinstance(outcome, ImportOutcome) and outcome.warnings == (), outcome
    with shop.sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        assert get_stock(session, infobase, None, milk.ref) == before - 3 - 4
        assert session.scalar(select(func.count()).select_from(Receipt)) == 5
