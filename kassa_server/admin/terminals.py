"""Acquiring terminals of the trading points (``Справочник.ЭквайринговыеТерминалы``, objects.md §4.11).

A device gets the terminals of its register's store (and organization) and takes card payments through them; its
receipts name the terminal in ``ОплатаПлатежнымиКартами/ЭквайринговыйТерминал``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kassa_server.admin.organizations import get_organization, get_store
from kassa_server.errors import AlreadyExistsError, NotFoundError, ValidationError
from kassa_server.models import AcquiringTerminal, Counterparty, Infobase
from kassa_server.models.enums import LegalForm

NUMBER_MAX = 50


@dataclass(frozen=True)
class TerminalInput:
    """A terminal's fields; ``None`` leaves a field as it is when changing one (and means the default when adding)."""

    number: str | None = None
    """The terminal's number (its «идентификатор», TID); unique in the infobase."""
    name: str | None = None
    store: str | None = None
    """The store's name; default: the infobase's first store."""
    organization: str | None = None
    """The organization's name; default: the store's."""
    acquirer: str | None = None
    """The acquiring bank's name (a counterparty; created when missing); "" removes it."""
    contract_number: str | None = None
    """The acquiring contract's number; "" removes the contract (and its date)."""
    contract_date: dt.date | None = None


def add_terminal(session: Session, infobase: Infobase, data: TerminalInput) -> AcquiringTerminal:
    number = _number(data.number)
    if _by_number(session, infobase, number) is not None:
        raise AlreadyExistsError(f"terminal {number!r} exists already in infobase {infobase.name!r}")
    store = get_store(session, infobase, data.store)
    terminal = AcquiringTerminal(
        infobase_id=infobase.id, number=number, name=(data.name or "").strip() or f"Терминал {number}", store=store
    )
    _apply(session, infobase, terminal, data)
    session.add(terminal)
    session.flush()
    return terminal


def set_terminal(session: Session, infobase: Infobase, number: str, data: TerminalInput) -> AcquiringTerminal:
    terminal = get_terminal(session, infobase, number)
    if data.number is not None and data.number.strip() != terminal.number:
        new_number = _number(data.number)
        if _by_number(session, infobase, new_number) is not None:
            raise AlreadyExistsError(f"terminal {new_number!r} exists already in infobase {infobase.name!r}")
        terminal.number = new_number
    if data.name is not None:
        if not data.name.strip():
            raise ValidationError("name", "the terminal's name is empty")
        terminal.name = data.name.strip()
    if data.store is not None:
        terminal.store = get_store(session, infobase, data.store)
    _apply(session, infobase, terminal, data)
    session.flush()
    return terminal


def get_terminal(session: Session, infobase: Infobase, number: str) -> AcquiringTerminal:
    found = _by_number(session, infobase, number.strip())
    if found is None:
        raise NotFoundError(f"no terminal {number!r} in infobase {infobase.name!r}")
    return found


def terminal_by_ref(session: Session, infobase: Infobase, ref: uuid.UUID) -> AcquiringTerminal:
    found = session.scalar(
        select(AcquiringTerminal).where(AcquiringTerminal.infobase_id == infobase.id, AcquiringTerminal.ref == ref)
    )
    if found is None or found.deleted:
        raise NotFoundError(f"no terminal with ref {ref} in infobase {infobase.name!r}")
    return found


def list_terminals(session: Session, infobase: Infobase, *, store: str | None = None) -> list[AcquiringTerminal]:
    query = select(AcquiringTerminal).where(
        AcquiringTerminal.infobase_id == infobase.id, AcquiringTerminal.deleted.is_(False)
    )
    if store is not None:
        query = query.where(AcquiringTerminal.store_id == get_store(session, infobase, store).id)
    return list(session.scalars(query.order_by(AcquiringTerminal.id)))


def delete_terminal(session: Session, infobase: Infobase, number: str) -> AcquiringTerminal:
    """Remove a terminal: the devices get its deletion (``УдалениеОбъекта``); receipts keep their reference."""
    terminal = get_terminal(session, infobase, number)
    session.delete(terminal)
    session.flush()
    return terminal


def find_counterparty(
    session: Session, infobase: Infobase, name: str, legal_form: LegalForm = LegalForm.LEGAL_ENTITY
) -> Counterparty:
    """The counterparty named ``name`` (a bank, a card owner), created with ``legal_form`` when missing."""
    name = name.strip()
    found = session.scalar(
        select(Counterparty)
        .where(Counterparty.infobase_id == infobase.id, Counterparty.name == name, Counterparty.deleted.is_(False))
        .order_by(Counterparty.id)
    )
    if found is None:
        found = Counterparty(infobase_id=infobase.id, name=name, full_name=name, legal_form=legal_form)
        session.add(found)
    return found


def _apply(session: Session, infobase: Infobase, terminal: AcquiringTerminal, data: TerminalInput) -> None:
    if data.organization is not None:
        terminal.organization = get_organization(session, infobase, data.organization) if data.organization else None
    if data.acquirer is not None:
        terminal.acquirer = find_counterparty(session, infobase, data.acquirer) if data.acquirer.strip() else None
    if data.contract_number is not None:
        if len(data.contract_number.strip()) > 100:
            raise ValidationError("contract_number", "at most 100 characters")
        terminal.contract_number = data.contract_number.strip()
        if not terminal.contract_number:
            terminal.contract_date = None  # no contract, no contract date
    if data.contract_date is not None:
        terminal.contract_date = data.contract_date
    if terminal.contract_number and terminal.acquirer is None and terminal.acquirer_id is None:
        raise ValidationError("acquirer", "a contract needs the acquirer it is made with")


def _number(number: str | None) -> str:
    value = (number or "").strip()
    if not value:
        raise ValidationError("number", "the terminal's number is empty")
    if len(value) > NUMBER_MAX:
        raise ValidationError("number", f"at most {NUMBER_MAX} characters")
    return value


def _by_number(session: Session, infobase: Infobase, number: str) -> AcquiringTerminal | None:
    return session.scalar(
        select(AcquiringTerminal).where(
            AcquiringTerminal.infobase_id == infobase.id,
            AcquiringTerminal.number == number,
            AcquiringTerminal.deleted.is_(False),
        )
    )
