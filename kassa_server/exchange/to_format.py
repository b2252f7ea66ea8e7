"""ORM rows → EnterpriseData objects, one function per outgoing type (outbound.py streams them).

The pair of ``from_format.py`` (format → rows); together they are the only modules that import both the models and
the format. Stored timestamps are naive UTC and leave as the infobase's local time (``from_utc``, clock.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

from kassa_server import enterprisedata as ed
from kassa_server.exchange.clock import from_utc
from kassa_server.models import (
    Barcode,
    CashRegister,
    Counterparty,
    CustomerOrder,
    Organization,
    Price,
    PriceType,
    Product,
    ProductGroup,
    Store,
    Unit,
    User,
)
from kassa_server.models.enums import (
    ORDER_STATUS_NAMES,
    LegalForm,
    OrderStatus,
    ProductKind,
    TaxSystem,
    VatRate,
)

RUBLE = ed.Currency(code="643", name="руб.")

_LEGAL_FORM = {LegalForm.LEGAL_ENTITY: ed.LegalForm.LEGAL_ENTITY, LegalForm.INDIVIDUAL: ed.LegalForm.INDIVIDUAL}
_TAX = {
    TaxSystem.GENERAL: ed.TaxSystem.GENERAL,
    TaxSystem.SIMPLIFIED_INCOME: ed.TaxSystem.SIMPLIFIED_INCOME,
    TaxSystem.SIMPLIFIED_INCOME_MINUS_EXPENSE: ed.TaxSystem.SIMPLIFIED_INCOME_MINUS_EXPENSES,
    TaxSystem.UTII: ed.TaxSystem.UTII,
    TaxSystem.AGRICULTURAL: ed.TaxSystem.AGRICULTURAL,
    TaxSystem.PATENT: ed.TaxSystem.PATENT,
    TaxSystem.AUSN: ed.TaxSystem.AUSN,
}
# objects.md §1.4: (rate, calculated, exempt, kind); 5, 7 and 22 % exist only in the object form (≥ 1.17)
VAT_FORMS: dict[VatRate, tuple[Decimal | None, bool, bool, ed.VatKind]] = {
    VatRate.NONE: (None, False, True, ed.VatKind.EXEMPT),
    VatRate.ZERO: (Decimal(0), False, False, ed.VatKind.ZERO),
    VatRate.VAT5: (Decimal(5), False, False, ed.VatKind.REDUCED),
    VatRate.VAT7: (Decimal(7), False, False, ed.VatKind.REDUCED),
    VatRate.VAT10: (Decimal(10), False, False, ed.VatKind.REDUCED),
    VatRate.VAT18: (Decimal(18), False, False, ed.VatKind.GENERAL),
    VatRate.VAT20: (Decimal(20), False, False, ed.VatKind.GENERAL),
    VatRate.VAT22: (Decimal(22), False, False, ed.VatKind.GENERAL),
    VatRate.VAT10_110: (Decimal(10), True, False, ed.VatKind.REDUCED_CALCULATED),
    VatRate.VAT18_118: (Decimal(18), True, False, ed.VatKind.GENERAL_CALCULATED),
    VatRate.VAT20_120: (Decimal(20), True, False, ed.VatKind.GENERAL_CALCULATED),
}

ORDER_STATES: dict[OrderStatus, ed.OrderStatus] = {
    OrderStatus.NEW: ed.OrderStatus.ACCEPTED,
    OrderStatus.AGREED: ed.OrderStatus.CONFIRMED,
    OrderStatus.ASSEMBLED: ed.OrderStatus.READY,
    OrderStatus.IN_TRANSIT: ed.OrderStatus.IN_DELIVERY,
    OrderStatus.COMPLETED: ed.OrderStatus.DONE,
    OrderStatus.CANCELLED: ed.OrderStatus.CANCELLED,
}
"""1С:Касса status → ``СостояниеЗаказа`` (mobile-kassa.md §6 [I]); the Russian name goes to СостояниеЗаказаСтрокой."""


def vat_object(rate: VatRate | None) -> ed.VatRate | None:
    if rate is None:
        return None
    value, calculated, exempt, kind = VAT_FORMS[rate]
    return ed.VatRate(rate=value, calculated=calculated, exempt=exempt, kind=kind)


def organization(org: Organization) -> ed.Organization:
    return ed.Organization(
        ref=org.ref,
        name=org.name,
        full_name=org.full_name or org.name,
        inn=org.inn or None,
        kpp=org.kpp or None,
        legal_form=_LEGAL_FORM[org.legal_form],
        tax_system=_TAX[org.tax_system],
    )


def warehouse(store: Store) -> ed.Warehouse:
    return ed.Warehouse(ref=store.ref, name=store.name, kind="Розничный", address=store.address or None)


def cash_register(register: CashRegister) -> ed.CashRegister:
    """One КассыККМ per node: ``РегистрационныйНомер`` = factory number (objects.md §4.3 [I])."""
    return ed.CashRegister(
        ref=register.ref,
        name=register.name,
        organization=organization(register.organization),
        registration_number=register.factory_number,
        warehouse=warehouse(register.store) if register.store else None,
        tax_system=_TAX[register.effective_tax_system],
    )


def price_type(pt: PriceType) -> ed.PriceType:
    return ed.PriceType(
        ref=pt.ref,
        name=pt.name,
        currency=ed.Currency(code=pt.currency_code, name=pt.currency_name),
        includes_vat=pt.includes_vat,
    )


def unit(u: Unit) -> ed.Unit:
    return ed.Unit(ref=u.ref, code=u.code, name=u.name, full_name=u.full_name or None)


def item_group(
    group: ProductGroup, groups: dict[int, ProductGroup], memo: dict[int, ed.ItemGroup] | None = None
) -> ed.ItemGroup:
    """The group's key block with its parents'; ``memo`` (group id → block) shares the blocks of one object's rows."""
    if memo is not None and (known := memo.get(group.id)) is not None:
        return known
    parent = groups.get(group.parent_id) if group.parent_id is not None else None
    made = ed.ItemGroup(
        ref=group.ref,
        name=group.name,
        code=group.code or None,
        parent=item_group(parent, groups, memo) if parent is not None else None,
    )
    if memo is not None:
        memo[group.id] = made
    return made


