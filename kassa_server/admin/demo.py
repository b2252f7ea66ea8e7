"""The demo shop: one infobase with an organization, a store, goods in groups with units, barcodes and prices, a
«1С:Мобильная касса» register, orders in every status, a cashier and an administrator, so a newcomer has something to
sync at once. Everything is made through the use cases every face calls (catalog, devices, orders, …)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.cards import CardInput, add_card
from kassa_server.admin.catalog import (
    DEFAULT_PRICE_TYPE,
    Catalog,
    ProductInput,
    create_price_type,
    create_unit,
    list_price_types,
    list_units,
)
from kassa_server.admin.devices import DeviceInput, register_device
from kassa_server.admin.infobases import add_user, create_infobase
from kassa_server.admin.orders import CounterpartyInput, OrderInput, OrderLineInput, create_counterparty, create_order
from kassa_server.admin.organizations import (
    OrganizationInput,
    StoreInput,
    create_organization,
    create_store,
    list_organizations,
    list_stores,
    set_organization,
    set_store,
)
from kassa_server.admin.stock import set_stock
from kassa_server.admin.terminals import TerminalInput, add_terminal
from kassa_server.admin.variants import add_characteristic, create_kind, set_barcode_characteristic
from kassa_server.models import CashRegister, Infobase, Organization, PriceType, Product, Store
from kassa_server.models.enums import LegalForm, OrderStatus, ProductKind, TaxSystem, UserRole, VatRate

DEMO_INFOBASE = "kassa"
DEMO_LOGIN = "Кассир"
DEMO_PASSWORD = "kassa"
DEMO_FACTORY_NUMBER = "0000000001012345"
DEMO_ADMIN_LOGIN = "Администратор"
DEMO_ADMIN_PASSWORD = "admin"

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
    """Seed the demo shop through the same use cases every face calls."""
    now = now or dt.datetime.now().replace(microsecond=0)
    infobase = create_infobase(session, name, title="Демо-магазин «У дома»", public_url=public_url)
    add_user(session, infobase, login, password, full_name="Иванова Мария Петровна")
    add_user(
        session, infobase, DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD, full_name="Администратор", role=UserRole.ADMINISTRATOR
    )
    organization = _demo_organization(session, infobase)
    store = _demo_store(session, infobase, organization)
    price_type = _demo_price_type(session, infobase)
    for code, (short, full) in _UNITS.items():
        if code not in {u.code for u in list_units(session, infobase)}:
            create_unit(session, infobase, code, short, full)

    catalog = Catalog(session, infobase, price_type=price_type)
    products: list[Product] = []
    seq = 0
    for path, items in _GOODS:
        for item_name, unit_code, price, vat, weighed in items:
            seq += 1
            data = ProductInput(
                name=item_name,
                code=f"{seq:05d}",
                article=f"A-{seq:04d}",
                kind=ProductKind.GOODS,
                unit_code=unit_code,
                vat_rate=vat,
                weighed=weighed,
                group=path,
                barcodes=(ean13(seq),),
                price=Decimal(price),
            )
            products.append(catalog.create(data))
    for service_name, price in _SERVICES:
        seq += 1
        data = ProductInput(
            name=service_name,
            code=f"{seq:05d}",
            kind=ProductKind.SERVICE,
            unit_code="796",
            vat_rate=VatRate.VAT20,
            price=Decimal(price),
        )
        products.append(catalog.create(data))
    session.flush()

    device = register_device(
        session,
        infobase,
        DeviceInput(
            factory_number=factory_number,
            name="Мобильная касса №1",
            organization=organization.name,
            store=store.name,
            registration_number="0000000000012345",
        ),
    )
    register = device.register
    customers = [
        create_counterparty(session, infobase, CounterpartyInput(name="Смирнов Алексей", phone="+7 900 000-00-01")),
        create_counterparty(
            session,
            infobase,
            CounterpartyInput(
                name="ООО «Ромашка»",
                full_name="Общество с ограниченной ответственностью «Ромашка»",
                inn="7701234567",
                kpp="770101001",
                legal_form=LegalForm.LEGAL_ENTITY,
            ),
        ),
        create_counterparty(session, infobase, CounterpartyInput(name="Кузнецова Ольга", email="olga@example.ru")),
    ]

    orders = 0
    # every status once without a register, and the three device statuses assigned to the demo register
    plan: list[tuple[OrderStatus, str | None]] = [(status, None) for status in OrderStatus]
    plan += [
        (OrderStatus.AGREED, factory_number),
        (OrderStatus.ASSEMBLED, factory_number),
        (OrderStatus.IN_TRANSIT, factory_number),
        (OrderStatus.NEW, factory_number),
        (OrderStatus.COMPLETED, factory_number),
    ]
    goods = len(products) - len(_SERVICES)
    for number, (status, assigned) in enumerate(plan, start=1):
        lines = [
            OrderLineInput(product=products[(number * 7 + line_no * 3) % goods].ref, quantity=Decimal(line_no))
            for line_no in range(1, 3)
        ]
        create_order(
            session,
            infobase,
            OrderInput(
                number=f"ЗК-{number:05d}",
                date=now - dt.timedelta(hours=number),
                lines=lines,
                status=status,
                organization=organization.name,
                store=store.name,
                counterparty=customers[number % len(customers)].ref,
                device=assigned,
            ),
        )
        orders += 1
    products.append(_demo_retail(session, infobase, store, catalog, products, seq + 1))
    session.flush()
    return DemoSummary(infobase, len(products), orders, register, login, password)


DEMO_TERMINAL = "10020030"
DEMO_CARDS = (
    # number, barcode, owner, kind, discount %, active
    ("2000000000015", ean13(900001), "Смирнов Алексей", "Скидка 5 %", "5", True),
    ("2000000000022", ean13(900002), "", "Скидка 3 %", "3", True),
    ("2000000000039", ean13(900003), "Кузнецова Ольга", "Скидка 5 %", "5", False),
)
DEMO_SIZES = ("40", "41", "42", "43")
DEMO_STOCK = Decimal(100)
DEMO_SIZE_STOCK = Decimal(10)


def _demo_retail(
    session: Session, infobase: Infobase, store: Store, catalog: Catalog, products: list[Product], seq: int
) -> Product:
    """A terminal, discount cards, a product with sizes (a kind and its characteristics) and stock on hand."""
    add_terminal(
        session,
        infobase,
        TerminalInput(
            number=DEMO_TERMINAL,
            name="Терминал на кассе",
            store=store.name,
            acquirer="ПАО «Банк»",
            contract_number="ЭКВ-2024/17",
            contract_date=dt.date(2024, 1, 15),
        ),
    )
    for number, barcode, owner, kind, percent, active in DEMO_CARDS:
        add_card(
            session,
            infobase,
            CardInput(
                number=number, barcode=barcode, owner=owner, kind=kind, discount_percent=Decimal(percent), active=active
            ),
        )
    shoes_kind = create_kind(session, infobase, "Обувь")
    shoes = catalog.create(
        ProductInput(
            name="Кроссовки беговые",
            code=f"{seq:05d}",
            article=f"A-{seq:04d}",
            kind=ProductKind.GOODS,
            unit_code="796",
            vat_rate=VatRate.VAT20,
            group=("Одежда и обувь",),
            barcodes=tuple(ean13(800000 + n) for n in range(len(DEMO_SIZES))),
            price=Decimal("3490"),
        )
    )
    session.flush()
    shoes.item_kind = shoes_kind
    for n, size in enumerate(DEMO_SIZES):
        add_characteristic(
            session, infobase, size, product_ref=shoes.ref, full_name=f"Кроссовки беговые, размер {size}"
        )
        set_barcode_characteristic(session, infobase, ean13(800000 + n), size)
        set_stock(session, infobase, store.name, shoes.ref, DEMO_SIZE_STOCK, characteristic=size)
    for product in products:
        if product.kind == ProductKind.GOODS:
            set_stock(session, infobase, store.name, product.ref, DEMO_STOCK)
    return shoes


def _demo_organization(session: Session, infobase: Infobase) -> Organization:
    data = OrganizationInput(
        name="ИП Петров Сергей Иванович",
        full_name="Индивидуальный предприниматель Петров Сергей Иванович",
        inn="770123456789",
        legal_form=LegalForm.INDIVIDUAL,
        tax_system=TaxSystem.GENERAL,  # ОСН: its goods carry 10 % and 20 % VAT (УСН would sell «Без НДС»)
    )
    existing = list_organizations(session, infobase)
    if existing:  # the infobase's default organization becomes the demo's
        return set_organization(session, infobase, existing[0].name, data)
    return create_organization(session, infobase, data)


def _demo_store(session: Session, infobase: Infobase, organization: Organization) -> Store:
    name, address = "Магазин на Садовой", "г. Москва, ул. Садовая, д. 1"
    existing = list_stores(session, infobase)
    if existing:
        return set_store(session, infobase, existing[0].name, new_name=name, address=address)
    return create_store(session, infobase, StoreInput(name=name, address=address, organization=organization.name))


def _demo_price_type(session: Session, infobase: Infobase) -> PriceType:
    existing = list_price_types(session, infobase)
    if existing:
        return existing[0]
    return create_price_type(session, infobase, DEFAULT_PRICE_TYPE)
