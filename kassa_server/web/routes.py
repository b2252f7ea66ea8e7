"""The back office's URLs, relative to ``/<base>``; names are what templates and handlers pass to ``url()``."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from kassa_server.web.views import (
    admin,
    auth,
    goods,
    goods_csv,
    home,
    journal,
    orders,
    prices,
    product,
    registers,
    sales,
)


def build_routes() -> list[BaseRoute]:
    get, post, both = ["GET"], ["POST"], ["GET", "POST"]
    return [
        Route("/", home.home, methods=get, name="home"),
        Route("/login", auth.login, methods=both, name="login"),
        Route("/logout", auth.logout, methods=post, name="logout"),
        Route("/goods", goods.goods, methods=get, name="goods"),
        Route("/goods/new", product.product_new, methods=both, name="product_new"),
        Route("/goods/import", goods_csv.goods_import, methods=both, name="goods_import"),
        Route("/goods/import/{job_id}", goods_csv.goods_import_progress, methods=get, name="goods_import_progress"),
        Route("/goods/export.csv", goods_csv.goods_export, methods=get, name="goods_export"),
        Route("/goods/{product_id:int}", product.product, methods=both, name="product"),
        Route("/goods/{product_id:int}/delete", product.product_delete, methods=post, name="product_delete"),
        Route("/prices", prices.prices, methods=both, name="prices"),
        Route("/prices/types", prices.price_type_new, methods=post, name="price_type_new"),
        Route("/orders", orders.orders_list, methods=get, name="orders"),
        Route("/orders/new", orders.order_new, methods=both, name="order_new"),
        Route("/orders/{order_id:int}", orders.order, methods=both, name="order"),
        Route("/orders/{order_id:int}/lines", orders.order_lines, methods=post, name="order_lines"),
        Route("/registers", registers.registers, methods=get, name="registers"),
        Route("/registers/new", registers.register_new, methods=both, name="register_new"),
        Route("/registers/{register_id:int}", registers.register, methods=get, name="register"),
        Route("/registers/{register_id:int}/qr.png", registers.register_qr, methods=get, name="register_qr"),
        Route("/registers/{register_id:int}/resend", registers.register_resend, methods=post, name="register_resend"),
        Route("/receipts", sales.receipts, methods=get, name="receipts"),
        Route("/receipts/{receipt_id:int}", sales.receipt, methods=get, name="receipt"),
        Route("/shifts", sales.shifts, methods=get, name="shifts"),
        Route("/cash-operations", sales.cash_operations, methods=get, name="cash_operations"),
        Route("/reports/sales", sales.report, methods=get, name="report"),
        Route("/journal", journal.journal, methods=get, name="journal"),
        Route("/journal/{call_id:int}", journal.journal_entry, methods=get, name="journal_entry"),
        Route("/settings", admin.settings, methods=both, name="settings"),
        Route("/sync", admin.sync, methods=both, name="sync"),
        Route("/users", admin.users, methods=both, name="users"),
        Route("/users/{user_id:int}", admin.user, methods=post, name="user"),
    ]
