"""Page objects: one small class per back-office page, so a browser test reads like the user's steps."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect


class BackOfficePage:
    path = ""

    def __init__(self, page: Page, root: str) -> None:
        self.page = page
        self.root = root
        """``http://127.0.0.1:<port>/<base>/``"""

    def open(self, query: str = "") -> BackOfficePage:
        self.page.goto(self.root + self.path + (f"?{query}" if query else ""))
        return self

    def menu(self, label: str) -> None:
        self.page.get_by_role("navigation", name="Разделы").get_by_role("link", name=label, exact=True).click()

    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    def screenshot(self, directory: Path, name: str) -> Path:
        target = directory / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def flash(self) -> Locator:
        return self.page.locator(".flash")


class LoginPage(BackOfficePage):
    path = "login"

    def sign_in(self, login: str, password: str) -> None:
        self.page.get_by_label("Пользователь").fill(login)
        self.page.get_by_label("Пароль").fill(password)
        self.page.get_by_role("button", name="Войти").click()

    def error(self) -> Locator:
        return self.page.get_by_role("alert")


class HomePage(BackOfficePage):
    path = ""

    def sales_row(self, register: str) -> Locator:
        return self.page.locator("#sales-today tbody tr", has_text=register)

    def exchange_row(self, register: str) -> Locator:
        return self.page.locator("#exchange-state tbody tr", has_text=register)

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Выйти").click()


class ReceiptsPage(BackOfficePage):
    path = "receipts"

    def rows(self) -> Locator:
        return self.page.locator("#receipts tbody tr")

    def open_first(self) -> ReceiptPage:
        self.rows().first.get_by_role("link").click()
        return ReceiptPage(self.page, self.root)


class ReceiptPage(BackOfficePage):
    def lines(self) -> Locator:
        return self.page.locator("#receipt-lines tbody tr")

    def prop(self, name: str) -> Locator:
        return self.page.locator(f"dl.props dt:text-is('{name}') + dd")


class ShiftsPage(BackOfficePage):
    path = "shifts"

    def rows(self) -> Locator:
        return self.page.locator("#shifts tbody tr")


class JournalPage(BackOfficePage):
    path = "journal"

    def rows(self) -> Locator:
        return self.page.locator("#journal tbody tr")

    def filter(self, label: str, value: str) -> None:
        self.page.get_by_label(label).select_option(value)
        self.page.get_by_role("button", name="Отобрать").click()

    def open_call(self, operation: str) -> JournalEntryPage:
        self.rows().filter(has_text=operation).first.get_by_role("link").click()
        return JournalEntryPage(self.page, self.root)


class JournalEntryPage(BackOfficePage):
    def objects(self) -> Locator:
        return self.page.locator("details.object summary")

    def expect_object(self, kind: str) -> None:
        expect(self.objects().filter(has_text=kind).first).to_be_visible()


class GoodsPage(BackOfficePage):
    path = "goods"

    def rows(self) -> Locator:
        return self.page.locator("#goods tbody tr")

    def search(self, text: str) -> None:
        """Type into the search box: htmx replaces the list as you type (no submit)."""
        box = self.page.get_by_label("Поиск по наименованию, коду, артикулу или штрихкоду")
        with self.page.expect_response(lambda r: "/goods?" in r.url and r.request.headers.get("hx-request") == "true"):
            box.fill(text)

    def create(self) -> ProductPage:
        self.page.get_by_role("link", name="Создать").click()
        return ProductPage(self.page, self.root)

    def open_product(self, name: str) -> ProductPage:
        self.rows().get_by_role("link", name=name, exact=True).click()
        return ProductPage(self.page, self.root)


class ProductPage(BackOfficePage):
    def fill(self, **fields: str) -> None:
        labels = {"name": "Наименование", "article": "Артикул", "code": "Код", "barcodes": "Штрихкоды"}
        for key, value in fields.items():
            if key == "price":
                self.page.get_by_label("Розничная, руб.").fill(value)
            else:
                self.page.get_by_label(re.compile(f"^{labels[key]}")).fill(value)

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_label(label, exact=True).select_option(label=option)

    def save(self) -> None:
        self.page.get_by_role("button", name="Записать и закрыть").click()

    def field_error(self) -> Locator:
        return self.page.locator(".field.invalid .error")

    def mark_for_deletion(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_role("button", name="Пометить на удаление").click()


class RegistersPage(BackOfficePage):
    path = "registers"

    def rows(self) -> Locator:
        return self.page.locator("#registers tbody tr")

    def create(self, factory_number: str, name: str) -> RegisterPage:
        self.page.get_by_role("link", name="Создать").click()
        self.page.get_by_label(re.compile("^Заводской номер")).fill(factory_number)
        self.page.get_by_label(re.compile("^Наименование")).fill(name)
        self.page.get_by_role("button", name="Записать и закрыть").click()
        return RegisterPage(self.page, self.root)


class RegisterPage(BackOfficePage):
    def qr(self) -> Locator:
        return self.page.locator("#connection-qr")

    def public_url_missing(self) -> Locator:
        return self.page.locator("#public-url-missing")

    def manual(self, name: str) -> Locator:
        return self.page.locator(f"#manual-params dt:text-is('{name}') + dd")

    def node(self) -> Locator:
        return self.page.locator("#exchange-node")

    def resend_everything(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_role("button", name="Отправить все данные заново").click()


class OrdersPage(BackOfficePage):
    path = "orders"

    def rows(self) -> Locator:
        return self.page.locator("#orders tbody tr")

    def create(self) -> OrderNewPage:
        self.page.get_by_role("link", name="Создать").click()
        return OrderNewPage(self.page, self.root)


class OrderNewPage(BackOfficePage):
    def line(self, number: int, product: str, quantity: str, price: str = "") -> None:
        self.page.get_by_label(f"Товар, строка {number}").fill(product)
        self.page.get_by_label(f"Количество, строка {number}").fill(quantity)
        if price:
            self.page.get_by_label(f"Цена, строка {number}").fill(price)

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_label(label, exact=True).select_option(label=option)

    def save(self) -> OrderPage:
        self.page.get_by_role("button", name="Записать и закрыть").click()
        return OrderPage(self.page, self.root)


class OrderPage(BackOfficePage):
    def state(self) -> Locator:
        return self.page.locator("#order-state")

    def set_status(self, status: str) -> None:
        self.page.get_by_label("Статус", exact=True).select_option(label=status)
        self.page.get_by_role("button", name="Записать", exact=True).click()


class SettingsPage(BackOfficePage):
    path = "settings"

    def set_public_url(self, url: str) -> None:
        self.page.get_by_label("Адрес в интернете").fill(url)
        self.page.get_by_role("button", name="Записать").click()


class UsersPage(BackOfficePage):
    path = "users"

    def add(self, login: str, password: str, role: str) -> None:
        self.page.get_by_label(re.compile(r"^Имя \(для входа\)")).fill(login)
        self.page.get_by_label(re.compile("^Пароль")).fill(password)
        self.page.get_by_label("Роль", exact=True).select_option(label=role)
        self.page.get_by_role("button", name="Добавить").click()

    def row(self, login: str) -> Locator:
        return self.page.locator("#users tbody tr", has_text=login)
