"""In Chromium: sign in, a device syncs, and its receipt, shift and exchange show on the pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kassa_server.admin.demo import DEMO_FACTORY_NUMBER
from tests.web.conftest import ADMIN, PASSWORD, Shop
from tests.web.pages import BackOfficePage, HomePage, JournalEntryPage, JournalPage, LoginPage, ReceiptsPage, ShiftsPage
from tests.web.simulated import cycles

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_sign_in_and_see_what_a_register_sent(shop: Shop, page: Page, screenshots: Path) -> None:
    login = LoginPage(page, shop.root)
    HomePage(page, shop.root).open()  # redirected to the login form
    expect(login.heading()).to_have_text("1С:Касса")
    login.screenshot(screenshots, "01-login")
    login.sign_in(ADMIN, "wrong")
    expect(login.error()).to_contain_text("Неверное имя пользователя или пароль")
    login.sign_in(ADMIN, PASSWORD)
    home = HomePage(page, shop.root)
    expect(home.heading()).to_have_text("Начальная страница")

    _device, result = cycles(shop.url, DEMO_FACTORY_NUMBER, 2, receipts_per_cycle=2, order_payment_share=0.0)
    assert result.sent_documents >= 2

    home.open()
    expect(home.sales_row("Мобильная касса №1")).to_contain_text("открыта")
    expect(home.exchange_row("Мобильная касса №1")).to_contain_text("успешно")
    home.screenshot(screenshots, "02-home")

    home.menu("Чеки ККМ")
    receipts = ReceiptsPage(page, shop.root)
    expect(receipts.rows()).to_have_count(2)
    receipts.screenshot(screenshots, "03-receipts")
    card = receipts.open_first()
    expect(card.heading()).to_contain_text("Чек ККМ")
    expect(card.prop("Кассир")).to_have_text("Кассир")
    assert card.lines().count() >= 1
    card.screenshot(screenshots, "04-receipt")

    home.menu("Кассовые смены")
    shifts = ShiftsPage(page, shop.root)
    expect(shifts.rows()).to_have_count(1)
    expect(shifts.rows().first).to_contain_text("открыта")
    shifts.screenshot(screenshots, "05-shifts")

    home.menu("Отчет о продажах")
    expect(page.locator("#sales-chart rect")).to_have_count(14)
    BackOfficePage(page, shop.root).screenshot(screenshots, "05b-report")

    home.menu("Журнал обмена")
    journal = JournalPage(page, shop.root)
    expect(journal.rows().first).to_be_visible()
    journal.screenshot(screenshots, "06-journal")
    journal.filter("Операция", "GetDataPart")
    expect(journal.rows()).to_have_count(2)
    journal.rows().last.get_by_role("link").click()  # the older one: the whole catalogue
    entry = JournalEntryPage(page, shop.root)
    entry.expect_object("Справочник.Номенклатура")
    entry.objects().filter(has_text="Справочник.Номенклатура").first.click()
    entry.screenshot(screenshots, "07-journal-entry")

    journal.open("operation=PutFilePart")
    journal.rows().first.get_by_role("link").click()  # what the device sent: its receipts
    entry.expect_object("Документ.ЧекККМ")
