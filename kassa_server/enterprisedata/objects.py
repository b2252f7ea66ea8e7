# ruff: noqa: RUF009  (wire() returns a dataclasses.field, which is what a dataclass default should be)
"""Version-independent dataclasses of the EnterpriseData objects exchanged with 1С:Мобильная касса.

English names; the Russian property names appear only in the ``wire(...)`` paths that bind each field to the format
(``binding.py``). A field may list alternative paths: the first one that exists in the target version is used
(``НомерЧекаККМ`` ≥ 1.17 / ``НомерЧекаФР`` ≤ 1.16, ``ОбщиеСвойстваОбъектовФормата/…`` ≥ 1.16 / direct ≤ 1.10, key vs
body positions). A field that exists in no path of a version is not written in that version.
A field typed with another top-level object is a reference: its key block (``КлючевыеСвойства*``) is written inline.
"""

from __future__ import annotations

import enum
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from .binding import KEY, Bound, FormatObject, RawXml, wire, wire_list
from .schema import SimpleType

log = logging.getLogger(__name__)

COMMON = "ОбщиеСвойстваОбъектовФормата/"


class LegalForm(enum.StrEnum):
    LEGAL_ENTITY = "ЮридическоеЛицо"
    INDIVIDUAL = "ФизическоеЛицо"


class ItemType(enum.StrEnum):
    GOODS = "Товар"
    SERVICE = "Услуга"
    WORK = "Работа"
    RETURNABLE_PACKAGING = "МногооборотнаяТара"
    KIT = "Набор"


class TaxSystem(enum.StrEnum):
    GENERAL = "Общая"
    SIMPLIFIED_INCOME = "УпрощеннаяДоход"
    SIMPLIFIED_INCOME_MINUS_EXPENSES = "УпрощеннаяДоходМинусРасход"
    UTII = "ЕНВД"
    AGRICULTURAL = "ЕдиныйСельскохозяйственныйНалог"
    PATENT = "ПатентнаяСистема"
    AUSN = "АУСН"


class PaymentType(enum.StrEnum):
    CASH = "Наличные"
    ELECTRONIC = "Электронно"
    PREPAYMENT = "Предоплата"
    POSTPAYMENT = "Постоплата"
    COUNTER_PROVISION = "ВстречноеПредставление"


class ObjectState(enum.StrEnum):
    ACTUAL = "Актуальный"
    DRAFT = "Черновик"
    OBSOLETE = "Устаревший"


class OrderStatus(enum.StrEnum):
    ACCEPTED = "Принят"
    CONFIRMED = "Подтвержден"
    READY = "ГотовКВыдаче"
    IN_DELIVERY = "ПереданВДоставку"
    DONE = "Выполнен"
    CANCELLED = "Отменен"
    PICKING = "Комплектуется"


class PaymentStatus(enum.StrEnum):
    UNPAID = "НеОплачен"
    PARTIALLY_PAID = "ОплаченЧастично"
    PAID = "Оплачен"
    CANCELLED = "Отменен"


class ShipmentStatus(enum.StrEnum):
    NOT_SHIPPED = "НеОтгружен"
    PARTIALLY_SHIPPED = "ОтгруженЧастично"
    SHIPPED = "Отгружен"
    CANCELLED = "Отменен"


class VatKind(enum.StrEnum):
    GENERAL = "Общая"
    GENERAL_CALCULATED = "ОбщаяРасчетная"
    REDUCED = "Пониженная"
    REDUCED_CALCULATED = "ПониженнаяРасчетная"
    ZERO = "Нулевая"
    EXEMPT = "БезНДС"