def item(product: Product, units: dict[int, Unit], groups: dict[int, ProductGroup]) -> ed.Item:
    product_unit = units.get(product.unit_id) if product.unit_id is not None else None
    group = groups.get(product.group_id) if product.group_id is not None else None
    return ed.Item(
        ref=product.ref,
        name=product.name,
        full_name=product.full_name or product.name,
        code=product.code or None,
        article=product.article or None,
        group=item_group(group, groups) if group is not None else None,
        item_type=ed.ItemType.SERVICE if product.kind == ProductKind.SERVICE else ed.ItemType.GOODS,
        unit=unit(product_unit) if product_unit is not None else None,
        vat=vat_object(product.vat_rate),
        weighed=product.weighed,
        marked=product.marked,
    )


def item_key(product: Product, groups: dict[int, ProductGroup], memo: dict[int, ed.ItemGroup] | None = None) -> ed.Item:
    """The reference form of a product: its whole key block as the item itself carries it (enterprisedata.md §10)."""
    group = groups.get(product.group_id) if product.group_id is not None else None
    return ed.Item(
        ref=product.ref,
        name=product.name,
        full_name=product.full_name or product.name,
        code=product.code or None,
        article=product.article or None,
        group=item_group(group, groups, memo) if group is not None else None,
    )


def barcode(row: Barcode, product: Product, groups: dict[int, ProductGroup]) -> ed.Barcode:
    return ed.Barcode(
        barcode=row.value,
        records=[ed.BarcodeRecord(goods=ed.GoodsData(item=item_key(product, groups)))],
    )


def price_list(
    pt: PriceType,
    prices: Iterable[tuple[Price, Product]],
    groups: dict[int, ProductGroup],
    *,
    ref: uuid.UUID,
    when: dt.datetime,
) -> ed.PriceList:
    return ed.PriceList(
        ref=ref,
        date=when,
        number=str(ref)[:8],
        price_type=price_type(pt),
        rows=[
            ed.PriceRow(line_no=n, goods=ed.GoodsData(item=item_key(product, groups)), price=price.value)
            for n, (price, product) in enumerate(prices, start=1)
        ],
    )


def counterparty(party: Counterparty) -> ed.Counterparty:
    return ed.Counterparty(
        ref=party.ref,
        name=party.name,
        full_name=party.full_name or party.name,
        inn=party.inn or None,
        kpp=party.kpp or None,
        legal_form=_LEGAL_FORM[party.legal_form],
    )


def person(user: User) -> ed.Person:
    return ed.Person(ref=user.ref, full_name=user.full_name or user.login)


def customer_order(order: CustomerOrder, groups: dict[int, ProductGroup], tz: dt.tzinfo = dt.UTC) -> ed.CustomerOrder:
    goods, services = [], []
    for line in order.lines:
        if line.product.kind == ProductKind.SERVICE:
            services.append(
                ed.OrderServiceRow(
                    line_no=line.line_no,
                    item=item_key(line.product, groups),
                    quantity=line.quantity,
                    amount=line.amount,
                    price=line.price,
                    vat=vat_object(line.vat_rate),
                    vat_amount=line.vat_amount,
                )
            )
        else:
            goods.append(
                ed.OrderGoodsRow(
                    line_no=line.line_no,
                    goods=ed.GoodsData(item=item_key(line.product, groups)),
                    unit=unit(line.product.unit) if line.product.unit else None,
                    quantity=line.quantity,
                    amount=line.amount,
                    price=line.price,
                    vat=vat_object(line.vat_rate),
                    vat_amount=line.vat_amount,
                )
            )
    return ed.CustomerOrder(
        ref=order.ref,
        date=from_utc(order.date, tz),
        number=order.number,
        organization=organization(order.organization),
        currency=RUBLE,
        amount=order.amount,
        warehouse=warehouse(order.store) if order.store else None,
        counterparty=counterparty(order.counterparty) if order.counterparty else None,
        includes_vat=True,
        goods=goods,
        services=services,
    )


def order_key(order: CustomerOrder, tz: dt.tzinfo = dt.UTC) -> ed.CustomerOrder:
    return ed.CustomerOrder(
        ref=order.ref, date=from_utc(order.date, tz), number=order.number, organization=organization(order.organization)
    )


def order_state(order: CustomerOrder, status: OrderStatus | None = None, tz: dt.tzinfo = dt.UTC) -> ed.OrderState:
    """``Справочник.СостояниеЗаказа`` of an order; its Ссылка is derived from the order's so re-sends overwrite."""
    status = status or order.status
    return ed.OrderState(
        ref=uuid.uuid5(order.ref, "СостояниеЗаказа"),
        name=f"{order.number}: {ORDER_STATUS_NAMES[status]}",
        order=order_key(order, tz),
        state_date=from_utc(order.status_changed_at or order.date, tz),
        state=ORDER_STATES[status],
        state_text=ORDER_STATUS_NAMES[status],
    )
