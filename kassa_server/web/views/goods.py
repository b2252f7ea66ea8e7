"""Товары: the group tree, the list with search and paging, the card."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin.catalog_search import GoodsQuery, group_tree, search_goods
from kassa_server.web.pages import Page, page_handler


@page_handler("goods")
def goods(page: Page) -> Response:
    q = page.query
    group = q.get("group", "")
    number = q.get("page", "")
    query = GoodsQuery(text=q.get("q", "")[:200], group_id=int(group) if group.isdigit() and len(group) < 10 else None)
    listed = search_goods(page.db, page.infobase, query, page=int(number) if number.isdigit() else 1)
    filters = {"q": query.text, "group": group}
    if page.is_htmx and page.request.headers.get("hx-target") == "goods-list":
        return page.render("goods_list.html", listed=listed, filters=filters)
    return page.render(
        "goods.html", listed=listed, filters=filters, tree=group_tree(page.db, page.infobase), group=query.group_id
    )
