"""Cash registers. One of type «1С:Мобильная касса» becomes an exchange node whose code is its factory number."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, ChangeTracked, Name, enum_column_type, infobase_fk, intpk, new_ref
from kassa_server.models.catalog import Organization, PriceType, Store
from kassa_server.models.enums import RegisterKind, TaxSystem


class CashRegister(ChangeTracked, Base):
    __tablename__ = "cash_registers"
    __table_args__ = (UniqueConstraint("infobase_id", "factory_number"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = infobase_fk()
    ref: Mapped[uuid.UUID] = new_ref()
    name: Mapped[Name]
    kind: Mapped[RegisterKind] = mapped_column(enum_column_type(RegisterKind), default=RegisterKind.MOBILE_KASSA)
    factory_number: Mapped[str] = mapped_column(String(50))
    """«Заводской номер»: the app's «Идентификатор приложения» and the node code (mobile-kassa.md §4 [V INSTR])."""
    registration_number: Mapped[str] = mapped_column(String(50), default="")
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="SET NULL"))
    tax_system: Mapped[TaxSystem | None] = mapped_column(enum_column_type(TaxSystem))
    """Overrides the organization's; sent as ``СистемаНалогообложения`` up to 1.16."""
    price_type_id: Mapped[int | None] = mapped_column(ForeignKey("price_types.id", ondelete="SET NULL"))
    deleted: Mapped[bool] = mapped_column(default=False)

    organization: Mapped[Organization] = relationship()
    store: Mapped[Store | None] = relationship()
    price_type: Mapped[PriceType | None] = relationship()

    @property
    def effective_tax_system(self) -> TaxSystem:
        return self.tax_system or self.organization.tax_system
