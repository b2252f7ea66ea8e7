"""Issue 17's back office pages over HTTP, as a browser sends the forms: acquiring terminals, discount cards (with the
CSV import and export), stock on hand per store, product kinds and characteristics, and a receipt that names a
terminal, a card and a size. Each change goes through the admin use cases, a bad input is shown next to its field and
saves nothing, and what the devices get is tracked (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
from sqlalchemy import func, select

from kassa_server.admin.demo import DEMO_CARDS, DEMO_FACTORY_NUMBER, DEMO_TERMINAL
from kassa_server.admin.organizations import StoreInput, create_store, get_organization
from kassa_server.models import (
    AcquiringTerminal,
    Barcode,
    Characteristic,
    DiscountCard,
    Infobase,
    ItemKind,
    Product,
    Receipt,
    StockBalance,
    Store,
)
from tests.web.conftest import Shop, csrf_of
from tests.web.simulated import cycles


def _post(
    client: httpx.Client, shop: Shop, path: str, data: dict[str, object], page: str | None = None, **kw: object
) -> httpx.Response:
    form = client.get(f"{shop.root}{page or path}")
    assert form.status_code == 200, form.text
    return client.post(f"{shop.root}{path}", data={"csrf_token": csrf_of(form.text), **data}, **kw)  # type: ignore[arg-type]


def _count(shop: Shop, model: type, *where: object) -> int:
    with shop.sessions()() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _follow(client: httpx.Client, shop: Shop, response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    return client.get(shop.url + response.headers["location"]).text


def _second_store(shop: Shop) -> None:
    with shop.sessions().begin() as session:
        infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
        organization = get_organization(session, infobase)
        create_store(session, infobase, StoreInput(name="Склад на Ленина", organization=organization.name))


# -- Эквайринговые терминалы ------------------------------------------------------------------------------------------


def _terminal_form(**changes: str) -> dict[str, object]:
    form = {
        "number": "55500011",
        "name": "Терминал у входа",
        "store": "Склад на Ленина",
        "organization": "",
        "acquirer": "АО «Эквайр-Банк»",
        "contract_number": "Д-7",
        "contract_date": "2025-03-01",
    }
    form.update(changes)
    return form


def test_terminals_add_filter_move_and_delete(shop: Shop, client: httpx.Client) -> None:
    _second_store(shop)
    listed = client.get(f"{shop.root}terminals").text
    assert "Эквайринговые терминалы" in listed and DEMO_TERMINAL in listed and "ЭКВ-2024/17" in listed
    with shop.sessions()() as session:
        seq_before = session.scalars(select(Infobase.change_seq).where(Infobase.name == "kassa")).one()

    page = _follow(client, shop, _post(client, shop, "terminals/new", _terminal_form()))
    assert "Терминал «Терминал у входа» записан." in page
    assert "55500011" in page and DEMO_TERMINAL not in page  # the list is filtered by the new terminal's store
    with shop.sessions()() as session:
        added = session.scalars(select(AcquiringTerminal).where(AcquiringTerminal.number == "55500011")).one()
        assert (added.store.name, added.acquirer.name, added.contract_number, str(added.contract_date)) == (
            "Склад на Ленина",
            "АО «Эквайр-Банк»",
            "Д-7",
            "2025-03-01",
        )
        assert added.change_seq > seq_before  # the devices will get it
        demo_store = session.scalars(select(Store.name).where(Store.name != "Склад на Ленина")).first()
    only_demo = client.get(f"{shop.root}terminals", params={"store": demo_store}).text
    assert DEMO_TERMINAL in only_demo and "55500011" not in only_demo

    card = f"terminals/{added.ref}"
    assert 'value="Д-7"' in client.get(f"{shop.root}{card}").text
    moved = _post(client, shop, card, _terminal_form(store=str(demo_store), name="Терминал 2", number="55500012"))
    assert "Терминал «Терминал 2» записан." in _follow(client, shop, moved)
    with shop.sessions()() as session:
        terminal = session.get(AcquiringTerminal, added.id)
        assert (terminal.number, terminal.name, terminal.store.name) == ("55500012", "Терминал 2", demo_store)

    deleted = _post(client, shop, f"{card}/delete", {}, page=card)
    assert "удален" in _follow(client, shop, deleted)
    assert _count(shop, AcquiringTerminal, AcquiringTerminal.number == "55500012") == 0
    assert client.get(f"{shop.root}{card}").status_code == 404


def test_a_bad_terminal_is_refused_and_shown(shop: Shop, client: httpx.Client) -> None:
    _second_store(shop)
    before = _count(shop, AcquiringTerminal)
    empty = _post(client, shop, "terminals/new", _terminal_form(number=" "))
    assert empty.status_code == 422 and "Не заполнено." in empty.text and "Терминал не записан" in empty.text
    assert 'value="Терминал у входа"' in empty.text  # what was typed stays
    taken = _post(client, shop, "terminals/new", _terminal_form(number=DEMO_TERMINAL))
    assert taken.status_code == 422 and "Уже существует" in taken.text
    no_bank = _post(client, shop, "terminals/new", _terminal_form(acquirer=""))
    assert no_bank.status_code == 422 and "Для договора укажите эквайрера" in no_bank.text
    bad_date = _post(client, shop, "terminals/new", _terminal_form(contract_date="01.03.2025"))
    assert bad_date.status_code == 422 and "Должно быть датой." in bad_date.text
    assert _count(shop, AcquiringTerminal) == before


# -- Дисконтные карты -------------------------------------------------------------------------------------------------


def _card_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "number": "7770001",
        "barcode": "2900000077701",
        "magnetic_code": ";7770001?",
        "owner": "Иванова Мария",
        "kind": "Скидка 7 %",
        "discount_percent": "7,5",
        "opened": "2025-02-03",
        "organization": "",
        "active": "1",
    }
    form.update(changes)
    return form


def test_cards_add_search_edit_and_delete(shop: Shop, client: httpx.Client) -> None:
    listed = client.get(f"{shop.root}cards").text
    assert all(number in listed for number, *_ in DEMO_CARDS) and "аннулирована" in listed
    page = _follow(client, shop, _post(client, shop, "cards/new", _card_form()))
    assert "Дисконтная карта 7770001 записана." in page
    with shop.sessions()() as session:
        card = session.scalars(select(DiscountCard).where(DiscountCard.number == "7770001")).one()
        assert (card.owner.name, card.discount_percent, card.active, card.opened_at.date().isoformat()) == (
            "Иванова Мария",
            Decimal("7.50"),
            True,
            "2025-02-03",
        )
    by_barcode = client.get(f"{shop.root}cards", params={"q": "290000007770"}).text
    assert "7770001" in by_barcode and DEMO_CARDS[0][0] not in by_barcode
    assert "Ничего не найдено" in client.get(f"{shop.root}cards", params={"q": "нет такой"}).text

    path = f"cards/{card.ref}"
    edited = _post(
        client,
        shop,
        path,
        {k: v for k, v in _card_form(number="ignored", discount_percent="10", owner="").items() if k != "active"},
    )
    assert "записана" in _follow(client, shop, edited)
    with shop.sessions()() as session:
        card = session.get(DiscountCard, card.id)
        assert (card.number, card.discount_percent, card.active, card.owner) == (
            "7770001",
            Decimal("10.00"),
            False,
            None,
        )

    assert "удалена" in _follow(client, shop, _post(client, shop, f"{path}/delete", {}, page=path))
    assert _count(shop, DiscountCard, DiscountCard.number == "7770001") == 0


def test_cards_page_through_many(shop: Shop, client: httpx.Client) -> None:
    from kassa_server.admin.cards import CardInput, add_card

    with shop.sessions().begin() as session:
        infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
        for n in range(60):
            add_card(session, infobase, CardInput(number=f"9{n:05d}"))
    first = client.get(f"{shop.root}cards").text
    card_link = re.compile(r'href="/kassa/cards/[0-9a-f-]{36}"')
    assert "Всего: 63" in first and "Страница 1 из 2" in first and len(card_link.findall(first)) == 50
    second = client.get(f"{shop.root}cards", params={"page": "2"}).text
    assert "Страница 2 из 2" in second and len(card_link.findall(second)) == 13


def test_a_bad_card_is_refused_and_shown(shop: Shop, client: httpx.Client) -> None:
    before = _count(shop, DiscountCard)
    percent = _post(client, shop, "cards/new", _card_form(discount_percent="150"))
    assert percent.status_code == 422 and "Должно быть от 0 до 100." in percent.text
    assert 'value="Иванова Мария"' in percent.text
    taken = _post(client, shop, "cards/new", _card_form(number=DEMO_CARDS[0][0]))
    assert taken.status_code == 422 and "Уже существует" in taken.text
    empty = _post(client, shop, "cards/new", _card_form(number=""))
    assert empty.status_code == 422 and "Не заполнено." in empty.text
    assert _count(shop, DiscountCard) == before


def test_cards_csv_import_with_a_bad_row_then_export_round_trip(shop: Shop, client: httpx.Client) -> None:
    before = _count(shop, DiscountCard)
    bad = "number;owner;discount_percent;status\n8880001;Петров;5;active\n8880002;Сидоров;много;active\n"
    refused = _post(client, shop, "cards/import", {}, files={"file": ("cards.csv", bad.encode("cp1251"), "text/csv")})
    assert refused.status_code == 422
    assert "Строка 3: discount_percent" in refused.text and "Ничего не загружено." in refused.text
    assert _count(shop, DiscountCard) == before  # the good first row is not kept either

    good = "number,owner,kind,discount_percent,status,opened\n8880001,Петров,Скидка 2 %,2,active,2025-01-31\n"
    done = _post(client, shop, "cards/import", {}, files={"file": ("cards.csv", good.encode(), "text/csv")})
    assert "создано карт 1, обновлено 0" in _follow(client, shop, done)

    exported = client.get(f"{shop.root}cards/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8-sig")
    assert "8880001,,,Петров,Скидка 2 %,2.00,active,2025-01-31," in text
    again = _post(client, shop, "cards/import", {}, files={"file": ("all.csv", exported.content, "text/csv")})
    assert f"создано карт 0, обновлено {before + 1}" in _follow(client, shop, again)
    assert client.get(f"{shop.root}cards/export.csv").content == exported.content


# -- Остатки товаров --------------------------------------------------------------------------------------------------


def test_stock_per_store_set_a_quantity_and_refuse_a_bad_one(shop: Shop, client: httpx.Client) -> None:
    _second_store(shop)
    with shop.sessions()() as session:
        milk = session.scalars(select(Product).where(Product.name == "Молоко 3,2% 1 л")).one()
        balance = session.scalars(
            select(StockBalance).where(StockBalance.product_id == milk.id, StockBalance.characteristic_id.is_(None))
        ).one()
        demo_store, seq = balance.store.name, balance.change_seq
    page = client.get(f"{shop.root}stock").text
    assert "Остатки товаров" in page and "Кроссовки беговые" in page and ">42<" in page
    found = client.get(f"{shop.root}stock", params={"q": "молоко"}).text
    assert "Молоко 3,2% 1 л" in found and "Кроссовки" not in found
    assert "остатков нет" in client.get(f"{shop.root}stock", params={"store": "Склад на Ленина"}).text

    row = {"store": demo_store, "q": "", "page": "1", "ref": str(milk.ref), "characteristic": "", "quantity": "12,5"}
    set_row = _post(client, shop, "stock", row, page="stock")
    assert "Молоко 3,2% 1 л" in _follow(client, shop, set_row) and "12,5" in client.get(f"{shop.root}stock").text
    with shop.sessions()() as session:
        changed = session.get(StockBalance, balance.id)
        assert changed.quantity == Decimal("12.500") and changed.change_seq > seq

    bad = _post(client, shop, "stock", {**row, "quantity": "много"}, page="stock")
    assert bad.status_code == 422 and "Должно быть числом." in bad.text and 'value="много"' in bad.text
    unknown = _post(
        client,
        shop,
        "stock",
        {"store": "Склад на Ленина", "product": "нет такого", "characteristic": "", "quantity": "1"},
        page="stock",
    )
    assert unknown.status_code == 422 and "нет такого" in unknown.text
    other = _post(
        client,
        shop,
        "stock",
        {"store": "Склад на Ленина", "product": milk.code, "characteristic": "", "quantity": "3"},
        page="stock",
    )
    assert "Склад на Ленина" in _follow(client, shop, other)
    with shop.sessions()() as session:
        stores = dict(
            session.execute(
                select(Store.name, StockBalance.quantity)
                .join(Store, StockBalance.store_id == Store.id)
                .where(StockBalance.product_id == milk.id)
            ).all()
        )
    assert stores == {demo_store: Decimal("12.500"), "Склад на Ленина": Decimal("3.000")}


def test_stock_csv_import_with_a_bad_row_then_export_round_trip(shop: Shop, client: httpx.Client) -> None:
    _second_store(shop)
    with shop.sessions()() as session:
        shoes = session.scalars(select(Product).where(Product.name == "Кроссовки беговые")).one()
    bad = f"code;characteristic;quantity\n{shoes.code};41;5\n{shoes.code};99;5\n"
    refused = _post(
        client,
        shop,
        "stock/import",
        {"store": "Склад на Ленина"},
        files={"file": ("stock.csv", bad.encode(), "text/csv")},
    )
    assert refused.status_code == 422 and "Строка 3:" in refused.text and "Ничего не загружено." in refused.text
    assert _count(shop, StockBalance, StockBalance.store.has(Store.name == "Склад на Ленина")) == 0

    good = f"code,characteristic,quantity\n{shoes.code},41,5\n{shoes.code},42,2\n"
    done = _post(
        client,
        shop,
        "stock/import",
        {"store": "Склад на Ленина"},
        files={"file": ("stock.csv", good.encode(), "text/csv")},
    )
    assert "строк 2, изменено остатков 2" in _follow(client, shop, done)
    exported = client.get(f"{shop.root}stock/export.csv", params={"store": "Склад на Ленина"})
    assert exported.status_code == 200
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "ref,code,article,name,characteristic,quantity" and len(lines) == 3
    assert lines[1].endswith(",41,5.000") and lines[2].endswith(",42,2.000")
    again = _post(
        client,
        shop,
        "stock/import",
        {"store": "Склад на Ленина"},
        files={"file": ("back.csv", exported.content, "text/csv")},
    )
    assert "строк 2, изменено остатков 0" in _follow(client, shop, again)
    demo = client.get(f"{shop.root}stock/export.csv").content.decode("utf-8-sig")
    assert demo.count("\n") > 3 and ",41,10.000" in demo  # the other store keeps its own stock


# -- Виды номенклатуры и характеристики -------------------------------------------------------------------------------


def test_kinds_add_characteristics_and_delete(shop: Shop, client: httpx.Client) -> None:
    page = client.get(f"{shop.root}kinds").text
    assert "Виды номенклатуры" in page and "Обувь" in page
    added = _post(client, shop, "kinds", {"name": "Одежда", "product_kind": "goods", "uses_characteristics": "1"})
    assert "Вид номенклатуры «Одежда» добавлен." in _follow(client, shop, added)
    taken = _post(client, shop, "kinds", {"name": "Одежда", "product_kind": "goods"})
    assert taken.status_code == 422 and "Уже существует" in taken.text
    empty = _post(client, shop, "kinds", {"name": "", "product_kind": "goods"})
    assert empty.status_code == 422 and "Не заполнено." in empty.text
    size = _post(client, shop, "kinds/characteristics", {"kind": "Одежда", "name": "XL"}, page="kinds")
    assert "Характеристика «XL» добавлена виду «Одежда»." in _follow(client, shop, size)
    with shop.sessions()() as session:
        xl = session.scalars(select(Characteristic).where(Characteristic.name == "XL")).one()
        assert xl.item_kind is not None and xl.item_kind.name == "Одежда" and xl.product_id is None
    removed = _post(client, shop, "kinds/characteristics", {"delete": str(xl.ref)}, page="kinds")
    assert "удалена" in _follow(client, shop, removed)
    gone = _post(client, shop, "kinds/delete", {"name": "Одежда"}, page="kinds")
    assert "удален" in _follow(client, shop, gone)
    missing = _post(client, shop, "kinds/delete", {"name": "Одежда"}, page="kinds")
    assert "Не удалено" in _follow(client, shop, missing)
    assert _count(shop, ItemKind, ItemKind.name == "Одежда") == 0


def test_product_card_kind_characteristics_and_barcodes(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        shoes = session.scalars(select(Product).where(Product.name == "Кроссовки беговые")).one()
        first_barcode = sorted(b.value for b in shoes.barcodes)[0]
    card = f"goods/{shoes.id}"
    page = client.get(f"{shop.root}{card}").text
    assert "Вид номенклатуры и характеристики" in page and "размер 40" in page
    assert re.search(r'<option value="Обувь" selected>', page)
    variants = f"{card}/variants"

    added = _post(client, shop, variants, {"action": "add", "name": "44", "full_name": ""}, page=card)
    assert "Характеристика «44» добавлена." in _follow(client, shop, added)
    twice = _post(client, shop, variants, {"action": "add", "name": "44", "full_name": ""}, page=card)
    assert "Не выполнено: Уже существует" in _follow(client, shop, twice)
    with shop.sessions()() as session:
        size44 = session.scalars(select(Characteristic).where(Characteristic.name == "44")).one()
        assert size44.full_name == "Кроссовки беговые, 44" and size44.product_id == shoes.id

    rename = {"action": "rename", "ref": str(size44.ref), "name": "44 ", "full_name": "Кроссовки беговые, размер 44"}
    assert "Характеристика «44» записана." in _follow(client, shop, _post(client, shop, variants, rename, page=card))
    taken = {**rename, "name": "43"}
    assert "Не выполнено: Уже существует" in _follow(client, shop, _post(client, shop, variants, taken, page=card))
    with shop.sessions()() as session:
        renamed = session.get_one(Characteristic, size44.id)
        assert (renamed.name, renamed.full_name) == ("44", "Кроссовки беговые, размер 44")

    form = {"action": "barcodes", "barcode": [first_barcode], "characteristic": ["44"]}
    assert "Характеристики штрихкодов записаны." in _follow(
        client, shop, _post(client, shop, variants, form, page=card)
    )
    with shop.sessions()() as session:
        barcode = session.scalars(select(Barcode).where(Barcode.value == first_barcode)).one()
        assert barcode.characteristic_id == size44.id
    foreign = _post(
        client, shop, variants, {"action": "barcodes", "barcode": ["2000000000015"], "characteristic": [""]}, page=card
    )
    assert "Не выполнено" in _follow(client, shop, foreign)

    assert "удалена" in _follow(
        client, shop, _post(client, shop, variants, {"action": "delete", "ref": str(size44.ref)}, page=card)
    )
    with shop.sessions()() as session:
        assert session.scalars(select(Barcode).where(Barcode.value == first_barcode)).one().characteristic_id is None

    no_kind = _post(client, shop, variants, {"action": "kind", "item_kind": ""}, page=card)
    assert "не указан" in _follow(client, shop, no_kind)
    with shop.sessions()() as session:
        assert session.get(Product, shoes.id).item_kind_id is None
    _post(client, shop, variants, {"action": "kind", "item_kind": "Обувь"}, page=card)
    with shop.sessions()() as session:
        assert session.get(Product, shoes.id).item_kind.name == "Обувь"  # type: ignore[union-attr]


def test_saving_the_product_card_keeps_its_kind_and_barcode_characteristics(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions()() as session:
        shoes = session.scalars(select(Product).where(Product.name == "Кроссовки беговые")).one()
        linked = {b.value: b.characteristic_id for b in shoes.barcodes}
        group, unit = str(shoes.group_id), str(shoes.unit_id)
    form = {
        "name": shoes.name,
        "full_name": shoes.full_name,
        "article": shoes.article,
        "code": shoes.code,
        "group": group,
        "unit": unit,
        "vat_rate": "20",
        "kind": "goods",
        "barcodes": "\n".join(linked),
    }
    assert _post(client, shop, f"goods/{shoes.id}", form).status_code == 303
    with shop.sessions()() as session:
        shoes = session.get(Product, shoes.id)
        assert shoes.item_kind is not None and {b.value: b.characteristic_id for b in shoes.barcodes} == linked


# -- Чек ККМ ----------------------------------------------------------------------------------------------------------


def test_a_receipt_shows_its_terminal_card_and_characteristic(shop: Shop, client: httpx.Client) -> None:
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
    with shop.sessions()() as session:
        receipts = session.scalars(select(Receipt)).all()
        with_card = next(r for r in receipts if r.discount_card_id is not None)
        card_number = with_card.discount_card_number
        with_size = next(r for r in receipts if any(line.characteristic_id for line in r.lines))
        sized = next(line for line in with_size.lines if line.characteristic_id)
        with_terminal = next(r for r in receipts if any(p.terminal_id for p in r.payments))
    page = client.get(f"{shop.root}receipts/{with_card.id}").text
    assert "Дисконтная карта" in page and card_number in page and 'href="/kassa/cards/' in page
    page = client.get(f"{shop.root}receipts/{with_size.id}").text
    assert f'{sized.product_name}</a><span class="characteristic">, {sized.characteristic_name}</span>' in page
    page = client.get(f"{shop.root}receipts/{with_terminal.id}").text
    assert "Эквайринговый терминал" in page and f"Терминал на кассе</a> (№ {DEMO_TERMINAL})" in page


def test_the_retail_pages_need_a_sign_in_and_csrf(shop: Shop, client: httpx.Client) -> None:
    for path in ("terminals", "cards", "stock", "kinds", "cards/export.csv", "stock/export.csv"):
        with httpx.Client(timeout=30) as anonymous:
            assert anonymous.get(f"{shop.root}{path}").status_code == 303
    before = _count(shop, ItemKind)
    forged = client.post(f"{shop.root}kinds", data={"name": "Подделка"})
    assert forged.status_code == 403 and _count(shop, ItemKind) == before
    forged = client.post(f"{shop.root}cards/import", files={"file": ("c.csv", b"number\n1\n", "text/csv")})
    assert forged.status_code == 403
    menu = client.get(f"{shop.root}").text
    for label in ("Эквайринговые терминалы", "Дисконтные карты", "Остатки товаров", "Виды номенклатуры"):
        assert label in menu
