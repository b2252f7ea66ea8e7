"""Начальная страница."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from kassa_server.admin.nodes import pending_changes
from kassa_server.admin.sales import overview
from kassa_server.web.pages import Page, page_handler


@page_handler("home")
def home(page: Page) -> Response:
    today = dt.date.today()
    figures = overview(page.db, page.infobase, today, pending=lambda node: pending_changes(page.db, node))
    return page.render("home.html", figures=figures)
