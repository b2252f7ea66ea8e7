"""Эквайринговые терминалы: the list per store, the card to add or change one (moving it to another store is a
change), and deleting it; the devices of the terminal's store get each change at their next exchange."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin import organizations, terminals
from kassa_server.admin.text_values import parse_date
from kassa_server.errors import KassaError
from kassa_server.models import AcquiringTerminal
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

FIELDS = ("number", "name", "store", "organization", "acquirer", "contract_number", "contract_date")


@page_handler("terminals")
def terminals_list(page: Page) -> Response:
    stores = organizations.list_stores(page.db, page.infobase)
    store = page.query.get("store", "")
    chosen = store if any(s.name == store for s in stores) else None
    return page.render(
        "terminals.html",
        terminals=terminals.list_terminals(page.db, page.infobase, store=chosen),
        stores=stores,
        store=chosen or "",
    )


@page_handler("terminals")
def terminal_new(page: Page) -> Response:
    if page.request.method == "POST":
        return _save(page, None)
    values = dict.fromkeys(FIELDS, "")
    values["store"] = page.query.get("store", "")
    return _render(page, None, values, {})


@page_handler("terminals")
def terminal(page: Page) -> Response:
    found = terminals.terminal_by_ref(page.db, page.infobase, page.request.path_params["ref"])
    if page.request.method == "POST":
        return _save(page, found)
    values = {
        "number": found.number,
        "name": found.name,
        "store": found.store.name,
        "organization": found.organization.name if found.organization else "",
        "acquirer": found.acquirer.name if found.acquirer else "",
        "contract_number": found.contract_number,
        "contract_date": found.contract_date.isoformat() if found.contract_date else "",
    }
    return _render(page, found, values, {})


@page_handler("terminals")
def terminal_delete(page: Page) -> Response:
    found = terminals.terminal_by_ref(page.db, page.infobase, page.request.path_params["ref"])
    store = found.store.name
    with page.act():
        terminals.delete_terminal(page.db, page.infobase, found.number)
    page.flash(f"Терминал «{found.name}» удален; кассы магазина удалят его при следующей синхронизации.")
    return page.redirect(page.url("terminals", query={"store": store}))


def _save(page: Page, existing: AcquiringTerminal | None) -> Response:
    values = {name: page.field(name) for name in FIELDS}
    errors: dict[str, str] = {}
    try:
        data = terminals.TerminalInput(
            number=values["number"],
            name=values["name"] if existing is not None else values["name"] or None,
            store=values["store"] or None,
            organization=values["organization"],
            acquirer=values["acquirer"],
            contract_number=values["contract_number"],
            contract_date=parse_date(values["contract_date"], "contract_date"),
        )
        with page.act():
            if existing is None:
                saved = terminals.add_terminal(page.db, page.infobase, data)
            else:
                saved = terminals.set_terminal(page.db, page.infobase, existing.number, data)
    except KassaError as exc:
        errors[field_of(exc, "number")] = error_text(exc)
        return _render(page, existing, values, errors, status=422)
    page.flash(f"Терминал «{saved.name}» записан.")
    return page.redirect(page.url("terminals", query={"store": saved.store.name}))


def _render(
    page: Page, found: AcquiringTerminal | None, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return page.render(
        "terminal.html",
        status=status,
        terminal=found,
        values=values,
        errors=errors,
        action=page.url("terminal", ref=found.ref) if found else page.url("terminal_new"),
        stores=[(s.name, s.name) for s in organizations.list_stores(page.db, page.infobase)],
        organizations=[(o.name, o.name) for o in organizations.list_organizations(page.db, page.infobase)],
    )
