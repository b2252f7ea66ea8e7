"""The simulator reads terminals, discount cards, characteristics and the stock snapshot the server writes, and its
receipts name a terminal, a discount card and a characteristic in a way every version's schema accepts and the
server's reader understands (issue 17)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from lxml import etree

from kassa_server import enterprisedata as ed
from kassa_server.simulator.documents import ReceiptLine, Vat
from kassa_server.simulator.reader import read_message
from kassa_server.simulator.versions import SUPPORTED_VERSIONS
from kassa_server.simulator.writer import OutgoingHeader, write_message

from . import factories

RUB = ed.Currency(code="643", name="руб.")
ORG = ed.Organization(ref=uuid.uuid4(), name="ИП Петров", legal_form=ed.LegalForm.INDIVIDUAL)
STORE = ed.Warehouse(ref=uuid.uuid4(), name="Магазин")
SHOES = ed.Item(ref=uuid.uuid4(), name="Кроссовки", full_name="Кроссовки беговые")
SIZE = ed.ItemCharacteristic(ref=uuid.uuid4(), owner_item=SHOES, full_name="Кроссовки, 42", name="42")
BANK = ed.Counterparty(ref=uuid.uuid4(), name="Банк", legal_form=ed.LegalForm.LEGAL_ENTITY)
TERMINAL = ed.AcquiringTerminal(ref=uuid.uuid4(), number="10020030", name="Терминал", acquirer=BANK)
CARD = ed.DiscountCard(
    ref=uuid.uuid4(), number="2000000000015", owner_counterparty=BANK, status="Действует",
    program=ed.LoyaltyProgram(name="Скидка 5 %", bonus_currency=RUB),
)  # fmt: skip
STOCK = ed.StockSnapshot(
    ref=uuid.uuid4(), date=dt.date(2026, 11, 30), warehouse=STORE, organization=ORG,
    rows=[ed.StockRow(goods=ed.GoodsData(item=SHOES, characteristic=SIZE), quantity=Decimal("8"), row_id="1"),
          ed.StockRow(goods=ed.GoodsData(item=SHOES), quantity=Decimal("1.5"), row_id="2")],
)  # fmt: skip


def _server_message(version: str) -> bytes:
    out = io.BytesIO()
    header = ed.Header(
        format_version=version, creation_date=dt.datetime(2026, 11, 30, 12, 0, 0),
        exchange_plan="СинхронизацияДанныхЧерезУниверсальныйФормат", to_code="SIM", from_code="srv", message_no=1,
        received_no=0, available_versions=list(SUPPORTED_VERSIONS),
    )  # fmt: skip
    ed.write_message(out, header, [TERMINAL, SIZE, STOCK, CARD, ed.Deletion(ed.DiscountCard, uuid.uuid4())])
    return out.getvalue()


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_reads_terminals_cards_characteristics_and_stock(version: str) -> None:
    message = read_message(_server_message(version))
    assert [t["Номер"] for t in message.terminals] == ["10020030"]
    assert message.terminals[0]["Наименование"] == "Терминал"
    assert [c["НомерКарты"] for c in message.discount_cards] == ["2000000000015"]
    assert [(ref, v["Ссылка"]) for ref, v in message.characteristics] == [(str(SHOES.ref), str(SIZE.ref))]
    stock = {(r.item_ref, r.characteristic_ref): r.quantity for r in message.stock}
    assert stock == {(str(SHOES.ref), str(SIZE.ref)): Decimal(8), (str(SHOES.ref), None): Decimal("1.5")}
    assert [d.ref_type for d in message.deletions] == ["ДисконтныеКартыСсылка"]
    assert not message.skipped


def _sized_sale() -> object:
    receipt = factories.sale(card=True, number=3)
    size = {
        "Ссылка": str(SIZE.ref),
        "ВладелецХарактеристики": {"Номенклатура": {"Ссылка": str(SHOES.ref), "Наименование": "Кроссовки"}},
        "НаименованиеПолное": "Кроссовки, 42",
    }
    item = {"Ссылка": str(SHOES.ref), "Наименование": "Кроссовки"}
    receipt.lines.append(
        ReceiptLine(item, Decimal(1), Decimal(3490), Decimal(3490), vat=Vat("20"), characteristic=size)
    )
    receipt.card_amount = receipt.total
    receipt.terminal = {"Ссылка": str(TERMINAL.ref), "Номер": "10020030"}
    receipt.discount_card = {"Ссылка": str(CARD.ref), "НомерКарты": "2000000000015"}
    return receipt


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_a_receipt_with_terminal_card_and_size_validates_and_the_server_reads_it(
    version: str, schema_for: Callable[[str], etree.XMLSchema]
) -> None:
    header = OutgoingHeader(version, "СинхронизацияДанныхЧерезУниверсальныйФормат", "SIM", "srv", 2, 1)
    data = write_message(header, [_sized_sale()])
    body = etree.fromstring(data[3:])[1]
    schema_for(version).assertValid(body[0])
    (receipt,) = list(ed.read_message(io.BytesIO(data)))
    assert isinstance(receipt, ed.Receipt)
    assert receipt.sales[-1].goods is not None and receipt.sales[-1].goods.characteristic is not None
    assert receipt.sales[-1].goods.characteristic.ref == SIZE.ref
    assert receipt.card_payments[0].terminal is not None and receipt.card_payments[0].terminal.number == "10020030"
    has_card = version not in {"1.7", "1.8"}  # КартаЛояльности exists from 1.10
    assert (receipt.loyalty_card is not None and receipt.loyalty_card.ref == CARD.ref) == has_card
