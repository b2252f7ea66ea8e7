"""In Chromium: the CSV import with its progress bar, the lists and the administration pages, each screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ADMIN, PASSWORD, Shop
from tests.web.pages import BackOfficePage, GoodsPage, HomePage, LoginPage, OrdersPage, RegistersPage, UsersPage

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_import_goods_from_csv_with_a_progress_bar(shop: Shop, page: Page, screenshots: Path, tmp_path: Path) -> None:
    rows = ["name,code,group,price,barcodes"]
    rows += [f"Импортный товар {n},IMP-{n:05d},Импорт / Партия {n % 3},{100 + n}.50,46{n:011d}" for n in range(1, 2501)]
    good = tmp_path / "goods.csv"
    good.write_text("\n".join(rows) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,price\nХороший товар,10\nПлохой товар,дорого\n", encoding="utf-8")

    LoginPage(page, shop.root).open()
    LoginPage(page, shop.root).sign_in(ADMIN, PASSWORD)
    HomePage(page, shop.root).menu("Товары")
    goods = GoodsPage(page, shop.root)
    page.get_by_role("link", name="Загрузить из CSV").click()
    importer = BackOfficePage(page, shop.root)
    importer.screenshot(screenshots, "20-import-form")

    page.get_by_label("Файл CSV").set_input_files(str(bad))
    page.get_by_role("button", name="Загрузить").click()
    expect(page.locator("#import-result")).to_contain_text("Строка 3")
    expect(page.locator("#import-result")).to_contain_text("Ничего не загружено")
    page.get_by_role("link", name="Загрузить другой файл").click()

    page.get_by_label("Файл CSV").set_input_files(str(good))
    page.get_by_role("button", name="Загрузить").click()
    expect(page.locator("#import-progress progress, #import-result").first).to_be_visible()
    expect(page.locator("#import-result")).to_contain_text("создано 2500", timeout=120_000)
    importer.screenshot(screenshots, "21-import-done")
    page.get_by_role("link", name="К списку товаров").click()
    goods.search("Импортный товар 2499")
    expect(goods.rows()).to_have_count(1)
    goods.page.get_by_role("link", name="Партия 0").click()
    expect(page.locator(".pager")).to_contain_text("Всего: 833")
    goods.screenshot(screenshots, "22-goods-group")


def test_lists_and_administration_pages(shop: Shop, page: Page, screenshots: Path) -> None:
    LoginPage(page, shop.root).open()
    LoginPage(page, shop.root).sign_in(ADMIN, PASSWORD)
    home = HomePage(page, shop.root)
    home.menu("Заказы клиентов")
    orders = OrdersPage(page, shop.root)
    expect(orders.rows()).to_have_count(11)
    orders.screenshot(screenshots, "30-orders")
    page.get_by_label("Статус").select_option(label="Согласован")
    page.get_by_role("button", name="Отобрать").click()
    expect(orders.rows()).to_have_count(2)
    orders.create().screenshot(screenshots, "31-order-new")

    home.menu("Цены")
    page.get_by_label("Отбор: наименование, код, артикул или штрихкод").fill("Чай")
    page.get_by_role("button", name="Отобрать").click()
    page.get_by_label("Новая цена: Чай черный 100 пак.").fill("315")
    page.get_by_role("button", name="Установить цены").click()
    expect(home.flash()).to_contain_text("Установлено цен: 1")
    expect(page.locator("#prices tbody tr", has_text="Чай черный")).to_contain_text("315,00")
    home.screenshot(screenshots, "35-prices")

    home.menu("Кассовые аппараты")
    registers = RegistersPage(page, shop.root)
    expect(registers.rows()).to_have_count(1)
    registers.screenshot(screenshots, "32-registers")

    home.menu("Общие настройки")
    expect(page.get_by_label("Адрес в интернете")).to_be_visible()
    BackOfficePage(page, shop.root).screenshot(screenshots, "33-settings")

    home.menu("Пользователи")
    users = UsersPage(page, shop.root)
    users.add("Старший кассир", "pass-1234", "Кассир")
    expect(users.flash()).to_contain_text("добавлен")
    expect(users.row("Старший кассир")).to_contain_text("Кассир")
    users.screenshot(screenshots, "34-users")
    home.sign_out()
    expect(page.get_by_role("button", name="Войти")).to_be_visible()


def test_switch_data_synchronization_in_the_browser(shop: Shop, page: Page, screenshots: Path) -> None:
    from sqlalchemy import select

    from kassa_server.models import Infobase

    def enabled() -> bool:
        with shop.sessions()() as session:
            return bool(session.scalars(select(Infobase.sync_enabled).where(Infobase.name == "kassa")).one())

    LoginPage(page, shop.root).open()
    LoginPage(page, shop.root).sign_in(ADMIN, PASSWORD)
    home = HomePage(page, shop.root)
    home.menu("Синхронизация данных")
    switch = page.get_by_label("Синхронизация данных")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.get_by_role("button", name="Записать").click()
    expect(home.flash()).to_contain_text("Синхронизация данных выключена.")
    expect(page.get_by_label("Синхронизация данных")).not_to_be_checked()
    assert not enabled()
    home.screenshot(screenshots, "33b-sync")
    page.get_by_label("Синхронизация данных").check()
    page.get_by_role("button", name="Записать").click()
    expect(home.flash()).to_contain_text("Синхронизация данных включена.")
    assert enabled()
