"""``/infobases/{infobase}/terminals``: acquiring terminals of the stores (``Справочник.ЭквайринговыеТерминалы``).

A device gets the terminals of its register's store and takes card payments through them; changes, moves to another
store and deletions reach the devices at their next exchange.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from kassa_server.admin import terminals
from kassa_server.admin.infobases import get_infobase
from kassa_server.api.context import ApiContext, api_context
from kassa_server.api.errors import CONFLICT, NOT_FOUND
from kassa_server.api.infobases import manages
from kassa_server.models import AcquiringTerminal

router = APIRouter(tags=["terminals"])


class TerminalIn(BaseModel):
    """A terminal to add, or (PATCH) the fields to change: omitted fields stay as they are."""

    number: str | None = Field(None, description="The terminal's number (TID), unique in the infobase; required")
    name: str | None = Field(None, description="Default: «Терминал <number>»")
    store: str | None = Field(None, description="The store's name; default: the first store. PATCH moves it")
    organization: str | None = Field(None, description="The organization's name; empty removes it")
    acquirer: str | None = Field(None, description="The acquiring bank (created when missing); empty removes it")
    contract_number: str | None = Field(None, description="The acquiring contract's number (needs an acquirer)")
    contract_date: dt.date | None = None


class TerminalOut(BaseModel):
    ref: uuid.UUID
    number: str
    name: str
    store: str
    organization: str | None
    acquirer: str | None
    contract_number: str
    contract_date: dt.date | None


def terminal_out(terminal: AcquiringTerminal) -> TerminalOut:
    return TerminalOut(
        ref=terminal.ref,
        number=terminal.number,
        name=terminal.name,
        store=terminal.store.name,
        organization=terminal.organization.name if terminal.organization else None,
        acquirer=terminal.acquirer.name if terminal.acquirer else None,
        contract_number=terminal.contract_number,
        contract_date=terminal.contract_date,
    )


def _input(body: TerminalIn) -> terminals.TerminalInput:
    return terminals.TerminalInput(
        number=body.number,
        name=body.name,
        store=body.store,
        organization=body.organization,
        acquirer=body.acquirer,
        contract_number=body.contract_number,
        contract_date=body.contract_date,
    )


@router.get("/infobases/{infobase}/terminals", response_model=list[TerminalOut], responses=NOT_FOUND)
def list_all(
    store: str | None = None, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> list[TerminalOut]:
    """The terminals, of one store when ``store`` (its name) is given."""
    with context.transaction() as session:
        rows = terminals.list_terminals(session, get_infobase(session, infobase), store=store)
        return [terminal_out(t) for t in rows]


@router.post(
    "/infobases/{infobase}/terminals",
    status_code=201,
    response_model=TerminalOut,
    responses={**NOT_FOUND, **CONFLICT},
)
def create(
    body: TerminalIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> TerminalOut:
    """Add a terminal to a store; the store's devices get it at their next exchange."""
    with context.transaction() as session:
        return terminal_out(terminals.add_terminal(session, get_infobase(session, infobase), _input(body)))


@router.get("/infobases/{infobase}/terminals/{number}", response_model=TerminalOut, responses=NOT_FOUND)
def get_one(number: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> TerminalOut:
    with context.transaction() as session:
        return terminal_out(terminals.get_terminal(session, get_infobase(session, infobase), number))


@router.patch(
    "/infobases/{infobase}/terminals/{number}", response_model=TerminalOut, responses={**NOT_FOUND, **CONFLICT}
)
def change(
    number: str, body: TerminalIn, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)
) -> TerminalOut:
    """Change the fields given (``number`` renumbers it, ``store`` moves it): at their next exchange the devices of
    its store get it again, and those of a store it left get its deletion."""
    with context.transaction() as session:
        return terminal_out(terminals.set_terminal(session, get_infobase(session, infobase), number, _input(body)))


@router.delete("/infobases/{infobase}/terminals/{number}", status_code=204, responses=NOT_FOUND)
def delete(number: str, infobase: str = Depends(manages), context: ApiContext = Depends(api_context)) -> Response:
    """Remove it: the devices get its deletion; receipts keep the terminal they were paid through."""
    with context.transaction() as session:
        terminals.delete_terminal(session, get_infobase(session, infobase), number)
    return Response(status_code=204)
