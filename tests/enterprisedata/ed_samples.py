"""Fully filled sample objects of every type, shared by the format tests and the benchmark."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from kassa_server.enterprisedata import objects as o


def u(n: int) -> uuid.UUID:
    return uuid.UUID(int=n, version=4)


RUB = o.Currency(code="643", name="руб.")
ORG = o.Organization(
    ref=u(1), name='ООО "Ромашка"', full_name='Общество "Ромашка"', inn="7701234567", kpp="770101001",
    legal_form=o.LegalForm.LEGAL_ENTITY, gln="4600000000000", prefix="РМ", ogrn="1027700000000", okpo="12345678",
    tax_system=o.TaxSystem.GENERAL, object_state=o.ObjectState.ACTUAL,
)  # fmt: skip
PRICE_TYPE = o.PriceType(ref=u(2), name="Розничная", currency=RUB, includes_vat=True, identifier="retail")
WAREHOUSE = o.Warehouse(
    ref=u(3), name="Магазин 1", kind="Розничный", gln="4600000000017", fias_code="77000000000", premises="1",
    retail_price_type=PRICE_TYPE, address="Москва, ул. Ленина, 1",
)  # fmt: skip
REGISTER = o.CashRegister(
    ref=u(4), name="Мобильная касса 1", organization=ORG, registration_number="0000000001012345",
    warehouse=WAREHOUSE, tax_system=o.TaxSystem.SIMPLIFIED_INCOME,
)  # fmt: skip
UNIT = o.Unit(ref=u(5), code="796", name="шт", full_name="Штука")
GROUP = o.ItemGroup(ref=u(6), name="Кофе", code="00-001", parent=o.ItemGroup(ref=u(7), name="Бакалея"))
ITEM = o.Item(
    ref=u(8), full_name="Кофе зерновой 250 г", code="00-00000001", article="A-100", name="Кофе 250 г", group=GROUP,
    item_type=o.ItemType.GOODS, description="Арабика", unit=UNIT, vat=o.VatRate(Decimal(20)),
    subject_sign="Товар", weighed=False, marked=True, marking_kind="Духи", tax_system=o.TaxSystem.GENERAL,
)  # fmt: skip
KIND = o.ItemKind(ref=u(27), name="Обувь", item_type=o.ItemType.GOODS, uses_characteristics=True)
ITEM.kind = KIND
SIZE = o.ItemCharacteristic(ref=u(28), owner_item=ITEM, full_name="Кофе 250 г, молотый", name="молотый")
KIND_SIZE = o.ItemCharacteristic(ref=u(29), owner_kind=KIND, full_name="Размер 42", name="42")
GOODS = o.GoodsData(item=ITEM, barcode="4600000000024", characteristic=SIZE)
BARCODE = o.Barcode(barcode="4600000000024", records=[o.BarcodeRecord(GOODS)])
COUNTERPARTY = o.Counterparty(
    ref=u(9), name="Иванов И.И.", full_name="Иванов Иван Иванович", inn="771234567890",
    legal_form=o.LegalForm.INDIVIDUAL, okpo="0123456789",
)  # fmt: skip
PERSON = o.Person(
    ref=u(10), full_name="Петров Пётр Петрович", last_name="Петров", first_name="Пётр", middle_name="Петрович",
    birth_date=date(1990, 5, 1), code="0001", inn="771234567891", gender="Мужской",
)  # fmt: skip
CASHIER = o.User(ref=u(11), name="Петров П.П.", person=PERSON)
TERMINAL = o.AcquiringTerminal(
    ref=u(12), number="T-1", name="Терминал", acquirer=COUNTERPARTY,
    contract=o.Contract(ref=u(30), kind=o.ContractKind.OTHER, organization=ORG, counterparty=COUNTERPARTY,
                        name="Эквайринг", number="Э-1", date=date(2024, 1, 1)),
)  # fmt: skip
CARD = o.DiscountCard(
    ref=u(13), number="2000000000015", owner_counterparty=COUNTERPARTY, opened_at=datetime(2024, 1, 2, 3, 4, 5),
    program=o.LoyaltyProgram(ref=u(31), name="Скидка 5 %", bonus_currency=RUB), status="Действует",
)  # fmt: skip
STOCK = o.StockSnapshot(
    ref=u(14), date=date(2025, 3, 1), warehouse=WAREHOUSE, organization=ORG,
    rows=[o.StockRow(GOODS, Decimal("3"), Decimal("12.5"), "r1")],
)  # fmt: skip
ORDER = o.CustomerOrder(
    ref=u(15), date=datetime(2025, 3, 1, 10, 0, 0), number="ЗК-1", organization=ORG, incoming_number="42",
    currency=RUB, amount=Decimal("700"), warehouse=WAREHOUSE, counterparty=COUNTERPARTY,
    delivery_address="Москва", includes_vat=True, comment="позвонить", responsible=CASHIER,
    goods=[o.OrderGoodsRow(1, GOODS, UNIT, Decimal(2), Decimal(700), Decimal(350), o.VatRate(Decimal(20)),
                           Decimal("116.67"), "g1")],
    services=[o.OrderServiceRow(2, ITEM, Decimal(1), Decimal(100), Decimal(100), o.VatRate(None, exempt=True,
                                kind=o.VatKind.EXEMPT), None, "Доставка", "s1")],
)  # fmt: skip
ORDER_STATE = o.OrderState(
    ref=u(16), order=ORDER, name="Принят", state_date=datetime(2025, 3, 1, 0, 0, 0), state=o.OrderStatus.ACCEPTED,
    state_text="принят",
)  # fmt: skip
PAYMENT_STATE = o.OrderPaymentState(
    ref=u(17), order=ORDER, state_date=date(2025, 3, 1), payment_amount=Decimal(100), total_paid=Decimal(100),
    state=o.PaymentStatus.PARTIALLY_PAID,
)  # fmt: skip
SHIPMENT_STATE = o.OrderShipmentState(ref=u(18), order=ORDER, state_date=date(2025, 3, 1),
                                      state=o.ShipmentStatus.SHIPPED)  # fmt: skip
PRICE_LIST = o.PriceList(
    ref=u(19), date=datetime(2025, 3, 1, 9, 0, 0), number="1", price_type=PRICE_TYPE, comment="прайс",
    rows=[o.PriceRow(1, GOODS, Decimal("350"), "p1")],
)  # fmt: skip
SHIFT_KEY = dict(date=datetime(2025, 3, 1, 8, 0, 0), shift_number="58", cash_register=REGISTER, number_in_app="1")
OPERATION = o.CashOperationData(RUB, Decimal("700"), CASHIER)
SHIFT_OPENING = o.ShiftOpening(ref=u(20), cashier=CASHIER, receipt_number="1", **SHIFT_KEY)
SALE = o.Receipt(
    ref=u(21), receipt_number="15", has_cash=False, has_cashless=True, has_goods=True, is_return=False,
    in_retail_report=False, operation=OPERATION, cancelled=False,
    sales=[o.ReceiptGoodsRow(1, GOODS, UNIT, Decimal(2), Decimal(700), Decimal(350), o.VatRate(Decimal(20)),
                             Decimal("116.67"), "row-1")],
    services=[o.ReceiptServiceRow(2, GOODS, Decimal(1), Decimal(150), Decimal(150), o.VatRate(Decimal(20)),
                                  Decimal(25), "Подарочная упаковка", "row-2")],
    card_payments=[o.CardPaymentRow(Decimal(700), "Visa", "4276********1234", TERMINAL, "c1", "123456")],
    payments=[o.PaymentRow(Decimal(700), o.PaymentType.ELECTRONIC, "pay-1")],
    settlement_sign="ПередачаСПолнойОплатой", counterparty=COUNTERPARTY, taxation="ПродажаОблагаетсяНДС",
    marking_codes=[o.MarkingCodeRow(1, GOODS, "010460000000002421Xk7pQ2mA9bC3d", "row-1", "Духи")],
    order=ORDER, loyalty_card=CARD, **SHIFT_KEY,
)  # fmt: skip
RETURN = o.Receipt(
    ref=u(22), receipt_number="16", is_return=True, has_goods=True, operation=OPERATION,
    returns=[o.ReceiptReturnRow(1, GOODS, UNIT, Decimal(1), Decimal(350), Decimal(350), o.VatRate(Decimal(20)),
                                Decimal("58.33"), "15", datetime(2025, 3, 1, 18, 12, 45), SALE, "row-1")],
    payments=[o.PaymentRow(Decimal(350), o.PaymentType.CASH)], base=SALE, return_reason="Брак", **SHIFT_KEY,
)  # fmt: skip
SHIFT_CLOSING = o.ShiftClosing(ref=u(23), operation=OPERATION, receipt_number="17", **SHIFT_KEY)
DEPOSIT = o.CashDeposit(ref=u(24), operation=OPERATION, **SHIFT_KEY)
WITHDRAWAL = o.CashWithdrawal(ref=u(25), operation=OPERATION, **SHIFT_KEY)
REPORT = o.RetailReport(
    ref=u(26), date=datetime(2025, 3, 1, 23, 0, 0), number="ОРП-1", organization=ORG, shift=SHIFT_OPENING,
    currency=RUB, amount=Decimal(700), warehouse=WAREHOUSE, cash_register=REGISTER,
    sales=[o.RetailReportGoodsRow(1, GOODS, UNIT, Decimal(2), Decimal(700), Decimal(350), o.VatRate(Decimal(20)),
                                  Decimal("116.67"), "r-1")],
)  # fmt: skip

SAMPLES: dict[type, object] = {type(obj): obj for obj in (
    ORG, WAREHOUSE, REGISTER, UNIT, GROUP, KIND, SIZE, ITEM, BARCODE, PRICE_TYPE, COUNTERPARTY, PERSON, TERMINAL,
    CARD, STOCK, ORDER_STATE, PAYMENT_STATE, SHIPMENT_STATE, PRICE_LIST, ORDER, SHIFT_OPENING, SALE, SHIFT_CLOSING,
    REPORT,
    DEPOSIT, WITHDRAWAL,
)}  # fmt: skip

ALL_OBJECTS: list[object] = [*SAMPLES.values(), RETURN, KIND_SIZE]
