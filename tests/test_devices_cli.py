"""``kassa-server device add|list|qr`` end to end, with the QR code read back by a real decoder."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from lxml import etree
from PIL import Image
from sqlalchemy import select

from kassa_server.models import CashRegister, ExchangeNode
from kassa_server.models.enums import RegisterKind
from tests.test_cli import kassa, query


def test_device_add_creates_a_mobile_kassa_register_and_its_node(db_url: str) -> None:
    assert kassa(db_url, "demo", "--public-url", "https://shop.example.ru/kassa").returncode == 0
    added = kassa(
        db_url, "device", "add", "--infobase", "kassa", "--factory-number", " 0000000002000001 ", "--name", "Касса 2"
    )
    assert added.returncode == 0, added.stderr
    rows = query(
        db_url,
        select(CashRegister.name, CashRegister.kind, ExchangeNode.code)
        .join(ExchangeNode, ExchangeNode.cash_register_id == CashRegister.id)
        .where(CashRegister.factory_number == "0000000002000001"),
    )
    assert rows == [("Касса 2", RegisterKind.MOBILE_KASSA, "0000000002000001")]
    listed = kassa(db_url, "device", "list", "--infobase", "kassa")
    assert "0000000002000001\tКасса 2" in listed.stdout
    assert "0000000001012345\tМобильная касса №1" in listed.stdout

    again = kassa(db_url, "device", "add", "--infobase", "kassa", "--factory-number", "0000000002000001")
    assert again.returncode == 1 and "exists already" in again.stderr
    no_store = kassa(db_url, "device", "add", "--infobase", "kassa", "--factory-number", "9", "--store", "Нет такого")
    assert no_store.returncode == 1 and "no store named 'Нет такого'" in no_store.stderr


def test_device_qr_prints_the_string_and_writes_a_png_a_decoder_reads(db_url: str, tmp_path: Path) -> None:
    assert kassa(db_url, "demo", "--public-url", "https://shop.example.ru/kassa/").returncode == 0
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    result = kassa(
        db_url, "device", "qr", "--infobase", "kassa", "0000000001012345", "--png", str(png), "--svg", str(svg)
    )
    assert result.returncode == 0, result.stderr
    expected = "https://shop.example.ru/kassa;0000000001012345;0JrQsNGB0YHQuNGA;"
    assert f"QR: {expected}" in result.stdout
    for line in (
        "Адрес сервера: shop.example.ru",
        "Имя базы данных: kassa",
        "Защищенный протокол (https): да",
        "Пользователь: Кассир",
        "Идентификатор приложения: 0000000001012345",
    ):
        assert line in result.stdout
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    assert decoded == [expected]
    root = etree.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")


def test_device_qr_without_public_url_names_the_setting_to_fill(sqlite_url: str) -> None:
    assert kassa(sqlite_url, "infobase", "create", "Shop").returncode == 0
    assert kassa(sqlite_url, "user", "add", "--infobase", "Shop", "Кассир", "--password", "p").returncode == 0
    # `infobase create` made an organization, a store and a price type: a device can be added at once
    assert kassa(sqlite_url, "device", "add", "--infobase", "Shop", "--factory-number", "1").returncode == 0
    result = kassa(sqlite_url, "device", "qr", "--infobase", "Shop", "1")
    assert result.returncode == 1
    assert "«Адрес в интернете»" in result.stderr
    unknown = kassa(sqlite_url, "device", "qr", "--infobase", "Shop", "2")
    assert unknown.returncode == 1 and "no «1С:Мобильная касса» with factory number '2'" in unknown.stderr
