"""The demo shop: one infobase with an organization, a store, goods in groups with units, barcodes and prices, a
«1С:Мобильная касса» register, orders in every status and a cashier, so a newcomer has something to sync at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.infobases import add_user, create_infobase
from kassa_server.exchange.devices import ensure_node
from kassa_server.models import (
    Barcode,
    CashRegister,
    Counterparty,
    CustomerOrder,
    Infobase,
    OrderLine,
    Organization,
    Price,
    PriceType,
    Product,
    ProductGroup,
    Store,
    Unit,
)
from kassa_server.models.enums import LegalForm, OrderStatus, ProductKind, RegisterKind, TaxSystem, VatRate

DEMO_INFOBASE = "kassa"
DEMO_LOGIN = "Кассир"
DEMO_PASSWORD = "kassa"
DEMO_FACTORY_NUMBER = "0000000001012345"

# (group path, [(name, unit code, price, vat, weighed)])
_GOODS: list[tuple[tuple[str, ...], list[tuple[str, str, str, VatRate, bool]]]] = [
    (
        ("Продукты", "Молочные"),
        [
            ("Молоко 3,2% 1 л", "796", "89.90", VatRate.VAT10, False),
            ("Кефир 1% 0,9 л", "796", "79.50", VatRate.VAT10, False),
            ("Сметана 20% 300 г", "796", "115.00", VatRate.VAT10, False),
            ("Творог 5% 200 г", "796", "129.00", VatRate.VAT10, False),
            ("Сыр Российский", "166", "749.00", VatRate.VAT10, True),
            ("Масло сливочное 82,5% 180 г", "796", "219.00", VatRate.VAT10, False),
            ("Йогурт питьевой клубника", "796", "64.90", VatRate.VAT10, False),
            ("Ряженка 4% 0,5 л", "796", "72.00", VatRate.VAT10, False),
        ],
    ),
    (
        ("Продукты", "Хлеб"),
        [
            ("Хлеб Бородинский", "796", "59.00", VatRate.VAT10, False),
            ("Батон нарезной", "796", "49.00", VatRate.VAT10, False),
            ("Лаваш армянский", "796", "45.00", VatRate.VAT10, False),
            ("Багет французский", "796", "69.00", VatRate.VAT10, False),
            ("Хлебцы ржаные", "796", "89.00", VatRate.VAT20, False),
        ],
    ),
    (
        ("Продукты", "Овощи и фрукты"),
        [
            ("Яблоки Гренни", "166", "159.00", VatRate.VAT10, True),
            ("Бананы", "166", "129.00", VatRate.VAT10, True),
            ("Картофель", "166", "39.90", VatRate.VAT10, True),
            ("Морковь", "166", "44.90", VatRate.VAT10, True),
            ("Огурцы", "166", "189.00", VatRate.VAT10, True),
            ("Помидоры", "166", "249.00", VatRate.VAT10, True),
            ("Лук репчатый", "166", "34.90", VatRate.VAT10, True),
            ("Апельсины", "166", "169.00", VatRate.VAT10, True),
        ],
    ),
    (
        ("Напитки", "Вода"),
        [
            ("Вода питьевая 0,5 л", "796", "39.00", VatRate.VAT20, False),
            ("Вода минеральная газ. 1,5 л", "796", "79.00", VatRate.VAT20, False),
            ("Вода детская 5 л", "796", "149.00", VatRate.VAT20, False),
        ],
    ),
    (
        ("Напитки", "Соки"),
        [
            ("Сок яблочный 1 л", "796", "139.00", VatRate.VAT20, False),
            ("Сок апельсиновый 1 л", "796", "149.00", VatRate.VAT20, False),
            ("Нектар персиковый 1 л", "796", "119.00", VatRate.VAT20, False),
            ("Морс клюквенный 1 л", "796", "129.00", VatRate.VAT20, False),
        ],
    ),
    (
        ("Напитки", "Чай и кофе"),
        [
            ("Чай черный 100 пак.", "796", "299.00", VatRate.VAT20, False),
            ("Чай зеленый 25 пак.", "796", "149.00", VatRate.VAT20, False),
            ("Кофе молотый 250 г", "796", "459.00", VatRate.VAT20, False),
            ("Кофе в зернах 1 кг", "796", "1490.00", VatRate.VAT20, False),
            ("Какао-порошок 100 г", "796", "189.00", VatRate.VAT20, False),
        ],
    ),
    (
        ("Бакалея",),
        [
            ("Сахар 1 кг", "796", "89.00", VatRate.VAT10, False),
            ("Соль поваренная 1 кг", "796", "29.00", VatRate.VAT10, False),
            ("Рис круглозерный 900 г", "796", "119.00", VatRate.VAT10, False),
            ("Гречка ядрица 900 г", "796", "109.00", VatRate.VAT10, False),
            ("Макароны спагетти 450 г", "796", "89.00", VatRate.VAT10, False),
            ("Мука пшеничная 2 кг", "796", "99.00", VatRate.VAT10, False),
            ("Масло подсолнечное 1 л", "112", "149.00", VatRate.VAT10, False),
            ("Овсяные хлопья 500 г", "796", "79.00", VatRate.VAT10, False),
        ],
    ),
    (
        ("Бытовая химия",),
        [
            ("Средство для посуды 500 мл", "796", "129.00", VatRate.VAT20, False),
            ("Стиральный порошок 3 кг", "796", "599.00", VatRate.VAT20, False),
            ("Мыло туалетное", "796", "49.00", VatRate.VAT20, False),
            ("Бумага туалетная 4 рул.", "796", "159.00", VatRate.VAT20, False),
            ("Салфетки бумажные 100 шт", "796", "69.00", VatRate.VAT20, False),
            ("Губки для посуды 5 шт", "796", "79.00", VatRate.VAT20, False),
        ],
    ),
    (
        ("Кондитерские изделия",),
        [
            ("Шоколад молочный 90 г", "796", "99.00", VatRate.VAT20, False),
            ("Печенье овсяное 300 г", "796", "109.00", VatRate.VAT20, False),
            ("Конфеты ассорти 200 г", "796", "349.00", VatRate.VAT20, False),
            ("Зефир ванильный 250 г", "796", "139.00", VatRate.VAT20, False),
            ("Вафли лимонные 200 г", "796", "69.00", VatRate.VAT20, False),
        ],
    ),
]
_SERVICES = [("Доставка по городу", "300.00"), ("Подарочная упаковка", "150.00")]
_UNITS = {"796": ("шт", "Штука"), "166": ("кг", "Килограмм"), "112": ("л", "Литр")}


@dataclass
class DemoSummary:
    infobase: Infobase
    goods: int
    orders: int
    register: CashRegister
    login: str
    password: str


def ean13(seed: int) -> str:
    """A valid EAN-13 in the in-store range 2xxxxxx (never a real product's code)."""
    body = f"2{seed:011d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def demo_exists(session: Session, name: str = DEMO_INFOBASE) -> bool:
    return session.scalar(select(Infobase.id).where(Infobase.name == name)) is not None


def seed_demo(
    session: Session,
    *,
    name: str = DEMO_INFOBASE,
    public_url: str | None = None,
    login: str = DEMO_LOGIN,
    password: str = DEMO_PASSWORD,
    factory_number: str = DEMO_FACTORY_NUMBER,
    now: dt.datetime | None = None,
) -> DemoSummary:
    now = now or dt.datetime.now().replace(microsecond=0)
    infobase = create_infobase(session, name, title="Демо-магазин «У дома»", public_url=public_url)
    ib = infobase.id
    add_user(session, infobase, login, password, full_name="Иванова Мария Петровна")
    add_user(session, infobase, "Администратор", password, full_name="Администратор", cashier=False)

    organization = Organization(
        infobase_id=ib,
        name="ИП Петров Сергей Иванович",
        full_name="Индивидуальный предприниматель Петров Сергей Иванович",
        inn="770123456789",
        legal_form=LegalForm.INDIVIDUAL,
        tax_system=TaxSystem.GENERAL,  # ОСН: its goods carry 10 % and 20 % VAT (УСН would sell «Без НДС»)
    )
    store = Store(
        infobase_id=ib, name="Магазин на Садовой", address="г. Москва, ул. Садовая, д. 1", organization=organization
    )
    price_type = PriceType(infobase_id=ib, name="Розничная")
    session.add_all([organization, store, price_type])
    units = {
        code: Unit(infobase_id=ib, code=code, name=short, full_name=full) for code, (short, full) in _UNITS.items()
    }
    session.add_all(units.values())

    groups: dict[tuple[str, ...], ProductGroup] = {}
    products: list[Product] = []
    seq = 0
    for path, items in _GOODS:
        for depth in range(1, len(path) + 1):
            key = path[:depth]
            if key not in groups:
                groups[key] = ProductGroup(infobase_id=ib, name=key[-1], parent=groups.get(key[:-1]))
                session.add(groups[key])
        for item_name, unit_code, price, vat, weighed in items:
            seq += 1
            product = Product(
                infobase_id=ib,
                name=item_name,
                full_name=item_name,
                code=f"{seq:05d}",
                article=f"A-{seq:04d}",
                kind=ProductKind.GOODS,
                unit=units[unit_code],
                vat_rate=vat,
                weighed=weighed,
                group=groups[path],
            )
            product.barcodes.append(Barcode(infobase_id=ib, value=ean13(seq)))
            product.prices.append(Price(infobase_id=ib, price_type=price_type, value=Decimal(price), since=now))
            products.append(product)
    for service_name, price in _SERVICES:
        seq += 1
        product = Product(
            infobase_id=ib,
            name=service_name,
            full_name=service_name,
            code=f"{seq:05d}",
            kind=ProductKind.SERVICE,
            unit=units["796"],
            vat_rate=VatRate.VAT20,
        )
        product.prices.append(Price(infobase_id=ib, price_type=price_type, value=Decimal(price), since=now))
        products.append(product)
    session.add_all(products)

    register = CashRegister(
        infobase_id=ib,
        name="Мобильная касса №1",
        kind=RegisterKind.MOBILE_KASSA,
        factory_number=factory_number,
        registration_number="0000000000012345",
        organization=organization,
        store=store,
        price_type=price_type,
    )
    session.add(register)
    session.flush()
    ensure_node(session, register)
    customers = [
        Counterparty(infobase_id=ib, name="Смирнов Алексей", phone="+7 900 000-00-01"),
        Counterparty(
            infobase_id=ib,
            name="ООО «Ромашка»",
            full_name="Общество с ограниченной ответственностью «Ромашка»",
            inn="7701234567",
            kpp="770101001",
            legal_form=LegalForm.LEGAL_ENTITY,
        ),
        Counterparty(infobase_id=ib, name="Кузнецова Ольга", email="olga@example.ru"),
    ]
    session.add_all(customers)
    session.flush()

    orders = 0
    # every status once without a register, and the three device statuses assigned to the demo register
    plan: list[tuple[OrderStatus, CashRegister | None]] = [(status, None) for status in OrderStatus]
    plan += [
        (OrderStatus.AGREED, register),
        (OrderStatus.ASSEMBLED, register),
        (OrderStatus.IN_TRANSIT, register),
        (OrderStatus.NEW, register),
        (OrderStatus.COMPLETED, register),
    ]
    for number, (status, assigned) in enumerate(plan, start=1):
        order = CustomerOrder(
            infobase_id=ib,
            number=f"ЗК-{number:05d}",
            date=now - dt.timedelta(hours=number),
            organization=organization,
            counterparty=customers[number % len(customers)],
            store=store,
            status=status,
            status_changed_at=now,
            cash_register=assigned,
            amount=Decimal(0),
        )
        for line_no in range(1, 3):
            product = products[(number * 7 + line_no * 3) % (len(products) - len(_SERVICES))]
            unit_price: Decimal = product.prices[0].value
            quantity = Decimal(line_no)
            amount = unit_price * quantity
            rate = {VatRate.VAT10: Decimal(10), VatRate.VAT20: Decimal(20)}.get(product.vat_rate, Decimal(0))
            order.lines.append(
                OrderLine(
                    line_no=line_no,
                    product=product,
                    quantity=quantity,
                    price=unit_price,
                    amount=amount,
                    vat_rate=product.vat_rate,
                    vat_amount=(amount * rate / (100 + rate)).quantize(Decimal("0.01")),
                )
            )
            order.amount += amount
        session.add(order)
        orders += 1
    session.flush()
    return DemoSummary(infobase, len(products), orders, register, login, password)
