"""``kassa-server terminal|card|stock|kind|characteristic`` in a subprocess, on SQLite and PostgreSQL (issue 17)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from kassa_server.models import DiscountCard, Product
from tests.test_cli import kassa, query


def test_terminals_cards_stock_and_sizes_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    assert kassa(db_url, "demo").returncode == 0
    added = kassa(db_url, "terminal", "add", "--infobase", "kassa", "555", "--acquirer", "Банк", "--contract", "Д-5")
    assert added.returncode == 0, added.stderr
    listing = kassa(db_url, "terminal", "list", "--infobase", "kassa")
    assert listing.returncode == 0 and "\n555\tТерминал 555\t" in listing.stdout and "\tБанк\tД-5\t" in listing.stdout
    again = kassa(db_url, "terminal", "add", "--infobase", "kassa", "555")
    assert again.returncode == 1 and "exists already" in again.stderr

    exported = kassa(db_url, "card", "export", "--infobase", "kassa", "-")
    assert exported.returncode == 0 and exported.stdout.startswith("number,barcode,magnetic_code,owner,kind,")
    assert exported.stdout.count("\n") == 4  # the header and the demo's three cards
    cards_file = tmp_path / "cards.csv"
    cards_file.write_bytes("number;owner;discount_percent\r\n7000;Петров;7\r\n".encode("cp1251"))
    imported = kassa(db_url, "card", "import", "--infobase", "kassa", str(cards_file))
    assert imported.returncode == 0 and "1 created" in imported.stdout, imported.stderr
    [(percent,)] = query(db_url, select(DiscountCard.discount_percent).where(DiscountCard.number == "7000"))
    assert percent == 7
    bad = kassa(db_url, "card", "import", "--infobase", "kassa", "-", stdin="number,status\n7001,lost\n")
    assert bad.returncode == 1 and "line 2" in bad.stderr and "nothing imported" in bad.stderr

    [(shoes,)] = query(db_url, select(Product.ref).where(Product.name == "Кроссовки беговые"))
    sizes = kassa(db_url, "characteristic", "list", "--infobase", "kassa")
    assert sizes.returncode == 0 and sizes.stdout.count("Кроссовки беговые, размер") == 4
    assert kassa(db_url, "characteristic", "add", "--infobase", "kassa", "44", "--product", str(shoes)).returncode == 0
    assert (
        kassa(db_url, "stock", "set", "--infobase", "kassa", str(shoes), "3", "--characteristic", "44").returncode == 0
    )
    stock = kassa(db_url, "stock", "export", "--infobase", "kassa", "-")
    assert stock.returncode == 0 and f"{shoes}," in stock.stdout and ",44,3.000" in stock.stdout
    stock_file = tmp_path / "stock.csv"
    stock_file.write_text(f"ref,characteristic,quantity\n{shoes},44,12\n", encoding="utf-8")
    assert kassa(db_url, "stock", "import", "--infobase", "kassa", str(stock_file)).returncode == 0
    assert ",44,12.000" in kassa(db_url, "stock", "export", "--infobase", "kassa", "-").stdout
    kinds = kassa(db_url, "kind", "list", "--infobase", "kassa")
    assert kinds.returncode == 0 and "Обувь\tgoods\t" in kinds.stdout
