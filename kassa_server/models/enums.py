"""Business enumerations, in English; their 1C spellings live at the wire boundary (exchange/to_format.py)."""

from __future__ import annotations

from enum import StrEnum


class LegalForm(StrEnum):
    LEGAL_ENTITY = "legal_entity"
    INDIVIDUAL = "individual"


class UserRole(StrEnum):
    """What a user may do: an administrator uses the back office and the control API (and may sync a device); a
    cashier only logs into the web services from «1С:Мобильная касса» and is sent to the devices as a cashier."""

    ADMINISTRATOR = "administrator"
    CASHIER = "cashier"


class TaxSystem(StrEnum):
    GENERAL = "general"
    SIMPLIFIED_INCOME = "simplified_income"
    SIMPLIFIED_INCOME_MINUS_EXPENSE = "simplified_income_minus_expense"
    UTII = "utii"
    AGRICULTURAL = "agricultural"
    PATENT = "patent"
    AUSN = "ausn"


class VatRate(StrEnum):
    """A VAT rate as the shop means it; ``/`` marks a calculated rate (20/120)."""

    NONE = "none"
    ZERO = "0"
    VAT5 = "5"
    VAT7 = "7"
    VAT10 = "10"
    VAT18 = "18"
    VAT20 = "20"
    VAT22 = "22"
    VAT10_110 = "10/110"
    VAT18_118 = "18/118"
    VAT20_120 = "20/120"


class ProductKind(StrEnum):
    GOODS = "goods"
    SERVICE = "service"


class OrderStatus(StrEnum):
    """1С:Касса's customer order statuses (mobile-kassa.md §6)."""

    NEW = "new"
    AGREED = "agreed"
    ASSEMBLED = "assembled"
    IN_TRANSIT = "in_transit"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


ORDER_STATUS_NAMES: dict[OrderStatus, str] = {
    OrderStatus.NEW: "Новый",
    OrderStatus.AGREED: "Согласован",
    OrderStatus.ASSEMBLED: "Собран",
    OrderStatus.IN_TRANSIT: "В пути",
    OrderStatus.COMPLETED: "Выполнен",
    OrderStatus.CANCELLED: "Отменен",
}
"""The Russian names 1С:Касса shows; also accepted by the CLI and CSV import."""

DEVICE_ORDER_STATUSES = frozenset({OrderStatus.AGREED, OrderStatus.ASSEMBLED, OrderStatus.IN_TRANSIT})
"""Orders in these statuses go to the device named in their ККТ field (mobile-kassa.md §6 [V INSTR])."""


class RegisterKind(StrEnum):
    MOBILE_KASSA = "mobile_kassa"
    """«1С:Мобильная касса»: the only kind that becomes an exchange node."""
    FISCAL_REGISTRAR = "fiscal_registrar"
    OTHER = "other"


REGISTER_KIND_NAMES: dict[RegisterKind, str] = {
    RegisterKind.MOBILE_KASSA: "1С:Мобильная касса",
    RegisterKind.FISCAL_REGISTRAR: "Фискальный регистратор",
    RegisterKind.OTHER: "Другой",
}


class ReceiptKind(StrEnum):
    SALE = "sale"
    RETURN = "return"


class PaymentKind(StrEnum):
    """ТипОплаты of a receipt's ОплатыККМ row (objects.md §5.4); ``Электронно`` is a card payment."""

    CASH = "cash"
    CARD = "card"
    PREPAYMENT = "prepayment"
    POSTPAYMENT = "postpayment"
    COUNTER_PROVISION = "counter_provision"


class CashOperationKind(StrEnum):
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"
