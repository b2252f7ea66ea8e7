"""Finding goods in a catalogue of any size: one page at a time, by name, code, article or barcode, within a group
and its subgroups. The list stays fast at 100 000 goods (benchmarks/bench_web_goods.py)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kassa_server.admin.paging import ListPage, contains_text, paged
from kassa_server.errors import NotFoundError
from kassa_server.models import Barcode, Infobase, Price, Product, ProductGroup

GOODS_PAGE_SIZE = 50


@dataclass(frozen=True)
class GoodsQuery:
    text: str = ""
    """The exact code, article or barcode of goods, else part of their name (any letter case)."""
    group_id: int | None = None
    """Only goods in this group and its subgroups."""
    include_deleted: bool = True


@dataclass
class GroupNode:
    group: ProductGroup
    children: list[GroupNode]


def group_tree(session: Session, infobase: Infobase) -> list[GroupNode]:
    groups = list(
        session.scalars(
            select(ProductGroup)
            .where(ProductGroup.infobase_id == infobase.id, ProductGroup.deleted.is_(False))
            .order_by(ProductGroup.name)
        )
    )
    nodes = {group.id: GroupNode(group, []) for group in groups}
    roots: list[GroupNode] = []
    for group in groups:
        parent = nodes.get(group.parent_id) if group.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[group.id])
    return roots


def search_goods(
    session: Session, infobase: Infobase, query: GoodsQuery, *, page: int = 1, page_size: int = GOODS_PAGE_SIZE
) -> ListPage:
    """A page of goods, ordered by name, with their unit, group, barcodes and prices loaded."""
    statement = select(Product).where(Product.infobase_id == infobase.id)
    if not query.include_deleted:
        statement = statement.where(Product.deleted.is_(False))
    if query.group_id is not None:
        statement = statement.where(Product.group_id.in_(_subtree(session, infobase, query.group_id)))
    text = query.text.strip()
    if text:
        exact = _exact_matches(session, infobase, text)
        # a code, article or barcode typed or scanned finds its goods at once (indexed); anything else is a part
        # of the name, looked for in every name whatever the letter case
        statement = statement.where(Product.id.in_(exact) if exact else contains_text(session, Product.name, text))
    statement = statement.order_by(Product.name, Product.id).options(
        selectinload(Product.unit),
        selectinload(Product.group),
        selectinload(Product.barcodes),
        selectinload(Product.prices).selectinload(Price.price_type),
    )
    return paged(session, statement, page, page_size)


def _exact_matches(session: Session, infobase: Infobase, text: str) -> list[int]:
    by_barcode = select(Barcode.product_id).where(Barcode.infobase_id == infobase.id, Barcode.value == text)
    by_code = select(Product.id).where(Product.infobase_id == infobase.id, Product.code == text)
    by_article = select(Product.id).where(Product.infobase_id == infobase.id, Product.article == text)
    return list(session.scalars(by_code.union(by_article, by_barcode).limit(1000)))


def _subtree(session: Session, infobase: Infobase, group_id: int) -> set[int]:
    parents: dict[int, int | None] = dict(
        list(
            session.execute(
                select(ProductGroup.id, ProductGroup.parent_id).where(ProductGroup.infobase_id == infobase.id)
            ).tuples()
        )
    )
    found = {group_id}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found


def get_goods_card(session: Session, infobase: Infobase, product_id: int) -> Product:
    """One product with everything its card shows, read by its row id (the list links to it)."""
    product = session.scalar(
        select(Product)
        .where(Product.infobase_id == infobase.id, Product.id == product_id)
        .options(
            selectinload(Product.unit),
            selectinload(Product.group),
            selectinload(Product.barcodes),
            selectinload(Product.prices).selectinload(Price.price_type),
        )
    )
    if product is None:
        raise NotFoundError(f"no product {product_id} in infobase {infobase.name!r}")
    return product


def group_paths(session: Session, infobase: Infobase) -> list[tuple[int, tuple[str, ...]]]:
    """Every live group with its path from the top, in tree order (for a choice list)."""
    paths: list[tuple[int, tuple[str, ...]]] = []

    def walk(nodes: list[GroupNode], prefix: tuple[str, ...]) -> None:
        for node in nodes:
            path = (*prefix, node.group.name)
            paths.append((node.group.id, path))
            walk(node.children, path)

    walk(group_tree(session, infobase), ())
    return paths


def find_product(session: Session, infobase: Infobase, text: str) -> Product | None:
    """The live product a person names by its code, article, barcode or exact name (in that order)."""
    text = text.strip()
    if not text:
        return None
    live = select(Product).where(Product.infobase_id == infobase.id, Product.deleted.is_(False))
    for condition in (
        Product.code == text,
        Product.article == text,
        Product.id.in_(select(Barcode.product_id).where(Barcode.infobase_id == infobase.id, Barcode.value == text)),
        Product.name == text,
    ):
        found = session.scalar(live.where(condition).order_by(Product.id).limit(1))
        if found is not None:
            return found
    return None
