"""Turning the use cases' errors into what a form shows: a Russian sentence next to the field it concerns."""

from __future__ import annotations

from kassa_server.errors import AlreadyExistsError, KassaError, NotFoundError

FIELD_LABELS = {
    "name": "Наименование",
    "full_name": "Полное наименование",
    "code": "Код",
    "article": "Артикул",
    "barcodes": "Штрихкоды",
    "price": "Цена",
    "unit_code": "Единица измерения",
    "group": "Группа",
    "factory_number": "Заводской номер",
    "login": "Имя для входа",
    "password": "Пароль",
    "public_url": "Адрес в интернете",
    "number": "Номер",
    "lines": "Товары",
    "inn": "ИНН",
    "kpp": "КПП",
    "counterparty": "Клиент",
}


def error_text(exc: KassaError) -> str:
    """The message a person reads. The use cases speak English (they serve the CLI and the API too); the common
    conditions get a Russian sentence here, and the original text follows in brackets for the rest."""
    reason = str(exc)
    if isinstance(exc, AlreadyExistsError):
        return f"Уже существует ({reason})."
    if isinstance(exc, NotFoundError):
        return f"Не найдено ({reason})."
    lowered = reason.lower()
    if "is empty" in lowered:
        return "Не заполнено."
    if "not a number" in lowered:
        return "Должно быть числом."
    if "out of range" in lowered:
        return "Значение вне допустимого диапазона."
    if "longer than" in lowered:
        return f"Слишком длинное значение ({reason})."
    if "is not a date" in lowered:
        return "Должно быть датой."
    if "between 0 and 100" in lowered:
        return "Должно быть от 0 до 100."
    if "needs the acquirer" in lowered:
        return "Для договора укажите эквайрера (банк)."
    if "needs a customer" in lowered:
        return "Для отправки заказа на кассу укажите клиента."
    if "belongs to another product" in lowered:
        return f"Штрихкод уже принадлежит другому товару ({reason.split('(')[-1].rstrip(')')})."
    return f"Неверное значение ({reason})."


def field_of(exc: KassaError, default: str) -> str:
    return str(getattr(exc, "field", "") or default)
