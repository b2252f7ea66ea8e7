"""A 1С:Мобильная касса's whole life over real HTTP, zeep reading our WSDL, on both services and both databases:
register, QR, first download, upload of a shift with receipts and an order state, acknowledgements, incremental
downloads with exactly the changes, repeated messages that change nothing, and two devices with their own orders."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from zeep.transports import Transport

from kassa_server import enterprisedata as ed
from kassa_server.admin.demo import DEMO_LOGIN, DEMO_PASSWORD, seed_demo
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.app import create_app
from kassa_server.exchange.qr import device_qr_string, qr_png
from kassa_server.models import CashRegister, CustomerOrder, Infobase, Price, Product, Receipt, Shift
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import OrderStatus, ReceiptKind
from kassa_server.settings import Settings
from tests.exchange import device_messages as dm
from tests.live_server import live_server

PLAN = dm.PLAN
FIRST = "0000000001012345"
SECOND = "0000000002000002"


class Device:
    """The app's side of one service: download and upload whole messages through the SOAP calls of the spec."""

    def __init__(self, base_url: str, service: str, code: str, chunk_kb: int = 1) -> None:
        session = requests.Session()
        session.auth = (DEMO_LOGIN.encode("utf-8"), DEMO_PASSWORD.encode("utf-8"))
        client = zeep.Client(f"{base_url}/kassa/ws/{service}?wsdl", transport=Transport(session=session))
        self.svc = client.bind(service, f"{service}Soap")
        self.service = service
        self.code = code
        self.chunk_kb = chunk_kb

    def download(self) -> bytes:
        if self.service == "EnterpriseDataExchange_1_0_1_1":
            operation = self.svc.PrepareDataForGetting(PLAN, self.code, self.chunk_kb)["OperationID"]
            result = _poll(lambda: self.svc.PrepareDataActionResult(operation)["return"])
            assert result["Status"] == "Completed", result
            parts = [self.svc.GetDataPart(result["FileID"], n)["return"] for n in range(1, result["PartCount"] + 1)]
            self.svc.ConfirmGettingFile(result["FileID"], True)
        else:
            upload = self.svc.UploadData(PLAN, self.code, "", False, "", False)
            prepared = self.svc.PrepareGetFile(upload["FileID"], self.chunk_kb)
            parts = [
                self.svc.GetFilePart(prepared["TransferId"], n)["PartData"]
                for n in range(1, prepared["PartQuantity"] + 1)
            ]
            self.svc.ReleaseFile(prepared["TransferId"])
        with zipfile.ZipFile(io.BytesIO(b"".join(parts))) as archive:
            return archive.read(archive.infolist()[0])

    def upload(self, message: bytes) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("data.xml", message)
        payload = buffer.getvalue()
        step = self.chunk_kb * 1024
        pieces = [payload[i : i + step] for i in range(0, len(payload), step)]
        file_id = str(uuid.uuid4())
        for number, piece in enumerate(pieces, start=1):
            self.svc.PutFilePart(file_id, number, piece)
        if self.service == "EnterpriseDataExchange_1_0_1_1":
            operation = self.svc.PutData(PLAN, self.code, file_id)["OperationID"]
            status = _poll(lambda: {"Status": self.svc.PutDataActionResult(operation)["return"]})
            assert status["Status"] == "Completed", status
        else:
            saved = self.svc.SaveFileFromParts(file_id, len(pieces))
            self.svc.DownloadData(PLAN, self.code, str(saved["FileId"]), False, "", False)


def _poll(call: Any) -> Any:
    for _ in range(100):
        result = call()
        if result["Status"] != "Active":
            return result
        time.sleep(0.05)
    raise AssertionError("the operation stayed Active")


def _read(xml: bytes) -> tuple[ed.Header, list[Any]]:
    reader = ed.read_message(io.BytesIO(xml), strict=True)  # every object validated against its version's XSD
    return reader.header, list(reader)


