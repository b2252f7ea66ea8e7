"""Журнал обмена: вызовы веб-сервисов и сообщения EnterpriseData внутри них."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin.journal import (
    OUTCOMES,
    JournalFilter,
    decode_call,
    get_call,
    journal_choices,
    list_calls,
    rejected_objects,
)
from kassa_server.web.pages import Page, page_handler

OUTCOME_NAMES = {
    "ok": "Успешно",
    "soft_error": "Ошибка",
    "fault": "Отказ (SOAP Fault)",
    "rejected": "Отклонен",
    "wsdl": "Описание WSDL",
}


@page_handler("journal")
def journal(page: Page) -> Response:
    q = page.query
    criteria = JournalFilter(
        node_code=q.get("node", ""),
        service=q.get("service", ""),
        operation=q.get("operation", ""),
        outcome=q.get("outcome", "") if q.get("outcome", "") in OUTCOMES else "",
    )
    number = q.get("page", "")
    listed = list_calls(page.db, page.infobase, criteria, page=int(number) if number.isdigit() else 1)
    return page.render(
        "journal.html",
        listed=listed,
        choices=journal_choices(page.db, page.infobase),
        filters=dict(q),
        outcomes=OUTCOME_NAMES,
    )


@page_handler("journal")
def journal_entry(page: Page) -> Response:
    call = get_call(page.db, page.infobase, page.request.path_params["call_id"])
    messages = decode_call(call, body_limit=page.web.settings.limits.journal_body_limit)
    rejected = rejected_objects(page.db, page.infobase, call.node_code) if call.node_code else []
    return page.render("journal_entry.html", call=call, messages=messages, rejected=rejected, outcomes=OUTCOME_NAMES)
