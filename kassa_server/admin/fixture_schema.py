"""The fixture format: what a test starts from, as JSON or YAML (documented by the control API's OpenAPI document).

    base: empty            # or demo: the demo shop first, then the rest added to it
    organizations: [{name: ИП Петров, inn: "770123456789", legal_form: individual, tax_system: simplified_income}]
    stores: [{name: Магазин на Садовой, organization: ИП Петров}]
    price_types: [Розничная]
    users: [{login: Кассир, password: kassa}, {login: Админ, password: secret, role: administrator}]
    goods: [{name: Молоко 1 л, code: "00001", price: 89.90, vat_rate: "10", barcodes: ["2000000000015"],
             group: [Продукты, Молочные]}]
    registers: [{factory_number: "0000000001012345", name: Касса 1}]
    counterparties: [{name: Смирнов Алексей, phone: "+7 900 000-00-01"}]
    orders: [{number: ЗК-1, status: agreed, device: "0000000001012345", counterparty: Смирнов Алексей,
              lines: [{product: "00001", quantity: 2}]}]
    faults: [{kind: delay, operation: GetDataPart, params: {delay_ms: 200}}]
    product_kinds: [{name: Обувь, characteristics: ["40", "41"]}]
    goods: [{name: Кеды, code: K1, price: 2990, item_kind: Обувь,
             characteristics: [{name: "42", barcodes: ["2000000000022"]}]}]
    terminals: [{number: "10020030", store: Магазин на Садовой, acquirer: ПАО Банк}]
    cards: [{number: "2000000000015", owner: Смирнов Алексей, kind: Скидка 5 %, discount_percent: 5}]
    stock: [{product: K1, characteristic: "42", quantity: 3}]

Every list is optional. Goods are matched by ``code`` in order lines (or by ``ref``, or by ``name``). An infobase made
from a fixture without organizations gets the default organization, store and price type every new infobase has.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kassa_server.models.enums import LegalForm, OrderStatus, ProductKind, TaxSystem, UserRole, VatRate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganizationFixture(_Strict):
    name: str
    full_name: str | None = None
    inn: str | None = None
    kpp: str | None = None
    legal_form: LegalForm | None = None
    tax_system: TaxSystem | None = None


class StoreFixture(_Strict):
    name: str
    address: str = ""
    organization: str | None = Field(None, description="Organization name; default: the first")


class UserFixture(_Strict):
    login: str
    password: str
    full_name: str = ""
    role: UserRole = UserRole.CASHIER


class CharacteristicFixture(_Strict):
    name: str
    full_name: str = ""
    barcodes: list[str] = Field(
        default_factory=list, description="Barcodes of this variant: added to the product, pointing at it"
    )


class ProductKindFixture(_Strict):
    name: str
    product_kind: ProductKind = ProductKind.GOODS
    uses_characteristics: bool = True
    characteristics: list[str] = Field(default_factory=list, description="Every product of the kind has these")


class TerminalFixture(_Strict):
    number: str
    name: str | None = None
    store: str | None = Field(None, description="Store name; default: the first")
    organization: str | None = None
    acquirer: str | None = Field(None, description="The acquiring bank's name (created when missing)")
    contract_number: str | None = None
    contract_date: dt.date | None = None


class CardFixture(_Strict):
    number: str
    barcode: str | None = None
    magnetic_code: str | None = None
    owner: str | None = Field(None, description="The owner's name (a counterparty, created when missing)")
    kind: str | None = Field(None, description="e.g. «Скидка 5 %»")
    discount_percent: Decimal | None = None
    active: bool = True
    opened_at: dt.datetime | None = None
    organization: str | None = None


class StockFixture(_Strict):
    product: str = Field(description="The product's code, ref or name")
    characteristic: str | None = Field(None, description="One of the product's characteristics, by name")
    quantity: Decimal
    store: str | None = Field(None, description="Store name; default: the first")


class ProductFixture(_Strict):
    name: str
    code: str | None = None
    article: str | None = None
    full_name: str | None = None
    kind: ProductKind | None = None
    vat_rate: VatRate | None = None
    unit_code: str | None = Field(None, description="ОКЕИ code, e.g. 796 (шт), 166 (кг)")
    unit_name: str = ""
    weighed: bool | None = None
    marked: bool | None = None
    group: list[str] | str | None = Field(
        None, description='Folder path: ["Продукты", "Молочные"] or "Продукты / Молочные"'
    )
    barcodes: list[str] = Field(default_factory=list)
    price: Decimal | None = None
    ref: uuid.UUID | None = None
    item_kind: str | None = Field(None, description="A product kind of `product_kinds` (or already there), by name")
    characteristics: list[str | CharacteristicFixture] = Field(
        default_factory=list, description="The product's own characteristics (sizes, colours): names or objects"
    )


class RegisterFixture(_Strict):
    factory_number: str
    name: str | None = None
    organization: str | None = None
    store: str | None = None


class CounterpartyFixture(_Strict):
    name: str
    full_name: str = ""
    inn: str = ""
    kpp: str = ""
    legal_form: LegalForm = LegalForm.INDIVIDUAL
    phone: str = ""
    email: str = ""


class OrderLineFixture(_Strict):
    product: str = Field(description="The product's code, ref or name")
    quantity: Decimal
    price: Decimal | None = None


class OrderFixture(_Strict):
    number: str
    lines: list[OrderLineFixture]
    status: OrderStatus = OrderStatus.NEW
    device: str | None = Field(None, description="Factory number of the register it is assigned to")
    counterparty: str | None = Field(
        None, description="The customer's name or ref; an order sent to a device needs one"
    )
    organization: str | None = None
    store: str | None = None
    date: dt.datetime | None = None
    comment: str = ""


class FaultFixture(_Strict):
    kind: str
    service: str = ""
    operation: str = ""
    device: str = ""
    times: int | None = None
    probability: float = 1.0
    params: dict[str, Any] = Field(default_factory=dict)


class Fixture(_Strict):
    """An infobase's starting state."""

    base: Literal["empty", "demo"] = Field("empty", description="Start from an empty infobase or the demo shop")
    organizations: list[OrganizationFixture] = Field(default_factory=list)
    stores: list[StoreFixture] = Field(default_factory=list)
    price_types: list[str] = Field(default_factory=list)
    users: list[UserFixture] = Field(default_factory=list)
    goods: list[ProductFixture] = Field(default_factory=list)
    registers: list[RegisterFixture] = Field(default_factory=list)
    counterparties: list[CounterpartyFixture] = Field(default_factory=list)
    orders: list[OrderFixture] = Field(default_factory=list)
    faults: list[FaultFixture] = Field(default_factory=list)
    product_kinds: list[ProductKindFixture] = Field(default_factory=list)
    terminals: list[TerminalFixture] = Field(default_factory=list)
    cards: list[CardFixture] = Field(default_factory=list)
    stock: list[StockFixture] = Field(default_factory=list)