def _message(head: ed.Header, objects: list[Any]) -> bytes:
    return dm.message(head, objects).getvalue()


@pytest.fixture
def shop(db_url: str) -> Iterator[tuple[str, Any]]:
    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        seed_demo(session)
        infobase = session.scalars(select(Infobase)).one()
        register_device(session, infobase, DeviceInput(SECOND, name="Касса 2"))
    with live_server(create_app(Settings(database_url=db_url))) as base_url:
        with sessions.begin() as session:  # «Адрес в интернете»: where this server is published
            session.scalars(select(Infobase)).one().public_url = f"{base_url}/kassa"
        yield base_url, sessions
    engine.dispose()


@pytest.mark.parametrize("service", ["EnterpriseDataExchange_1_0_1_1", "Exchange_2_0_1_6"])
def test_a_device_lives_its_whole_life_over_http(shop: tuple[str, Any], service: str) -> None:
    base_url, sessions = shop
    # the QR the app scans
    with sessions() as session:
        infobase = session.scalars(select(Infobase)).one()
        own_code = infobase.node_code
        text = device_qr_string(infobase, FIRST, FIRST, DEMO_LOGIN)
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(text))))]
    assert decoded == [f"{base_url}/kassa;0000000001012345;0JrQsNGB0YHQuNGA;"]

    device = Device(base_url, service, FIRST)
    assert device.svc.TestConnection(PLAN, FIRST)["return"] is True

    # 1. the first download: the whole shop, validated against the 1.8 XSD while read
    head, objects = _read(device.download())
    assert (head.format_version, head.message_no, head.to_code, head.from_code) == ("1.8", 1, FIRST, own_code)
    counts = Counter(type(o).__name__ for o in objects)
    assert counts["Item"] == 55 and counts["CustomerOrder"] == 3 and counts["CashRegister"] == 1
    register_key = next(o for o in objects if isinstance(o, ed.CashRegister))
    milk = next(o for o in objects if isinstance(o, ed.Item) and o.name == "Молоко 3,2% 1 л")
    order = next(o for o in objects if isinstance(o, ed.CustomerOrder))
    order_key = ed.CustomerOrder(ref=order.ref, date=order.date, number=order.number, organization=order.organization)

    # 2. a shift with a cash sale, a card sale paying an order, a return, and the order's state: in 1.21
    key = ed.CashRegister(
        ref=register_key.ref, name=register_key.name, organization=register_key.organization, registration_number=FIRST
    )
    item = ed.Item(ref=milk.ref, name=milk.name)
    cash = dm.sale(key, item, amount="89.90")
    card = dm.sale(key, item, amount="179.80", card=True, order=order_key)
    back = dm.refund(key, item, cash, amount="89.90")
    state = ed.OrderState(ref=uuid.uuid4(), order=order_key, state=ed.OrderStatus.DONE, name="done")
    upload = _message(
        dm.header("1.21", from_code=FIRST, to_code=own_code, message_no=1, received_no=1),
        [dm.shift_opening(key), cash, card, back, state, dm.shift_closing(key, "179.80")],
    )
    device.upload(upload)
    device.upload(upload)  # the same message again: a duplicate, nothing changes
    with sessions() as session:
        receipts = session.scalars(select(Receipt).order_by(Receipt.date)).all()
        assert sorted((r.kind, r.amount, r.card_amount) for r in receipts) == sorted(
            [
                (ReceiptKind.SALE, Decimal("89.90"), Decimal("0.00")),
                (ReceiptKind.SALE, Decimal("179.80"), Decimal("179.80")),
                (ReceiptKind.RETURN, Decimal("89.90"), Decimal("0.00")),
            ]
        )
        assert session.scalar(select(func.count()).select_from(Shift)) == 1
        paid = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one()
        assert paid.paid and paid.status == OrderStatus.COMPLETED

    # 3. the next download acknowledges the upload and speaks 1.21; the order that left the filter was completed by
    # this very device, so its final state does not echo back to it (issue 9 §1); the stock its receipts moved does
    # come back (the back office's stock, not an echo)
    head, objects = _read(device.download())
    assert (head.format_version, head.message_no, head.received_no) == ("1.21", 2, 1)
    assert [type(o).__name__ for o in objects] == ["StockSnapshot"]
    device.upload(_message(dm.header("1.21", from_code=FIRST, to_code=own_code, message_no=2, received_no=2), []))
    head, objects = _read(device.download())
    assert head.message_no == 3 and objects == []  # nothing changed since the acknowledged message
    device.upload(_message(dm.header("1.21", from_code=FIRST, to_code=own_code, message_no=3, received_no=3), []))

    # 4. back-office edits: a rename, a price, an order entering the filter, an order moving to the other device
    with sessions.begin() as session:
        product = session.scalars(select(Product).where(Product.ref == milk.ref)).one()
        product.name = "Молоко 3,2% 0,9 л"
        session.scalars(select(Price).where(Price.product_id == product.id)).one().value = Decimal("84.90")
        entering = session.scalars(
            select(CustomerOrder).where(
                CustomerOrder.status == OrderStatus.NEW, CustomerOrder.cash_register_id.is_not(None)
            )
        ).one()
        entering.status = OrderStatus.IN_TRANSIT
        moving = session.scalars(
            select(CustomerOrder).where(
                CustomerOrder.status == OrderStatus.ASSEMBLED, CustomerOrder.cash_register_id.is_not(None)
            )
        ).one()
        second = session.scalars(select(CashRegister).where(CashRegister.factory_number == SECOND)).one()
        moving.cash_register_id = second.id
        entering_ref, moving_ref = entering.ref, moving.ref
    head, objects = _read(device.download())
    summary = Counter(type(o).__name__ for o in objects)
    assert summary == Counter({"Item": 1, "PriceList": 1, "Counterparty": 1, "CustomerOrder": 1, "OrderState": 2})
    assert next(o for o in objects if isinstance(o, ed.Item)).name == "Молоко 3,2% 0,9 л"
    assert [r.price for r in next(o for o in objects if isinstance(o, ed.PriceList)).rows] == [Decimal("84.90")]
    assert next(o for o in objects if isinstance(o, ed.CustomerOrder)).ref == entering_ref
    withdrawn = [o for o in objects if isinstance(o, ed.OrderState) and o.order.ref == moving_ref]
    assert len(withdrawn) == 1  # the final state goes to the device that held the order
    again_head, again = _read(device.download())  # not acknowledged yet: the same changes again, numbered anew
    assert again_head.message_no == head.message_no + 1 and Counter(type(o).__name__ for o in again) == summary

    # 5. the other device sees only its own orders, the moved one among them
    other = Device(base_url, service, SECOND)
    _, theirs = _read(other.download())
    mine = {o.ref for o in objects if isinstance(o, ed.CustomerOrder)}
    their_orders = {o.ref for o in theirs if isinstance(o, ed.CustomerOrder)}
    assert moving_ref in their_orders and not mine & their_orders
    assert next(o for o in theirs if isinstance(o, ed.CashRegister)).registration_number == SECOND


