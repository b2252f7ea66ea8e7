"""Organizations (the sellers on the receipts) and their stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.models import Infobase, Organization, Store
from kassa_server.models.enums import LegalForm, TaxSystem

_Named = TypeVar("_Named", Organization, Store)

DEFAULT_ORGANIZATION = "Моя организация"
DEFAULT_STORE = "Мой магазин"


@dataclass(frozen=True)
class OrganizationInput:
    """An organization's fields; ``None`` leaves a field as it is when changing one."""

    name: str | None = None
    full_name: str | None = None
    inn: str | None = None
    kpp: str | None = None
    legal_form: LegalForm | None = None
    tax_system: TaxSystem | None = None


@dataclass(frozen=True)
class StoreInput:
    name: str
    address: str = ""
    organization: str | None = None
    """The organization's name; default: the infobase's first one."""


def create_organization(session: Session, infobase: Infobase, data: OrganizationInput) -> Organization:
    if not data.name or not data.name.strip():
        raise ValidationError("name", "the organization's name is empty")
    name = data.name.strip()
    if _find(session, Organization, infobase, name) is not None:
        raise AlreadyExistsError(f"organization {name!r} exists already in infobase {infobase.name!r}")
    organization = Organization(infobase_id=infobase.id, name=name, full_name="", inn="", kpp="")
    organization.legal_form = LegalForm.LEGAL_ENTITY
    _apply(organization, data)
    session.add(organization)
    session.flush()
    return organization


def set_organization(session: Session, infobase: Infobase, name: str, data: OrganizationInput) -> Organization:
    organization = get_organization(session, infobase, name)
    if data.name is not None and data.name.strip() != organization.name:
        new_name = data.name.strip()
        if not new_name:
            raise ValidationError("name", "the organization's name is empty")
        if _find(session, Organization, infobase, new_name) is not None:
            raise AlreadyExistsError(f"organization {new_name!r} exists already in infobase {infobase.name!r}")
        organization.name = new_name
    _apply(organization, data)
    session.flush()
    return organization


def get_organization(session: Session, infobase: Infobase, name: str | None = None) -> Organization:
    """The organization named ``name``, or the infobase's first one when ``name`` is None."""
    if name is not None:
        found = _find(session, Organization, infobase, name)
        if found is None:
            raise NotFoundError(f"no organization named {name!r} in infobase {infobase.name!r}")
        return found
    first = session.scalar(_live(Organization, infobase).order_by(Organization.id))
    if first is None:
        raise NotFoundError(
            f"infobase {infobase.name!r} has no organization yet: create one (kassa-server organization create)"
        )
    return first


def list_organizations(session: Session, infobase: Infobase) -> list[Organization]:
    return list(session.scalars(_live(Organization, infobase).order_by(Organization.id)))


def create_store(session: Session, infobase: Infobase, data: StoreInput) -> Store:
    name = data.name.strip()
    if not name:
        raise ValidationError("name", "the store's name is empty")
    if _find(session, Store, infobase, name) is not None:
        raise AlreadyExistsError(f"store {name!r} exists already in infobase {infobase.name!r}")
    organization = get_organization(session, infobase, data.organization)
    store = Store(infobase_id=infobase.id, name=name, address=data.address, organization=organization)
    session.add(store)
    session.flush()
    return store


def set_store(
    session: Session, infobase: Infobase, name: str, *, new_name: str | None = None, address: str | None = None
) -> Store:
    store = get_store(session, infobase, name)
    if new_name is not None and new_name.strip() != store.name:
        if not new_name.strip():
            raise ValidationError("name", "the store's name is empty")
        if _find(session, Store, infobase, new_name.strip()) is not None:
            raise AlreadyExistsError(f"store {new_name.strip()!r} exists already in infobase {infobase.name!r}")
        store.name = new_name.strip()
    if address is not None:
        store.address = address
    session.flush()
    return store


def get_store(
    session: Session, infobase: Infobase, name: str | None = None, *, organization: Organization | None = None
) -> Store:
    """The store named ``name``; without a name, the organization's first store, else the infobase's first one."""
    if name is not None:
        found = _find(session, Store, infobase, name)
        if found is None:
            raise NotFoundError(f"no store named {name!r} in infobase {infobase.name!r}")
        return found
    query = _live(Store, infobase).order_by(Store.id)
    found = None
    if organization is not None:
        found = session.scalar(query.where(Store.organization_id == organization.id))
    found = found or session.scalar(query)
    if found is None:
        raise NotFoundError(f"infobase {infobase.name!r} has no store yet: create one (kassa-server store create)")
    return found


def list_stores(session: Session, infobase: Infobase) -> list[Store]:
    return list(session.scalars(_live(Store, infobase).order_by(Store.id)))


def _apply(organization: Organization, data: OrganizationInput) -> None:
    if data.full_name is not None:
        organization.full_name = data.full_name
    if data.inn is not None:
        inn = data.inn.strip()
        if inn and (not inn.isdigit() or len(inn) not in (10, 12)):
            raise ValidationError("inn", f"ИНН {inn!r}: 10 digits (a company) or 12 digits (an entrepreneur)")
        organization.inn = inn
        if inn and data.legal_form is None:  # 12 digits: an entrepreneur's ИНН; 10: a company's
            organization.legal_form = LegalForm.INDIVIDUAL if len(inn) == 12 else LegalForm.LEGAL_ENTITY
    if data.kpp is not None:
        kpp = data.kpp.strip()
        if kpp and (len(kpp) != 9 or not kpp[:4].isdigit() or not kpp[6:].isdigit()):
            raise ValidationError("kpp", f"КПП {kpp!r}: 9 characters, e.g. 770101001")
        organization.kpp = kpp
    if data.legal_form is not None:
        organization.legal_form = data.legal_form
    if data.tax_system is not None:
        organization.tax_system = data.tax_system
    if not organization.full_name:
        organization.full_name = organization.name


def _live(model: type[_Named], infobase: Infobase) -> Select[tuple[_Named]]:
    return select(model).where(model.infobase_id == infobase.id, model.deleted.is_(False))


def _find(session: Session, model: type[_Named], infobase: Infobase, name: str) -> _Named | None:
    return session.scalar(_live(model, infobase).where(model.name == name))
