"""The declarative base every table derives from, with the naming convention Alembic relies on."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, MetaData, Numeric, String, Uuid, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Annotated[Decimal, 15]
"""A sum of money: ТипСумма in EnterpriseData is decimal(15, 2) (objects.md §1.2)."""
Quantity = Annotated[Decimal, 16]
"""A quantity: ТипКоличество is decimal(15, 3) (objects.md §1.2)."""
Name = Annotated[str, 150]
LongText = Annotated[str, 1024]
Code = Annotated[str, 50]
DocumentNumber = Annotated[str, 256]
"""A document, receipt or shift number from a device: ``ТипНомерДокумента`` and the receipt numbers are
``xs:string`` of at most 256 characters in every EnterpriseData version (xsd/). Properties the XSD leaves unbounded
(``НаименованиеПолное``, ``Артикул``, ``КодВПрограмме``) are ``Text``: PostgreSQL must take whatever the schema lets
a device send, as SQLite does."""

intpk = Annotated[int, mapped_column(primary_key=True)]
timestamp_now = Annotated[dt.datetime, mapped_column(DateTime(timezone=False), server_default=func.now())]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        Money: Numeric(15, 2),
        Quantity: Numeric(15, 3),
        Name: String(150),
        LongText: String(1024),
        Code: String(50),
        DocumentNumber: String(256),
        str: String(255),
        uuid.UUID: Uuid(),
        dt.datetime: DateTime(timezone=False),
    }


def infobase_fk() -> Mapped[int]:
    """The owning infobase: every catalogue row belongs to exactly one published database."""
    return mapped_column(ForeignKey("infobases.id", ondelete="CASCADE"), index=True)


def new_ref() -> Mapped[uuid.UUID]:
    """The object's ``Ссылка`` on the wire: generated once, never changed."""
    return mapped_column(Uuid(), default=uuid.uuid4, index=True)


def enum_column_type(cls: type) -> Enum:
    """Store an enum by its value as a short string: portable, readable, and migrations stay simple."""
    return Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class ChangeTracked:
    """A row that travels to devices: ``change_seq`` is stamped on every change (models/tracking.py)."""

    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    origin_node_id: Mapped[int | None] = mapped_column(default=None)
    """The exchange node whose message made the last change; None = the back office. A node never gets its own
    change back (SSL31 ``ОбменДаннымиСервер.УстановитьОбменДаннымиЗагрузка`` sets ``ОбменДанными.Отправитель``, so
    the platform's registration skips the sender); models/tracking.py stamps it with ``change_seq``."""