def test_ci_can_read_back_what_a_device_did(shop: tuple[str, Any], db_url: str) -> None:
    """`kassa-server journal` and `kassa-server receipts` show the calls and receipts, as JSON for assertions."""
    import json

    from tests.test_cli import kassa

    base_url, _sessions = shop
    device = Device(base_url, "EnterpriseDataExchange_1_0_1_1", FIRST)
    head, objects = _read(device.download())
    register_key = next(o for o in objects if isinstance(o, ed.CashRegister))
    milk = next(o for o in objects if isinstance(o, ed.Item) and o.name == "Молоко 3,2% 1 л")
    key = ed.CashRegister(
        ref=register_key.ref, name=register_key.name, organization=register_key.organization, registration_number=FIRST
    )
    receipt = dm.sale(key, ed.Item(ref=milk.ref, name=milk.name), amount="89.90", card=True)
    device.upload(
        _message(dm.header("1.21", from_code=FIRST, to_code=head.from_code, message_no=1, received_no=1), [receipt])
    )

    receipts = kassa(db_url, "receipts", "--infobase", "kassa", "--json")
    assert receipts.returncode == 0, receipts.stderr
    [row] = json.loads(receipts.stdout)
    assert (row["ref"], row["register"], row["kind"], row["amount"], row["card"]) == (
        str(receipt.ref),
        FIRST,
        "sale",
        "89.90",
        "89.90",
    )
    assert row["lines"] == [
        {
            "product": "Молоко 3,2% 1 л",
            "quantity": "1.000",
            "amount": "89.90",
            "characteristic": None,
            "characteristic_ref": None,
        }
    ]
    assert row["discount_card"] is None and row["payments"][0]["kind"] == "card"

    journal = kassa(db_url, "journal", "--infobase", "kassa", "--json", "--bodies")
    assert journal.returncode == 0, journal.stderr
    calls = json.loads(journal.stdout)
    soap = [c for c in calls if c["outcome"] not in ("wsdl", "ping")]  # WSDL downloads are journaled too
    assert any(c["outcome"] == "wsdl" and c["operation"] == "" for c in calls)
    operations = [c["operation"] for c in soap if c["service"] == "EnterpriseDataExchange_1_0_1_1"]
    assert operations[:2] == ["PrepareDataForGetting", "PrepareDataActionResult"]
    assert "PutData" in operations and all(c["login"] == DEMO_LOGIN for c in calls if c["operation"])
    put = next(c for c in calls if c["operation"] == "PutData")
    assert put["node"] == FIRST and put["outcome"] == "ok" and FIRST in put["request"]
    text_out = kassa(db_url, "journal", "--infobase", "kassa", "--limit", "1")
    assert len(text_out.stdout.splitlines()) == 1


