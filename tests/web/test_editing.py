"""Changes made in the back office (over HTTP, as a browser sends them): each goes through the admin use cases, a bad
input gets a clear message next to its field and leaves nothing half-saved, and what travels to devices is tracked."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from kassa_server.models import Barcode, CashRegister, CustomerOrder, Infobase, Price, Product, User
from tests.web.conftest import Shop, csrf_of, sign_in


def _post(client: httpx.Client, shop: Shop, path: str, data: dict[str, str], page: str | None = None) -> httpx.Response:
    form = client.get(f"{shop.root}{page or path}")
    return client.post(f"{shop.root}{path}", data={"csrf_token": csrf_of(form.text), **data})


def _product_form(**changes: str) -> dict[str, str]:
    form = {
        "name": "Квас хлебный 1,5 л",
        "full_name": "",
        "article": "KV-15",
        "code": "",
        "group": "",
        "unit": "",
        "vat_rate": "20",
        "kind": "goods",
        "barcodes": "4600000000011",
    }
    form.update(changes)
    return form


def _count(shop: Shop, model: type, *where: object) -> int:
    with shop.sessions()() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_create_a_product_and_its_price(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        seq_before = session.scalars(select(Infobase.change_seq).where(Infobase.name == "kassa")).one()
        price_type_id = session.scalars(select(Price.price_type_id)).first()
    response = _post(client, shop, "goods/new", {**_product_form(), f"price_{price_type_id}": "77,70"})
    assert response.status_code == 303, response.text
    listed = client.get(shop.url + response.headers["location"]).text
    assert "Товар «Квас хлебный 1,5 л» записан." in listed and "77,70" in listed
    with shop.sessions()() as session:
        product = session.scalars(select(Product).where(Product.name == "Квас хлебный 1,5 л")).one()
        assert [b.value for b in product.barcodes] == ["4600000000011"]
        assert product.prices[0].value == Decimal("77.70")
        assert product.change_seq > seq_before  # the devices will get it


def test_a_bad_product_is_refused_whole(shop: Shop, client: httpx.Client) -> None:
    before = _count(shop, Product)
    empty = _post(client, shop, "goods/new", _product_form(name=""))
    assert empty.status_code == 422 and "Не заполнено." in empty.text
    taken = _post(client, shop, "goods/new", _product_form(barcodes="2000000000015"))  # the demo's milk
    assert taken.status_code == 422
    assert "Штрихкод уже принадлежит другому товару" in taken.text
    assert 'value="Квас хлебный 1,5 л"' in taken.text  # what was typed stays in the form
    with shop.sessions()() as session:
        price_type_id = session.scalars(select(Price.price_type_id)).first()
    price = _post(client, shop, "goods/new", {**_product_form(), f"price_{price_type_id}": "дорого"})
    assert price.status_code == 422 and "Должно быть числом." in price.text
    assert _count(shop, Product) == before
    assert _count(shop, Barcode, Barcode.value == "4600000000011") == 0


def test_edit_the_barcodes_and_mark_for_deletion(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        milk = session.scalars(select(Product).where(Product.name == "Молоко 3,2% 1 л")).one()
    card = f"goods/{milk.id}"
    form = _product_form(name=milk.name, article="A-0001", barcodes="4600000000028\n4600000000035")
    assert _post(client, shop, card, form).status_code == 303
    with shop.sessions()() as session:
        values = sorted(session.scalars(select(Barcode.value).where(Barcode.product_id == milk.id)))
    assert values == ["4600000000028", "4600000000035"]
    assert _post(client, shop, f"{card}/delete", {}, page=card).status_code == 303
    page = client.get(f"{shop.root}{card}").text
    assert "помечен на удаление" in page and "Снять пометку удаления" in page
    assert _post(client, shop, f"{card}/delete", {"undo": "1"}, page=card).status_code == 303
    with shop.sessions()() as session:
        assert session.get(Product, milk.id).deleted is False


def test_a_product_named_like_a_script_shows_as_text(shop: Shop, client: httpx.Client) -> None:
    evil = "<script>alert(1)</script>"
    assert _post(client, shop, "goods/new", _product_form(name=evil, barcodes="")).status_code == 303
    for path in ("goods", "goods?q=script"):
        html = client.get(f"{shop.root}{path}").text
        assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    search = client.get(f"{shop.root}goods", params={"q": evil}).text
    assert evil not in search


def test_register_a_register_and_its_card(shop: Shop, client: httpx.Client) -> None:
    response = _post(client, shop, "registers/new", {"factory_number": "0000000000000777", "name": "Касса 2"})
    assert response.status_code == 303
    card = client.get(f"{shop.url}{response.headers['location']}").text
    assert "Касса 2" in card and "0000000000000777" in card
    assert "«Адрес в интернете»" in card and "Администрирование → Общие настройки" in card  # no public URL yet
    register_id = re.search(r"/registers/(\d+)", response.headers["location"]).group(1)  # type: ignore[union-attr]
    assert client.get(f"{shop.root}registers/{register_id}/qr.png").status_code == 404
    again = _post(client, shop, "registers/new", {"factory_number": "0000000000000777"})
    assert again.status_code == 422 and "Уже существует" in again.text
    bad = _post(client, shop, "registers/new", {"factory_number": "12;34"})
    assert bad.status_code == 422
    assert _count(shop, CashRegister) == 2


def test_settings_public_url_makes_the_qr(shop: Shop, client: httpx.Client) -> None:
    bad = _post(client, shop, "settings", _settings_form(public_url="ftp://shop"))
    assert bad.status_code == 422 and "Неверное значение" in bad.text
    assert (
        _post(client, shop, "settings", _settings_form(public_url="https://shop.example.ru/kassa")).status_code == 303
    )
    with shop.sessions()() as session:
        register_id = session.scalars(select(CashRegister.id)).first()
    png = client.get(f"{shop.root}registers/{register_id}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    card = client.get(f"{shop.root}registers/{register_id}").text
    assert "shop.example.ru" in card and "Да" in card  # https


def _settings_form(**changes: str) -> dict[str, str]:
    form = {
        "title": "Демо-магазин",
        "public_url": "",
        "org_name": "ИП Петров Сергей Иванович",
        "org_full_name": "",
        "org_inn": "770123456789",
        "org_kpp": "",
        "org_legal_form": "individual",
        "org_tax_system": "simplified_income",
    }
    form.update(changes)
    return form


def test_an_order_with_an_unknown_product_is_not_saved(shop: Shop, client: httpx.Client) -> None:
    before = _count(shop, CustomerOrder)
    form = {"number": "ЗК-99999", "status": "new", "line_product": "нет такого", "line_quantity": "1", "line_price": ""}
    response = _post(client, shop, "orders/new", form)
    assert response.status_code == 422 and "нет такого" in response.text
    assert _count(shop, CustomerOrder) == before


def test_users_add_disable_role_password(shop: Shop, client: httpx.Client) -> None:
    added = _post(
        client, shop, "users", {"login": "Менеджер", "full_name": "", "password": "secret-1", "role": "administrator"}
    )
    assert added.status_code == 303
    with shop.sessions()() as session:
        manager = session.scalars(select(User).where(User.login == "Менеджер")).one()
        me = session.scalars(select(User).where(User.login == "Администратор")).one()
    with httpx.Client() as other:
        assert sign_in(other, shop, login="Менеджер", password="secret-1").status_code == 303
    assert _post(client, shop, f"users/{manager.id}", {"action": "disable"}, page="users").status_code == 303
    with httpx.Client() as other:
        assert sign_in(other, shop, login="Менеджер", password="secret-1").status_code == 401
    _post(client, shop, f"users/{manager.id}", {"action": "enable"}, page="users")
    _post(client, shop, f"users/{manager.id}", {"action": "role"}, page="users")  # now a cashier
    with httpx.Client() as other:
        assert sign_in(other, shop, login="Менеджер", password="secret-1").status_code == 401
    _post(client, shop, f"users/{manager.id}", {"action": "password", "password": "secret-2"}, page="users")
    with shop.sessions()() as session:
        assert session.get(User, manager.id).check_password("secret-2")
    refused = _post(client, shop, f"users/{me.id}", {"action": "disable"}, page="users")
    assert "Не выполнено" in client.get(shop.url + refused.headers["location"]).text
    with shop.sessions()() as session:
        assert session.get(User, me.id).disabled is False
    duplicate = _post(client, shop, "users", {"login": "Менеджер", "password": "x" * 8, "role": "cashier"})
    assert duplicate.status_code == 422 and "Уже существует" in duplicate.text


def test_send_everything_again(shop: Shop, client: httpx.Client) -> None:
    from kassa_server.models import ExchangeNode

    with shop.sessions().begin() as session:
        node = session.scalars(select(ExchangeNode)).one()
        node.acked_seq = 10_000  # as if the device had acknowledged everything
        register_id = node.cash_register_id
    card = client.get(f"{shop.root}registers/{register_id}").text
    assert "0 изменений" in card
    response = _post(client, shop, f"registers/{register_id}/resend", {}, page=f"registers/{register_id}")
    assert response.status_code == 303
    card = client.get(shop.url + response.headers["location"]).text
    assert "При следующей синхронизации касса получит все данные заново." in card
    assert "0 изменений" not in card
    with shop.sessions()() as session:
        assert session.scalars(select(ExchangeNode.acked_seq)).one() == 0


def test_set_prices_for_a_selection_all_or_nothing(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        dairy = session.scalars(select(Product).where(Product.name.in_(["Кефир 1% 0,9 л", "Ряженка 4% 0,5 л"]))).all()
        before = {p.id: p.prices[0].value for p in dairy}
    page = client.get(f"{shop.root}prices", params={"q": "кефир"}).text
    assert "Кефир 1% 0,9 л" in page and "Молоко" not in page
    kefir, ryazhenka = sorted(dairy, key=lambda p: p.name)
    bad = _post(
        client,
        shop,
        "prices",
        {"q": "", "group": "", "type": "", "page": "1", f"price_{kefir.id}": "81", f"price_{ryazhenka.id}": "много"},
        page="prices",
    )
    assert bad.status_code == 422 and "Должно быть числом." in bad.text
    with shop.sessions()() as session:
        assert {
            p.id: p.prices[0].value for p in session.scalars(select(Product).where(Product.id.in_(before)))
        } == before
    good = _post(
        client,
        shop,
        "prices",
        {"q": "", "group": "", "type": "", "page": "1", f"price_{kefir.id}": "81,00", f"price_{ryazhenka.id}": ""},
        page="prices",
    )
    assert good.status_code == 303
    assert "Установлено цен: 1" in client.get(shop.url + good.headers["location"]).text
    with shop.sessions()() as session:
        assert session.get(Product, kefir.id).prices[0].value == Decimal("81.00")
        assert session.get(Product, ryazhenka.id).prices[0].value == before[ryazhenka.id]


def test_edit_the_lines_of_an_order(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        order = session.scalars(select(CustomerOrder).where(CustomerOrder.number == "ЗК-00001")).one()
        completed = session.scalars(select(CustomerOrder).where(CustomerOrder.status == "completed")).first()
        seq = order.change_seq
    card = f"orders/{order.id}"
    page = client.get(f"{shop.root}{card}").text
    assert "Записать товары" in page
    form = {"line_product": ["00001", ""], "line_quantity": ["3", ""], "line_price": ["", ""]}
    token = csrf_of(page)
    response = client.post(f"{shop.root}{card}/lines", data={"csrf_token": token, **form})
    assert response.status_code == 303
    assert "товары записаны, сумма 269,70" in client.get(shop.url + response.headers["location"]).text  # 3 × 89,90
    with shop.sessions()() as session:
        edited = session.get(CustomerOrder, order.id)
        assert [(line.product.code, line.quantity) for line in edited.lines] == [("00001", Decimal("3.000"))]
        assert edited.amount == Decimal("269.70") and edited.change_seq > seq
    assert completed is not None
    closed = client.get(f"{shop.root}orders/{completed.id}").text
    assert "Записать товары" not in closed
    refused = client.post(f"{shop.root}orders/{completed.id}/lines", data={"csrf_token": token, **form})
    assert "Товары заказа не изменены" in client.get(shop.url + refused.headers["location"]).text


def _sync_enabled(shop: Shop, base: str = "kassa") -> bool:
    with shop.sessions()() as session:
        return bool(session.scalars(select(Infobase.sync_enabled).where(Infobase.name == base)).one())


def test_switch_data_synchronization_off_and_on(shop: Shop, client: httpx.Client) -> None:
    page = client.get(f"{shop.root}sync")
    assert page.status_code == 200
    assert "Синхронизация данных" in page.text and "Записать" in page.text
    assert re.search(r'name="sync_enabled" value="1" checked', page.text)  # on by default
    assert 'href="/kassa/sync"' in client.get(f"{shop.root}settings").text  # the menu item of Администрирование
    off = _post(client, shop, "sync", {})  # an unchecked box is not sent
    assert off.status_code == 303 and off.headers["location"] == "/kassa/sync"
    assert not _sync_enabled(shop) and _sync_enabled(shop, "other")  # only this infobase
    shown = client.get(shop.url + off.headers["location"]).text
    assert "Синхронизация данных выключена." in shown and not re.search(r'name="sync_enabled" value="1" checked', shown)
    on = _post(client, shop, "sync", {"sync_enabled": "1"})
    assert on.status_code == 303 and _sync_enabled(shop)


def test_the_synchronization_switch_needs_csrf_and_a_sign_in(shop: Shop, client: httpx.Client) -> None:
    forged = client.post(f"{shop.root}sync", data={})
    assert forged.status_code == 403 and _sync_enabled(shop)
    with httpx.Client(timeout=30) as anonymous:
        response = anonymous.post(f"{shop.root}sync", data={})
        assert response.status_code in (303, 403) and _sync_enabled(shop)
