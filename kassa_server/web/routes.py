"""The back office's URLs, relative to ``/<base>``; names are what templates and handlers pass to ``url()``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from kassa_server.web.views import auth, goods, home, journal, sales


def build_routes() -> list[BaseRoute]:
    get, post, both = ["GET"], ["POST"], ["GET", "POST"]
    return [
        Route("/", home.home, methods=get, name="home"),
        Route("/login", auth.login, methods=both, name="login"),
        Route("/logout", auth.logout, methods=post, name="logout"),
        Route("/goods", goods.goods, methods=get, name="goods"),
        Route("/receipts", sales.receipts, methods=get, name="receipts"),
        Route("/receipts/{receipt_id:int}", sales.receipt, methods=get, name="receipt"),
        Route("/shifts", sales.shifts, methods=get, name="shifts"),
        Route("/journal", journal.journal, methods=get, name="journal"),
        Route("/journal/{call_id:int}", journal.journal_entry, methods=get, name="journal_entry"),
    ]