@pytest.mark.parametrize("service", ["EnterpriseDataExchange_1_0_1_1", "Exchange_2_0_1_6"])
def test_a_device_order_with_new_goods_and_its_state_never_echoes(shop: tuple[str, Any], service: str) -> None:
    """Issue 9 «Done when»: a device creates an order with a state and goods the server did not know; nothing of it
    comes back to that device, the other device that held an order gets its state change, and the stored totals
    equal the device's."""
    base_url, sessions = shop
    first, second = Device(base_url, service, FIRST), Device(base_url, service, SECOND)
    head, mine = _read(first.download())  # FIRST now holds the shop's orders
    own_code = head.from_code or ""
    held = next(o for o in mine if isinstance(o, ed.CustomerOrder))
    first.upload(_message(dm.header("1.21", from_code=FIRST, to_code=own_code, message_no=1, received_no=1), []))
    with sessions.begin() as session:  # the back office hands one of them to SECOND
        row = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == held.ref)).one()
        row.cash_register_id = (
            session.scalars(select(CashRegister).where(CashRegister.factory_number == SECOND)).one().id
        )
    head, withdrawn = _read(first.download())
    first.upload(
        _message(dm.header("1.21", from_code=FIRST, to_code=own_code, message_no=2, received_no=head.message_no), [])
    )
    _, objects = _read(second.download())
    assert held.ref in {o.ref for o in objects if isinstance(o, ed.CustomerOrder)}
    register = next(o for o in objects if isinstance(o, ed.CashRegister))
    key = ed.CashRegister(
        ref=register.ref, name=register.name, organization=register.organization, registration_number=SECOND
    )
    held_key = ed.CustomerOrder(ref=held.ref, date=held.date, number=held.number, organization=held.organization)

    pie = ed.Item(ref=uuid.uuid4(), name="Пирожок с капустой", code="МК-0001")  # the server does not know it
    customer = ed.Counterparty(ref=uuid.uuid4(), name="Сидоров", legal_form=ed.LegalForm.INDIVIDUAL)
    value = Decimal("135.00")
    order = ed.CustomerOrder(
        ref=uuid.uuid4(),
        number="МК-1",
        date=dm.header("1.21", from_code=SECOND, to_code=None, message_no=1, received_no=0).creation_date,
        organization=key.organization,
        currency=ed.Currency(code="643", name="руб."),
        amount=value,
        counterparty=customer,
        goods=[
            ed.OrderGoodsRow(
                line_no=1, goods=ed.GoodsData(item=pie), quantity=Decimal(3), price=Decimal(45), amount=value
            )
        ],
    )
    order_key = ed.CustomerOrder(ref=order.ref, date=order.date, number=order.number, organization=order.organization)
    body = [
        ed.OrderState(ref=uuid.uuid4(), order=order_key, state=ed.OrderStatus.CONFIRMED, name="принят"),  # before it
        order,
        ed.OrderState(ref=uuid.uuid4(), order=held_key, state=ed.OrderStatus.DONE, name="выполнен"),
    ]
    second.upload(_message(dm.header("1.21", from_code=SECOND, to_code=own_code, message_no=1, received_no=1), body))
    with sessions() as session:
        stored = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == order.ref)).one()
        assert stored.amount == value == sum(line.amount for line in stored.lines)
        assert [(line.product.ref, line.quantity) for line in stored.lines] == [(pie.ref, Decimal(3))]
        assert stored.counterparty is not None and stored.counterparty.ref == customer.ref
        done = session.scalars(select(CustomerOrder).where(CustomerOrder.ref == held.ref)).one()
        assert done.status == OrderStatus.COMPLETED

    head, echoed = _read(second.download())
    assert head.received_no == 1
    assert not [o for o in echoed if isinstance(o, ed.Item | ed.Counterparty | ed.CustomerOrder | ed.OrderState)]
    _, other = _read(first.download())
    states = [o for o in other if isinstance(o, ed.OrderState)]
    assert [(s.order.ref, s.state) for s in states] == [(held.ref, ed.OrderStatus.DONE)]  # it held that order
    assert order.ref not in {o.ref for o in other if isinstance(o, ed.CustomerOrder)}  # SECOND's own order
    assert pie.ref in {o.ref for o in other if isinstance(o, ed.Item)}  # the new goods reach the other device
    assert withdrawn  # FIRST was told when the order left it


