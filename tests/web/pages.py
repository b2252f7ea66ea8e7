"""Page objects: one small class per back-office page, so a browser test reads like the user's steps."""

from __future__ import annotations

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
