"""The shop owner's main flows in Chromium, on a real uvicorn with a simulated «1С:Мобильная касса»:

sign in; add a product with a barcode and a price; register a register and read its QR code from a screenshot of its
card; create an order for that register with status Согласован; one sync of the device (connected with what the QR
says) brings the product and the order and sends receipts; the receipts and the order's state show in the back
office; a price edited in the browser reaches the device at its next sync.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from kassa_server.simulator import Device, DeviceConfig, clear_wsdl_cache, parse_qr
from tests.web.conftest import ADMIN, PASSWORD, Shop
from tests.web.pages import (
    GoodsPage,
    HomePage,
    LoginPage,
    OrdersPage,
    ReceiptsPage,
    RegistersPage,
    SettingsPage,
)

pytestmark = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

FACTORY_NUMBER = "0000000007770001"
BARCODE = "4607001234566"


def test_run_the_shop_from_the_browser(shop: Shop, page: Page, screenshots: Path, db_url: str) -> None:
    shots = screenshots / ("walk-" + db_url.split(":", 1)[0].split("+")[0])
    shots.mkdir(exist_ok=True)
    LoginPage(page, shop.root).open().page.get_by_label("Пользователь").wait_for()
    LoginPage(page, shop.root).sign_in(ADMIN, PASSWORD)
    home = HomePage(page, shop.root)
    expect(home.heading()).to_have_text("Начальная страница")

    # a product with a barcode and a price
    home.menu("Товары")
    goods = GoodsPage(page, shop.root)
    goods.screenshot(shots, "10-goods")
    card = goods.create()
    card.fill(name="Кефир домашний 2,5% 1 л", article="KEF-25", barcodes=BARCODE, price="99,50")
    card.choose("Группа", "Продукты / Молочные")
    card.screenshot(shots, "11-product-new")
    card.save()
    expect(goods.flash()).to_contain_text("записан")
    goods.search(BARCODE)
    expect(goods.rows()).to_have_count(1)
    expect(goods.rows().first).to_contain_text("99,50")

    # a register: no «Адрес в интернете» yet, so the card says where to fill it in
    home.menu("Кассовые аппараты")
    register = RegistersPage(page, shop.root).create(FACTORY_NUMBER, "Касса у входа")
    expect(register.public_url_missing()).to_contain_text("Адрес в интернете")
    expect(register.manual("Идентификатор приложения")).to_have_text(FACTORY_NUMBER)
    register_url = page.url
    home.menu("Общие настройки")
    SettingsPage(page, shop.root).set_public_url(f"{shop.url}/kassa")
    page.goto(register_url)
    expect(register.qr()).to_be_visible()
    register.page.wait_for_function("document.getElementById('connection-qr').naturalWidth > 0")
    shot = register.screenshot(shots, "12-register")
    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(shot))]
    assert decoded == [f"{shop.url}/kassa;{FACTORY_NUMBER};0JrQsNGB0YHQuNGA;"]  # login «Кассир», Base64
    params = parse_qr(decoded[0], "kassa")

    # an order for that register, agreed, so it goes to the device
    home.menu("Заказы клиентов")
    new_order = OrdersPage(page, shop.root).create()
    new_order.line(1, BARCODE, "2")
    new_order.choose("ККТ", "Касса у входа")
    new_order.choose("Статус", "Согласован")
    new_order.save()  # without a customer it cannot go to a device
    expect(new_order.page.locator(".field.invalid")).to_contain_text("укажите клиента")
    new_order.choose("Клиент", "Смирнов Алексей")
    new_order.choose("Статус", "Согласован")
    new_order.screenshot(shots, "13-order-new")
    order = new_order.save()
    expect(order.state()).to_contain_text("Согласован")
    order_url = page.url

    # the device connects with what the QR said, syncs, sells and takes the order's payment
    clear_wsdl_cache()
    device = Device(
        DeviceConfig(params, poll_interval=0.05, timeout=60, seed=7, order_payment_share=1.0, receipts_per_cycle=1)
    )
    try:
        device.run_cycle()  # first sync: the catalogue and the order arrive
        item = _item_with_barcode(device, BARCODE)
        assert Decimal(item["price"]) == Decimal("99.50")
        assert any(o.get("state") for o in device.state.orders.values())
        device.run_cycle()  # sells, pays the order, sends the receipts

        home.menu("Чеки ККМ")
        receipts = ReceiptsPage(page, shop.root)
        expect(receipts.rows().filter(has_text="Касса у входа").first).to_be_visible()
        page.goto(order_url)
        expect(order.state()).to_contain_text("Выполнен")
        expect(order.state()).to_contain_text("оплачен")
        order.screenshot(shots, "14-order-paid")

        # a price edited in the browser reaches the device at its next sync
        home.menu("Товары")
        goods.search(BARCODE)
        card = goods.open_product("Кефир домашний 2,5% 1 л")
        card.fill(price="120")
        card.save()
        expect(goods.flash()).to_contain_text("записан")
        device.sync()
        assert Decimal(_item_with_barcode(device, BARCODE)["price"]) == Decimal("120")

        page.goto(register_url)
        expect(register.node()).to_contain_text("1.21")
        register.screenshot(shots, "15-register-after-sync")
        home.menu("Начальная страница")
        expect(home.exchange_row("Касса у входа")).to_contain_text("успешно")
        home.screenshot(shots, "16-home-after-sync")
    finally:
        device.close()


def _item_with_barcode(device: Device, barcode: str) -> dict:
    found = [item for item in device.state.items.values() if barcode in item.get("barcodes", [])]
    assert len(found) == 1, f"the device knows {len(device.state.items)} items, none with {barcode}"
    return found[0]