# enum literal (≤ 1.16) <-> (rate, calculated, exempt, kind) of the object form (≥ 1.17), objects.md §1.4
_VAT_ENUM: dict[str, tuple[Decimal | None, bool, bool, VatKind]] = {
    "НДС20": (Decimal(20), False, False, VatKind.GENERAL),
    "НДС20_120": (Decimal(20), True, False, VatKind.GENERAL_CALCULATED),
    "НДС18": (Decimal(18), False, False, VatKind.GENERAL),
    "НДС18_118": (Decimal(18), True, False, VatKind.GENERAL_CALCULATED),
    "НДС10": (Decimal(10), False, False, VatKind.REDUCED),
    "НДС10_110": (Decimal(10), True, False, VatKind.REDUCED_CALCULATED),
    "НДС4": (Decimal(4), False, False, VatKind.REDUCED),
    "НДС4_104": (Decimal(4), True, False, VatKind.REDUCED_CALCULATED),
    "НДС2": (Decimal(2), False, False, VatKind.REDUCED),
    "НДС2_102": (Decimal(2), True, False, VatKind.REDUCED_CALCULATED),
    "НДС0": (Decimal(0), False, False, VatKind.ZERO),
    "БезНДС": (None, False, True, VatKind.EXEMPT),
}


@dataclass(slots=True)
class VatRate(Bound):
    """A VAT rate: the ``КлючевыеСвойстваСтавкиНДС`` block ≥ 1.17, the ``СтавкиНДС`` enum ≤ 1.16."""

    wire_types: ClassVar[tuple[str, ...]] = ("КлючевыеСвойстваСтавкиНДС",)

    rate: Decimal | None = wire("Ставка")
    calculated: bool = wire("РасчетнаяСтавка", default=False)
    exempt: bool = wire("НеОблагается", default=False)
    kind: VatKind = wire("ВидСтавки", default=VatKind.GENERAL)

    def to_text(self, simple: SimpleType) -> str | None:
        rate = None if self.rate is None else self.rate.normalize()
        for literal, (r, calculated, exempt, _kind) in _VAT_ENUM.items():
            same_rate = (r is None and rate is None) or (r is not None and rate is not None and r == rate)
            matches = same_rate and calculated == self.calculated and exempt == self.exempt
            if matches and (simple.enumeration is None or literal in simple.enumeration):
                return literal
        return None

    @classmethod
    def from_text(cls, text: str) -> VatRate:
        found = _VAT_ENUM.get(text.strip())
        if found is None:  # НДСИсчисляетсяНалоговымАгентом has no object form
            log.warning("VAT rate %r has no object form; read as exempt", text)
            return cls(None, False, True, VatKind.EXEMPT)
        rate, calculated, exempt, kind = found
        return cls(rate, calculated, exempt, kind)


@dataclass(slots=True)
class Currency(Bound):
    """``КлючевыеСвойстваВалюта``: a currency by its ОКВ code."""

    ref: uuid.UUID | None = wire("Ссылка")
    code: str | None = wire("ДанныеКлассификатора/Код")
    name: str | None = wire("ДанныеКлассификатора/Наименование")


@dataclass(slots=True)
class User(Bound):
    """``КлючевыеСвойстваПользователь`` (a cashier)."""

    ref: uuid.UUID | None = wire("Ссылка")
    name: str | None = wire("Наименование")
    person: Person | None = wire("ФизическоеЛицо")


@dataclass(slots=True, kw_only=True)
class CatalogObject(FormatObject):
    """Fields shared by every top-level object."""

    ref: uuid.UUID | None = wire(KEY + "Ссылка")
    additional_info: RawXml | None = wire("AdditionalInfo")
    additional_attributes: RawXml | None = wire(COMMON + "ДополнительныеРеквизиты", "ДополнительныеРеквизиты")
    object_state: ObjectState | None = wire(COMMON + "СостояниеОбъекта")


@dataclass(slots=True, kw_only=True)
class DocumentObject(CatalogObject):
    comment: str | None = wire(COMMON + "Комментарий", "Комментарий")
    responsible: User | None = wire(COMMON + "Ответственный", "Ответственный")


