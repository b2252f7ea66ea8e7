"""In Chromium: a shop owner walks issue 17's sections — acquiring terminals, discount cards (with a CSV import that
has a bad row), stock on hand, product kinds and a product's sizes — and a receipt that names them; each
screenshot goes to the back office guide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from kassa_server.admin.demo import DEMO_FACTORY_NUMBER, DEMO_TERMINAL
from tests.web.conftest import ADMIN, PASSWORD, Shop
from tests.web.pages import BackOfficePage, HomePage, LoginPage
from tests.web.simulated import cycles

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class ListPage(BackOfficePage):
    """A list page whose table has the id ``table``."""

    def __init__(self, page: Page, root: str, table: str) -> None:
        super().__init__(page, root)
        self.table = table

    def rows(self) -> Locator:
        return self.page.locator(f"#{self.table} tbody tr")

    def row(self, text: str) -> Locator:
        return self.page.locator(f"#{self.table} tbody tr", has_text=text)


def _label(page: Page, text: str) -> Locator:
    return page.get_by_label(re.compile(f"^{re.escape(text)}"))


def test_walk_terminals_cards_stock_and_kinds(shop: Shop, page: Page, screenshots: Path, tmp_path: Path) -> None:
    LoginPage(page, shop.root).open()
    LoginPage(page, shop.root).sign_in(ADMIN, PASSWORD)
    home = HomePage(page, shop.root)

    # Эквайринговые терминалы: add one, then move it and give it a contract
    home.menu("Эквайринговые терминалы")
    terminals = ListPage(page, shop.root, "terminals")
    expect(terminals.row(DEMO_TERMINAL)).to_contain_text("ПАО «Банк»")
    page.get_by_role("link", name="Создать").click()
    _label(page, "Номер (идентификатор терминала)").fill("20040060")
    _label(page, "Наименование").fill("Терминал в примерочной")
    _label(page, "Эквайрер (банк)").fill("АО «Эквайр-Банк»")
    _label(page, "Номер договора эквайринга").fill("Д-2025/3")
    page.get_by_role("button", name="Записать и закрыть").click()
    expect(home.flash()).to_contain_text("Терминал «Терминал в примерочной» записан.")
    expect(terminals.rows()).to_have_count(2)
    terminals.screenshot(screenshots, "40-terminals")
    terminals.row("20040060").get_by_role("link").click()
    _label(page, "Номер договора эквайринга").fill("")
    _label(page, "Эквайрер (банк)").fill("")
    page.get_by_role("button", name="Записать и закрыть").click()
    expect(home.flash()).to_contain_text("записан")
    terminals.row("20040060").get_by_role("link").click()
    _label(page, "Номер договора эквайринга").fill("Д-1")
    page.get_by_role("button", name="Записать и закрыть").click()
    expect(page.locator(".field.invalid .error")).to_contain_text("Для договора укажите эквайрера")
    BackOfficePage(page, shop.root).screenshot(screenshots, "41-terminal-error")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Удалить").click()
    expect(home.flash()).to_contain_text("удален")
    expect(terminals.rows()).to_have_count(1)

    # Дисконтные карты: a CSV with a bad row is refused whole, the good file loads, the search finds a card
    home.menu("Дисконтные карты")
    cards = ListPage(page, shop.root, "cards")
    expect(cards.rows()).to_have_count(3)
    bad = tmp_path / "bad.csv"
    bad.write_text("number;owner;discount_percent\n3000001;Орлова Анна;5\n3000002;Белов Павел;сто\n", encoding="utf-8")
    good = tmp_path / "cards.csv"
    good.write_text(
        "number;barcode;owner;kind;discount_percent;status\n"
        "3000001;2900000300011;Орлова Анна;Скидка 5 %;5;active\n"
        "3000002;2900000300028;Белов Павел;Скидка 10 %;10;active\n",
        encoding="utf-8",
    )
    page.get_by_role("link", name="Загрузить из CSV").click()
    page.get_by_label("Файл CSV").set_input_files(str(bad))
    page.get_by_role("button", name="Загрузить").click()
    expect(page.locator("#import-result")).to_contain_text("Строка 3")
    expect(page.locator("#import-result")).to_contain_text("Ничего не загружено")
    BackOfficePage(page, shop.root).screenshot(screenshots, "42-cards-import-error")
    page.get_by_label("Файл CSV").set_input_files(str(good))
    page.get_by_role("button", name="Загрузить").click()
    expect(home.flash()).to_contain_text("создано карт 2")
    expect(cards.rows()).to_have_count(5)
    cards.screenshot(screenshots, "43-cards")
    page.get_by_label("Поиск по номеру, штрихкоду или магнитному коду").fill("290000030002")
    page.get_by_role("button", name="Найти").click()
    expect(cards.rows()).to_have_count(1)
    cards.rows().get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Дисконтная карта 3000002")
    page.get_by_role("checkbox", name=re.compile("Действует")).uncheck()
    page.get_by_role("button", name="Записать и закрыть").click()
    expect(cards.row("3000002")).to_contain_text("аннулирована")

    # Остатки товаров: change a size's quantity in the list
    home.menu("Остатки товаров")
    stock = ListPage(page, shop.root, "stock")
    page.get_by_label("Поиск по наименованию, коду или артикулу").fill("кроссовки")
    page.get_by_role("button", name="Отобрать").click()
    expect(stock.rows()).to_have_count(4)
    page.get_by_label("Количество: Кроссовки беговые, 42").fill("7")
    stock.row("42").get_by_role("button", name="Записать").click()
    expect(home.flash()).to_contain_text("Остаток «Кроссовки беговые, 42»")
    expect(page.get_by_label("Количество: Кроссовки беговые, 42")).to_have_value("7")
    stock.screenshot(screenshots, "44-stock")

    # Виды номенклатуры: add a kind with a size; on the product card add a size and point a barcode at it
    home.menu("Виды номенклатуры")
    kinds = ListPage(page, shop.root, "kinds")
    expect(kinds.row("Обувь")).to_be_visible()
    page.locator("#kind-form").get_by_label(re.compile("^Наименование")).fill("Одежда")
    page.locator("#kind-form").get_by_role("button", name="Добавить").click()
    expect(home.flash()).to_contain_text("«Одежда» добавлен")
    page.get_by_label("Новая характеристика вида «Одежда»").fill("M")
    kinds.row("Одежда").get_by_role("button", name="Добавить").click()
    expect(kinds.row("Одежда")).to_contain_text("M")
    kinds.screenshot(screenshots, "45-kinds")

    home.menu("Товары")
    page.get_by_label("Поиск по наименованию, коду, артикулу или штрихкоду").fill("Кроссовки беговые")
    page.get_by_role("button", name="Найти").click()
    page.locator("#goods").get_by_role("link", name="Кроссовки беговые").click()
    expect(page.locator("#characteristics tbody tr")).to_have_count(4)
    page.get_by_label("Новая характеристика").fill("44")
    page.get_by_role("button", name="Добавить характеристику").click()
    expect(home.flash()).to_contain_text("Характеристика «44» добавлена.")
    expect(page.locator("#characteristics tbody tr")).to_have_count(5)
    barcode = page.locator("#barcode-characteristics select").first
    barcode.select_option("44")
    page.get_by_role("button", name="Записать штрихкоды").click()
    expect(home.flash()).to_contain_text("Характеристики штрихкодов записаны.")
    expect(page.locator("#barcode-characteristics select").first).to_have_value("44")
    page.locator("#variants").scroll_into_view_if_needed()
    BackOfficePage(page, shop.root).screenshot(screenshots, "46-product-sizes")

    # a receipt paid by card through the terminal, with a discount card and a size
    cycles(
        shop.url,
        DEMO_FACTORY_NUMBER,
        3,
        receipts_per_cycle=6,
        order_payment_share=0.0,
        return_share=0.0,
        card_share=1.0,
        variant_share=1.0,
        discount_card_share=1.0,
    )
    from sqlalchemy import select

    from kassa_server.models import Receipt

    with shop.sessions()() as session:
        receipt_id = next(
            r.id
            for r in session.scalars(select(Receipt).order_by(Receipt.id))
            if r.discount_card_id is not None
            and any(line.characteristic_id for line in r.lines)
            and any(p.terminal_id for p in r.payments)
        )
    page.goto(f"{shop.root}receipts/{receipt_id}")
    expect(page.locator("dl.props dt:text-is('Дисконтная карта') + dd")).not_to_have_text("—")
    expect(page.locator("#receipt-payments")).to_contain_text(f"(№ {DEMO_TERMINAL})")
    expect(page.locator("#receipt-lines .characteristic").first).to_be_visible()
    BackOfficePage(page, shop.root).screenshot(screenshots, "47-receipt-retail")