def test_a_message_for_another_infobase_fails_with_ssls_text_over_http(shop: tuple[str, Any]) -> None:
    """Issue 9 §4 on the wire: the long operation ends Failed with SSL's error 178 text and nothing is applied."""
    base_url, sessions = shop
    device = Device(base_url, "EnterpriseDataExchange_1_0_1_1", FIRST)
    _head, objects = _read(device.download())
    register = next(o for o in objects if isinstance(o, ed.CashRegister))
    milk = next(o for o in objects if isinstance(o, ed.Item))
    key = ed.CashRegister(
        ref=register.ref, name=register.name, organization=register.organization, registration_number=FIRST
    )
    wrong = dm.header("1.21", from_code=FIRST, to_code="another-infobase", message_no=1, received_no=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.xml", _message(wrong, [dm.sale(key, ed.Item(ref=milk.ref, name=milk.name), amount="1.00")])
        )
    file_id = str(uuid.uuid4())
    device.svc.PutFilePart(file_id, 1, buffer.getvalue())
    operation = device.svc.PutData(PLAN, FIRST, file_id)["OperationID"]
    result = device.svc.PutDataActionResult(operation)
    assert (result["return"], result["ErrorMessage"]) == (
        "Failed",
        "Получатель из сообщения обмена не соответствует ожидаемому.",
    )
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Receipt)) == 0