# --- catalogues ---------------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Organization(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.Организации"
    name: str | None = wire(KEY + "Наименование")
    short_name: str | None = wire(KEY + "НаименованиеСокращенное")
    full_name: str | None = wire(KEY + "НаименованиеПолное")
    inn: str | None = wire(KEY + "ИНН")
    kpp: str | None = wire(KEY + "КПП")
    legal_form: LegalForm | None = wire(KEY + "ЮридическоеФизическоеЛицо")
    gln: str | None = wire(KEY + "GLN")
    prefix: str | None = wire("Префикс")
    ogrn: str | None = wire("ОГРН")
    okpo: str | None = wire("ОКПО")
    tax_system: TaxSystem | None = wire("ОсновнаяСистемаНалогообложения")


@dataclass(slots=True, kw_only=True)
class PriceType(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.ТипыЦен"
    name: str | None = wire(KEY + "Наименование")
    currency: Currency | None = wire(KEY + "ВалютаЦены")
    includes_vat: bool | None = wire("ЦенаВключаетНДС")
    identifier: str | None = wire("Идентификатор")


@dataclass(slots=True, kw_only=True)
class Warehouse(CatalogObject):
    """``Справочник.Склады``: 1С:Касса's trading point."""

    wire_name: ClassVar[str] = "Справочник.Склады"
    name: str | None = wire(KEY + "Наименование")
    kind: str | None = wire(KEY + "ТипСклада")
    gln: str | None = wire(KEY + "GLN", "GLN")
    fias_code: str | None = wire(KEY + "КодАдресаФИАС", "КодАдресаФИАС")
    premises: str | None = wire(KEY + "Помещение", "Помещение")
    retail_price_type: PriceType | None = wire("ТипЦенРозничнойТорговли")
    address: str | None = wire("АдресСтрокой")


@dataclass(slots=True, kw_only=True)
class CashRegister(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.КассыККМ"
    name: str | None = wire(KEY + "Наименование")
    organization: Organization | None = wire(KEY + "Организация")
    registration_number: str | None = wire(KEY + "РегистрационныйНомер")
    warehouse: Warehouse | None = wire(KEY + "Склад")
    tax_system: TaxSystem | None = wire("СистемаНалогообложения")  # only ≤ 1.16


@dataclass(slots=True, kw_only=True)
class Unit(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.ЕдиницыИзмерения"
    code: str | None = wire(KEY + "ДанныеКлассификатора/Код")
    name: str | None = wire(KEY + "ДанныеКлассификатора/Наименование")
    full_name: str | None = wire("НаименованиеПолное")


@dataclass(slots=True, kw_only=True)
class ItemGroup(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.НоменклатураГруппа"
    name: str | None = wire(KEY + "Наименование")
    code: str | None = wire(KEY + "КодВПрограмме")
    parent: ItemGroup | None = wire(KEY + "Группа")


@dataclass(slots=True, kw_only=True)
class Item(CatalogObject):
    """``Справочник.Номенклатура``: goods and services. Barcodes and prices travel in their own objects."""

    wire_name: ClassVar[str] = "Справочник.Номенклатура"
    full_name: str | None = wire(KEY + "НаименованиеПолное")
    code: str | None = wire(KEY + "КодВПрограмме")
    article: str | None = wire(KEY + "Артикул")
    name: str | None = wire(KEY + "Наименование")
    group: ItemGroup | None = wire(KEY + "Группа")
    item_type: ItemType | None = wire("ТипНоменклатуры")
    description: str | None = wire("Описание")
    unit: Unit | None = wire("ЕдиницаИзмерения")
    vat: VatRate | None = wire("СтавкаНДС")
    subject_sign: str | None = wire("ПризнакПредметаРасчета")
    weighed: bool | None = wire("Весовой")
    marked: bool | None = wire("Маркируемый")  # ≤ 1.16
    marking_kind: str | None = wire("ВидПродукцииИС")
    tax_system: TaxSystem | None = wire("СистемаНалогообложения")
    kind: ItemKind | None = wire("ВидНоменклатуры")


@dataclass(slots=True, kw_only=True)
class ItemKind(CatalogObject):
    """``Справочник.ВидыНоменклатуры``: a product kind; everything but the patent flag (1.17) is in the key."""

    wire_name: ClassVar[str] = "Справочник.ВидыНоменклатуры"
    name: str | None = wire(KEY + "Наименование")
    item_type: ItemType | None = wire(KEY + "ТипНоменклатуры")
    uses_characteristics: bool | None = wire(KEY + "ИспользоватьХарактеристики")  # from 1.10


@dataclass(slots=True, kw_only=True)
class ItemCharacteristic(CatalogObject):
    """``Справочник.ХарактеристикиНоменклатуры``: a variant (size, colour) of one product or of every product of a
    kind (``ВладелецХарактеристики`` is either)."""

    wire_name: ClassVar[str] = "Справочник.ХарактеристикиНоменклатуры"
    owner_item: Item | None = wire(KEY + "ВладелецХарактеристики/Номенклатура")
    owner_kind: ItemKind | None = wire(KEY + "ВладелецХарактеристики/ВидНоменклатуры")
    full_name: str | None = wire(KEY + "НаименованиеПолное")
    name: str | None = wire("Наименование")


@dataclass(slots=True)
class GoodsData(Bound):
    """``ОбщиеСвойстваДанныеНоменклатуры`` (``ДанныеНоменклатуры`` of rows)."""

    wire_types: ClassVar[tuple[str, ...]] = ("ОбщиеСвойстваДанныеНоменклатуры",)
    item: Item | None = wire("Номенклатура")
    barcode: str | None = wire("Штрихкод")
    characteristic: ItemCharacteristic | None = wire("Характеристика")
    sku: str | None = wire("SKU")


@dataclass(slots=True)
class BarcodeRecord(Bound):
    # from 1.8 the row holds ОбщиеСвойстваОписываемаяНоменклатура, one level deeper
    goods: GoodsData | None = wire("ДанныеНоменклатуры/Номенклатура", "ДанныеНоменклатуры")


@dataclass(slots=True, kw_only=True)
class Barcode(CatalogObject):
    """``Справочник.ШтрихкодыНоменклатуры``: no key block; identified by the barcode."""

    wire_name: ClassVar[str] = "Справочник.ШтрихкодыНоменклатуры"
    barcode: str | None = wire("Штрихкод")
    records: list[BarcodeRecord] = wire_list("Записи/Строка")


@dataclass(slots=True, kw_only=True)
class Counterparty(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.Контрагенты"
    name: str | None = wire(KEY + "Наименование")
    full_name: str | None = wire(KEY + "НаименованиеПолное")
    inn: str | None = wire(KEY + "ИНН")
    kpp: str | None = wire(KEY + "КПП")
    legal_form: LegalForm | None = wire(KEY + "ЮридическоеФизическоеЛицо")
    okpo: str | None = wire("ОКПО")


@dataclass(slots=True, kw_only=True)
class Person(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.ФизическиеЛица"
    full_name: str | None = wire(KEY + "ФИО")
    last_name: str | None = wire(KEY + "Фамилия")
    first_name: str | None = wire(KEY + "Имя")
    middle_name: str | None = wire(KEY + "Отчество")
    birth_date: date | None = wire(KEY + "ДатаРождения")
    code: str | None = wire(KEY + "КодВПрограмме")
    inn: str | None = wire(KEY + "ИНН")
    gender: str | None = wire("Пол")


class ContractKind(enum.StrEnum):
    WITH_CUSTOMER = "СПокупателем"
    WITH_SUPPLIER = "СПоставщиком"
    OTHER = "Прочее"


@dataclass(slots=True)
class Contract(Bound):
    """``КлючевыеСвойстваДоговор``: a contract, e.g. the one with the acquiring bank."""

    wire_types: ClassVar[tuple[str, ...]] = ("КлючевыеСвойстваДоговор",)
    ref: uuid.UUID | None = wire("Ссылка")
    kind: ContractKind | None = wire("ВидДоговора")
    organization: Organization | None = wire("Организация")
    counterparty: Counterparty | None = wire("Контрагент")
    currency: Currency | None = wire("ВалютаВзаиморасчетов")
    name: str | None = wire("Наименование")
    date: date | None = wire("Дата")
    number: str | None = wire("Номер")


@dataclass(slots=True, kw_only=True)
class AcquiringTerminal(CatalogObject):
    """``Справочник.ЭквайринговыеТерминалы``: ``Эквайер`` ≤ 1.10, ``Эквайрер`` + ``ДоговорЭквайрера`` from 1.16."""

    wire_name: ClassVar[str] = "Справочник.ЭквайринговыеТерминалы"
    number: str | None = wire(KEY + "Номер")
    name: str | None = wire("Наименование")
    acquirer: Counterparty | None = wire("Эквайрер", "Эквайер")
    contract: Contract | None = wire("ДоговорЭквайрера")  # from 1.16


class DiscountCardStatus(enum.StrEnum):
    ACTIVE = "Действует"
    CANCELLED = "Аннулирована"


@dataclass(slots=True)
class LoyaltyProgram(Bound):
    """``КлючевыеСвойстваПрограммыЛояльности``: the kind of a discount card."""

    wire_types: ClassVar[tuple[str, ...]] = ("КлючевыеСвойстваПрограммыЛояльности",)
    ref: uuid.UUID | None = wire("Ссылка")
    name: str | None = wire("Наименование")
    bonus_currency: Currency | None = wire("ВалютаКонвертацииБонусов")
    max_bonus_percent: Decimal | None = wire("МаксимальныйПроцентОплатыБонусами")


@dataclass(slots=True, kw_only=True)
class DiscountCard(CatalogObject):
    """``Справочник.ДисконтныеКарты``: ``ВладелецКарты`` required ≤ 1.8, ``Статус`` from 1.19."""

    wire_name: ClassVar[str] = "Справочник.ДисконтныеКарты"
    number: str | None = wire(KEY + "НомерКарты")
    owner_counterparty: Counterparty | None = wire(KEY + "ВладелецКарты/Контрагент")
    owner_person: Person | None = wire(KEY + "ВладелецКарты/ФизическоеЛицо")
    program: LoyaltyProgram | None = wire("ПрограммаЛояльности")
    opened_at: datetime | None = wire("ДатаОткрытия")
    status: str | None = wire("Статус")


@dataclass(slots=True)
class StockRow(Bound):
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    days_of_trade: Decimal | None = wire("КоличествоВДняхТорговли")
    quantity: Decimal | None = wire("КоличествоНаСкладе")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True, kw_only=True)
class StockSnapshot(CatalogObject):
    """``Справочник.ИнформативныеОстатки``: stock of the back office for the cashier."""

    wire_name: ClassVar[str] = "Справочник.ИнформативныеОстатки"
    date: date | None = wire(KEY + "Дата")
    warehouse: Warehouse | None = wire(KEY + "Склад")
    organization: Organization | None = wire(KEY + "Организация")
    rows: list[StockRow] = wire_list("Товары/Строка")


@dataclass(slots=True, kw_only=True)
class OrderState(CatalogObject):
    """``Справочник.СостояниеЗаказа`` (from 1.8; the key order changes in 1.17, taken from the schema)."""

    wire_name: ClassVar[str] = "Справочник.СостояниеЗаказа"
    order: CustomerOrder | None = wire(KEY + "Заказ")
    name: str | None = wire(KEY + "Наименование")
    state_date: datetime | None = wire("ДатаСостояния")  # a date in 1.8
    state: OrderStatus | None = wire("СостояниеЗаказа")
    state_text: str | None = wire("СостояниеЗаказаСтрокой")


@dataclass(slots=True, kw_only=True)
class OrderPaymentState(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.СостояниеОплатыЗаказа"
    order: CustomerOrder | None = wire(KEY + "Заказ")
    state_date: date | None = wire("ДатаСостояния")
    payment_amount: Decimal | None = wire("СуммаПлатежа")
    total_paid: Decimal | None = wire("СуммаВсехПлатежей")
    state: PaymentStatus | None = wire("СостояниеОплаты")


@dataclass(slots=True, kw_only=True)
class OrderShipmentState(CatalogObject):
    wire_name: ClassVar[str] = "Справочник.СостояниеОтгрузкиЗаказа"
    order: CustomerOrder | None = wire(KEY + "Заказ")
    state_date: date | None = wire("ДатаСостояния")
    state: ShipmentStatus | None = wire("СостояниеОтгрузки")


# --- documents ----------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PriceRow(Bound):
    line_no: int | None = wire("НомерСтрокиДокумента")
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    price: Decimal | None = wire("Цена")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True, kw_only=True)
class PriceList(DocumentObject):
    """``Документ.УстановкаЦенНоменклатуры``: the only carrier of prices."""

    wire_name: ClassVar[str] = "Документ.УстановкаЦенНоменклатуры"
    date: datetime | None = wire(KEY + "Дата")
    number: str | None = wire(KEY + "Номер")
    price_type: PriceType | None = wire("ТипЦен")
    rows: list[PriceRow] = wire_list("Товары/Строка")


@dataclass(slots=True)
class GoodsRow(Bound):
    """The goods line shared by orders, receipts and shift reports; each binds to its own row type of the schema."""

    line_no: int | None = wire("НомерСтрокиДокумента")
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    unit: Unit | None = wire("ЕдиницаИзмерения")
    quantity: Decimal | None = wire("Количество")
    amount: Decimal | None = wire("Сумма")
    price: Decimal | None = wire("Цена")
    vat: VatRate | None = wire("СтавкаНДС")
    vat_amount: Decimal | None = wire("СуммаНДС")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True)
class OrderGoodsRow(GoodsRow):
    pass


@dataclass(slots=True)
class OrderServiceRow(Bound):
    line_no: int | None = wire("НомерСтрокиДокумента")
    item: Item | None = wire("Номенклатура", "ДанныеНоменклатуры/Номенклатура")
    quantity: Decimal | None = wire("Количество")
    amount: Decimal | None = wire("Сумма")
    price: Decimal | None = wire("Цена")
    vat: VatRate | None = wire("СтавкаНДС")
    vat_amount: Decimal | None = wire("СуммаНДС")
    content: str | None = wire("Содержание")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True, kw_only=True)
class CustomerOrder(DocumentObject):
    wire_name: ClassVar[str] = "Документ.ЗаказКлиента"
    date: datetime | None = wire(KEY + "Дата")
    number: str | None = wire(KEY + "Номер")
    organization: Organization | None = wire(KEY + "Организация")
    incoming_number: str | None = wire(
        KEY + "ДанныеВходящегоДокумента/НомерВходящегоДокумента", "ДанныеВходящегоДокумента/НомерВходящегоДокумента"
    )
    currency: Currency | None = wire("Валюта")
    amount: Decimal | None = wire("Сумма")
    warehouse: Warehouse | None = wire("Склад")
    counterparty: Counterparty | None = wire("Контрагент")
    delivery_address: str | None = wire("АдресДоставки")
    includes_vat: bool | None = wire("СуммаВключаетНДС")
    goods: list[OrderGoodsRow] = wire_list("Товары/Строка")
    services: list[OrderServiceRow] = wire_list("Услуги/Строка")


@dataclass(slots=True)
class CashOperationData(Bound):
    """``ОбщиеСвойстваОперацияККМ`` (``ДанныеОперацииККМ``)."""

    currency: Currency | None = wire("Валюта")
    amount: Decimal | None = wire("Сумма")
    cashier: User | None = wire("Кассир")


@dataclass(slots=True, kw_only=True)
class ShiftDocument(CatalogObject):
    """The cash-shift key shape shared by the four shift documents and the receipt."""

    date: datetime | None = wire(KEY + "Дата")
    shift_number: str | None = wire(KEY + "НомерКассовойСмены")
    cash_register: CashRegister | None = wire(KEY + "КассаККМ")
    number_in_app: str | None = wire(KEY + "НомерВПрограмме")
    receipt_number: str | None = wire(KEY + "НомерЧекаККМ", KEY + "НомерЧекаФР")


@dataclass(slots=True, kw_only=True)
class ShiftOpening(ShiftDocument):
    wire_name: ClassVar[str] = "Документ.ОткрытиеКассовойСмены"
    cashier: User | None = wire("Кассир")


@dataclass(slots=True, kw_only=True)
class ShiftClosing(ShiftDocument):
    wire_name: ClassVar[str] = "Документ.ЗакрытиеКассовойСмены"
    operation: CashOperationData | None = wire("ДанныеОперацииККМ")


@dataclass(slots=True, kw_only=True)
class CashDeposit(ShiftDocument):
    wire_name: ClassVar[str] = "Документ.ВнесениеДСВКассуККМ"
    operation: CashOperationData | None = wire("ДанныеОперацииККМ")


@dataclass(slots=True, kw_only=True)
class CashWithdrawal(ShiftDocument):
    wire_name: ClassVar[str] = "Документ.ВыемкаДСИзКассыККМ"
    operation: CashOperationData | None = wire("ДанныеОперацииККМ")


@dataclass(slots=True)
class ReceiptGoodsRow(GoodsRow):
    pass


@dataclass(slots=True)
class ReceiptReturnRow(Bound):
    """A return line: the goods line and the sale it returns (``row_id`` stays last, as in every row class)."""

    line_no: int | None = wire("НомерСтрокиДокумента")
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    unit: Unit | None = wire("ЕдиницаИзмерения")
    quantity: Decimal | None = wire("Количество")
    amount: Decimal | None = wire("Сумма")
    price: Decimal | None = wire("Цена")
    vat: VatRate | None = wire("СтавкаНДС")
    vat_amount: Decimal | None = wire("СуммаНДС")
    sale_receipt_number: str | None = wire("НомерЧекаККМПродажи")
    sale_date: datetime | None = wire("ДатаПродажи")
    sale_document: Receipt | None = wire("ДокументПродажи")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True)
class ReceiptServiceRow(Bound):
    """A row of the receipt's ``Услуги`` table (the same in every version)."""

    line_no: int | None = wire("НомерСтрокиДокумента")
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    quantity: Decimal | None = wire("Количество")
    amount: Decimal | None = wire("Сумма")
    price: Decimal | None = wire("Цена")
    vat: VatRate | None = wire("СтавкаНДС")
    vat_amount: Decimal | None = wire("СуммаНДС")
    content: str | None = wire("Содержание")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True)
class CardPaymentRow(Bound):
    amount: Decimal | None = wire("СуммаОплаты")
    card_kind: str | None = wire("ВидКарты")
    card_number: str | None = wire("НомерКарты")
    terminal: AcquiringTerminal | None = wire("ЭквайринговыйТерминал")
    row_id: str | None = wire("ИдентификаторСтроки")
    rrn: str | None = wire("КодRRN")


@dataclass(slots=True)
class PaymentRow(Bound):
    amount: Decimal | None = wire("Сумма")
    payment_type: PaymentType | None = wire("ТипОплаты")
    row_id: str | None = wire("ИдентификаторСтроки")


@dataclass(slots=True)
class MarkingCodeRow(Bound):
    line_no: int | None = wire("НомерСтрокиДокумента")
    goods: GoodsData | None = wire("ДанныеНоменклатуры")
    code: str | None = wire("НомерАкцизнойМарки")
    row_id: str | None = wire("ИдентификаторСтроки")
    kind: str | None = wire("ТипАкцизнойМарки")


@dataclass(slots=True, kw_only=True)
class Receipt(ShiftDocument):
    """``Документ.ЧекККМ``: a sale (``sales``) or a return (``returns``, ``is_return``, ``base``)."""

    wire_name: ClassVar[str] = "Документ.ЧекККМ"
    has_cash: bool | None = wire(KEY + "ЕстьДвижениеНаличных")
    has_cashless: bool | None = wire(KEY + "ЕстьДвижениеБезналичных")
    has_goods: bool | None = wire(KEY + "ЕстьДвижениеТоваров")
    is_return: bool | None = wire(KEY + "ЭтоВозврат")
    in_retail_report: bool | None = wire(KEY + "ВключенВОРП")
    operation: CashOperationData | None = wire("ДанныеОперацииККМ")
    cancelled: bool | None = wire("Отменен")
    sales: list[ReceiptGoodsRow] = wire_list("ТоварыПродажа/Строка")
    returns: list[ReceiptReturnRow] = wire_list("ТоварыВозвратПродажи/Строка")
    services: list[ReceiptServiceRow] = wire_list("Услуги/Строка")
    card_payments: list[CardPaymentRow] = wire_list("ОплатаПлатежнымиКартами/Строка")
    payments: list[PaymentRow] = wire_list("ОплатыККМ/Строка")
    settlement_sign: str | None = wire("ПризнакСпособаРасчета")
    counterparty: Counterparty | None = wire("Контрагент")
    taxation: str | None = wire("Налогообложение")
    marking_codes: list[MarkingCodeRow] = wire_list("АкцизныеМарки/Строка")
    order: CustomerOrder | None = wire("ЗаказКлиента")
    base: Receipt | None = wire("Основание")
    loyalty_card: DiscountCard | None = wire("КартаЛояльности")
    return_reason: str | None = wire("ПричинаВозврата/Наименование")


@dataclass(slots=True)
class RetailReportGoodsRow(GoodsRow):
    pass


@dataclass(slots=True, kw_only=True)
class RetailReport(DocumentObject):
    """``Документ.ОтчетОРозничныхПродажах``: the shift report."""

    wire_name: ClassVar[str] = "Документ.ОтчетОРозничныхПродажах"
    date: datetime | None = wire(KEY + "Дата")
    number: str | None = wire(KEY + "Номер")
    organization: Organization | None = wire(KEY + "Организация")
    shift: ShiftOpening | None = wire(KEY + "КассоваяСмена")
    currency: Currency | None = wire("Валюта")
    amount: Decimal | None = wire("Сумма")
    warehouse: Warehouse | None = wire("Склад")
    cash_register: CashRegister | None = wire("КассаККМ")
    sales: list[RetailReportGoodsRow] = wire_list("ТоварыПродажа/Строка")


@dataclass(slots=True)
class Deletion:
    """``УдалениеОбъекта``: the deletion of the object ``target_type`` with ``ref`` (only the UUID travels)."""

    wire_name: ClassVar[str] = "УдалениеОбъекта"
    target_type: type[CatalogObject]
    ref: uuid.UUID

    @property
    def choice_name(self) -> str:
        """``Справочник.Номенклатура`` -> ``НоменклатураСсылка``."""
        return self.target_type.wire_name.split(".", 1)[1] + "Ссылка"


OBJECT_TYPES: tuple[type[CatalogObject], ...] = (
    Organization, Warehouse, CashRegister, Unit, ItemGroup, Item, Barcode, PriceType, Counterparty, Person,
    ItemKind, ItemCharacteristic, AcquiringTerminal, DiscountCard, StockSnapshot, OrderState, OrderPaymentState,
    OrderShipmentState,
    PriceList, CustomerOrder, ShiftOpening, Receipt, ShiftClosing, RetailReport, CashDeposit, CashWithdrawal,
)  # fmt: skip
#: Body element name -> class
BY_WIRE_NAME: dict[str, type[CatalogObject]] = {cls.wire_name: cls for cls in OBJECT_TYPES}
