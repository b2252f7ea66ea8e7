"""The command line, end to end in a subprocess, happy paths and error paths, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kassa_server.models import CashRegister, CustomerOrder, Infobase, Price, Product, User
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import OrderStatus, RegisterKind


def kassa(db_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    return subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=120,
    )


def query(db_url: str, statement):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.execute(statement).all()
    finally:
        engine.dispose()


def test_demo_seeds_a_whole_shop_and_says_how_to_log_in(db_url: str) -> None:
    result = kassa(db_url, "demo")
    assert result.returncode == 0, result.stderr
    assert "Кассир" in result.stdout
    assert "/kassa/ws/EnterpriseDataExchange_1_0_1_1?wsdl" in result.stdout
    [(goods,)] = query(db_url, select(func.count()).select_from(Product))
    assert goods >= 50
    statuses = {row[0] for row in query(db_url, select(CustomerOrder.status))}
    assert statuses == set(OrderStatus)
    assigned = query(db_url, select(CustomerOrder.status).where(CustomerOrder.cash_register_id.is_not(None)))
    assert {OrderStatus.AGREED, OrderStatus.ASSEMBLED, OrderStatus.IN_TRANSIT} <= {row[0] for row in assigned}
    [(kind, number)] = query(db_url, select(CashRegister.kind, CashRegister.factory_number))
    assert kind == RegisterKind.MOBILE_KASSA and number
    # a second demo in the same database is refused, with one line and exit 1
    again = kassa(db_url, "demo")
    assert again.returncode == 1
    assert again.stderr.strip() == "kassa-server: error: infobase 'kassa' exists already"


def test_infobase_and_user_commands(db_url: str) -> None:
    created = kassa(db_url, "infobase", "create", "Shop", "--title", "Мой магазин", "--public-url", "https://h/Shop/")
    assert created.returncode == 0, created.stderr
    listed = kassa(db_url, "infobase", "list")
    assert listed.stdout.splitlines() == [
        "Shop\tМой магазин\thttps://h/Shop\tСинхронизацияДанныхЧерезУниверсальныйФормат\tsync on"
    ]
    off = kassa(db_url, "infobase", "set", "Shop", "--sync", "off")
    assert off.returncode == 0, off.stderr
    assert "data synchronization off" in off.stdout
    assert query(db_url, select(Infobase.sync_enabled)) == [(False,)]
    assert kassa(db_url, "infobase", "list").stdout.rstrip("\n").endswith("\tsync off")
    bad = kassa(db_url, "infobase", "set", "Shop", "--sync", "maybe")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    assert kassa(db_url, "infobase", "set", "Shop", "--sync", "on").returncode == 0
    assert query(db_url, select(Infobase.sync_enabled)) == [(True,)]
    added = kassa(db_url, "user", "add", "--infobase", "Shop", "Продавец", "--password", "секрет")
    assert added.returncode == 0, added.stderr
    from_stdin = kassa(db_url, "user", "add", "--infobase", "Shop", "second", stdin="pw\n")
    assert from_stdin.returncode == 0, from_stdin.stderr
    rows = query(db_url, select(User.login, User.password_hash).order_by(User.id))
    assert [login for login, _ in rows] == ["Продавец", "second"]
    assert all("секрет" not in digest for _, digest in rows)

    wrong_case = kassa(db_url, "user", "add", "--infobase", "shop", "x", "--password", "y")
    assert wrong_case.returncode == 1
    assert "no infobase named 'shop' (names are case-sensitive)" in wrong_case.stderr
    duplicate = kassa(db_url, "user", "add", "--infobase", "Shop", "second", "--password", "y")
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    bad_name = kassa(db_url, "infobase", "create", "a/b")
    assert bad_name.returncode == 1 and "infobase name 'a/b'" in bad_name.stderr
    bad_url = kassa(db_url, "infobase", "create", "X", "--public-url", "ftp://x")
    assert bad_url.returncode == 1 and "public URL" in bad_url.stderr
    assert "Traceback" not in bad_name.stderr + bad_url.stderr + duplicate.stderr


def test_goods_export_import_round_trip_and_update(db_url: str, tmp_path: Path) -> None:
    assert kassa(db_url, "demo").returncode == 0
    exported = tmp_path / "goods.csv"
    result = kassa(db_url, "goods", "export", "--infobase", "kassa", str(exported))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert len(rows) >= 50
    assert rows[0]["group"] == "Продукты / Молочные" and rows[0]["barcodes"]

    rows[0]["price"] = "100,50"
    rows[0]["name"] = "Молоко новое"
    new_row = dict.fromkeys(rows[0], "")
    new_row.update(
        name="Новый товар",
        group="Новая группа / Подгруппа",
        barcodes="4600000000008;4600000000015",
        price="12.3",
        vat_rate="20/120",
        weighed="да",
        unit_code="166",
        unit_name="кг",
    )
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([rows[0], new_row])
    imported = kassa(db_url, "goods", "import", "--infobase", "kassa", str(changed))
    assert imported.returncode == 0, imported.stderr
    assert "1 created, 1 updated" in imported.stdout

    [(name, price)] = query(
        db_url,
        select(Product.name, Price.value)
        .join(Price, Price.product_id == Product.id)
        .where(Product.ref == _uuid(rows[0]["ref"])),
    )
    assert (name, str(price)) == ("Молоко новое", "100.50")
    again = kassa(db_url, "goods", "export", "--infobase", "kassa", "-")
    new = [r for r in csv.DictReader(io.StringIO(again.stdout)) if r["name"] == "Новый товар"]
    assert new and new[0]["group"] == "Новая группа / Подгруппа"
    assert new[0]["barcodes"].split() == ["4600000000008", "4600000000015"]
    assert (new[0]["vat_rate"], new[0]["weighed"], new[0]["unit_code"], new[0]["price"]) == (
        "20/120",
        "1",
        "166",
        "12.30",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,price\nГодный,1\n,2\n", "line 3: name is empty"),
        ("name,price\nГодный,1\nПлохой,abc\n", "line 3: price 'abc' is not a number"),
        ("name,vat_rate\nГодный,20\nПлохой,13\n", "line 3: vat_rate '13' is not one of"),
        ("name,barcodes\nA,111\nB,111\n", "line 3: barcode 111 is also on line 2"),
        ("name,colour\nA,red\n", "line 1: unknown column(s): colour"),
        ("price\n1\n", "line 1: missing column(s): name"),
        ("ref,name\nnot-a-uuid,A\n", "line 2: ref 'not-a-uuid' is not a UUID"),
    ],
)
def test_a_bad_csv_row_names_its_line_and_nothing_is_imported(
    sqlite_url: str, tmp_path: Path, content: str, message: str
) -> None:
    assert kassa(sqlite_url, "infobase", "create", "kassa").returncode == 0
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = kassa(sqlite_url, "goods", "import", "--infobase", "kassa", str(path))
    assert result.returncode == 1
    assert message in result.stderr
    assert "nothing imported" in result.stderr
    assert query(sqlite_url, select(func.count()).select_from(Product)) == [(0,)]


def test_user_errors_exit_1_and_usage_errors_exit_2(sqlite_url: str, tmp_path: Path) -> None:
    missing_file = kassa(sqlite_url, "goods", "import", "--infobase", "kassa", str(tmp_path / "nope.csv"))
    assert missing_file.returncode == 1 and "No such file" in missing_file.stderr
    usage = kassa(sqlite_url, "infobase", "create")
    assert usage.returncode == 2
    bad_db = kassa("postgresql+psycopg://nobody@127.0.0.1:1/x", "infobase", "list")
    assert bad_db.returncode == 1
    assert bad_db.stderr.startswith("kassa-server: error: database unavailable")
    assert "Traceback" not in bad_db.stderr


def test_db_upgrade_and_check(empty_db_url: str) -> None:
    up = kassa(empty_db_url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    checked = kassa(empty_db_url, "db", "check")
    assert checked.returncode == 0, checked.stderr
    assert query(empty_db_url, select(func.count()).select_from(Infobase)) == [(0,)]


def _uuid(text: str):  # type: ignore[no-untyped-def]
    import uuid

    return uuid.UUID(text)
