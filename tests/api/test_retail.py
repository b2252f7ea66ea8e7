"""Issue 17's objects over the control API: acquiring terminals, discount cards (and their CSV), stock on hand (and its
CSV), product kinds and characteristics; what a device's receipts say about them; and that a change made here reaches
a registered device at its next sync (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from kassa_server.admin.demo import DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD, DEMO_FACTORY_NUMBER, DEMO_TERMINAL
from kassa_server.app import create_app
from kassa_server.settings import Limits, Settings
from kassa_server.simulator import Device, DeviceConfig, parse_qr
from tests.api.conftest import Api
from tests.live_server import live_server

SHOP = {"base": "demo", "stores": [{"name": "Склад"}]}
NO_REF = "00000000-0000-0000-0000-000000000000"


def _shop(client: httpx.Client) -> None:
    created = client.post("/infobases", json={"name": "shop", "fixture": SHOP})
    assert created.status_code == 201, created.text


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def _product(client: httpx.Client, name: str) -> dict[str, Any]:
    return next(g for g in client.get("/infobases/shop/goods").json() if g["name"] == name)


def test_terminals_are_added_listed_changed_moved_and_deleted(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    [demo] = client.get("/infobases/shop/terminals").json()
    assert (demo["number"], demo["acquirer"]) == (DEMO_TERMINAL, "ПАО «Банк»")
    body = {
        "number": "777",
        "store": "Склад",
        "acquirer": "Банк",
        "contract_number": "Д-1",
        "contract_date": "2026-01-31",
    }
    created = client.post("/infobases/shop/terminals", json=body)
    assert created.status_code == 201, created.text
    assert created.json() | {"ref": None} == {
        "ref": None,
        "number": "777",
        "name": "Терминал 777",
        "store": "Склад",
        "organization": None,
        "acquirer": "Банк",
        "contract_number": "Д-1",
        "contract_date": "2026-01-31",
    }
    assert [t["number"] for t in client.get("/infobases/shop/terminals", params={"store": "Склад"}).json()] == ["777"]
    assert _error(client.post("/infobases/shop/terminals", json={"number": "777"}), 409)["code"] == "conflict"
    assert _error(client.post("/infobases/shop/terminals", json={"name": "no number"}), 422)["field"] == "number"
    no_bank = client.post("/infobases/shop/terminals", json={"number": "8", "contract_number": "Д-2"})
    assert _error(no_bank, 422)["field"] == "acquirer"
    assert _error(client.post("/infobases/shop/terminals", json={"number": "9", "store": "Нет"}), 404)["code"] == (
        "not_found"
    )
    assert _error(client.post("/infobases/shop/terminals", json={"number": "5", "store": []}), 422)["field"] == "store"

    moved = client.patch("/infobases/shop/terminals/777", json={"store": demo["store"], "name": "У окна"})
    assert (moved.json()["store"], moved.json()["name"], moved.json()["acquirer"]) == (demo["store"], "У окна", "Банк")
    assert client.get("/infobases/shop/terminals", params={"store": "Склад"}).json() == []
    renumbered = client.patch("/infobases/shop/terminals/777", json={"number": "778"})
    assert renumbered.json()["ref"] == created.json()["ref"]
    assert client.get("/infobases/shop/terminals/778").json()["name"] == "У окна"
    assert _error(client.patch("/infobases/shop/terminals/778", json={"number": DEMO_TERMINAL}), 409)
    assert _error(client.patch("/infobases/shop/terminals/778", json={"name": " "}), 422)["field"] == "name"
    assert _error(client.get("/infobases/shop/terminals/777"), 404)["code"] == "not_found"
    assert client.delete("/infobases/shop/terminals/778").status_code == 204
    assert _error(client.delete("/infobases/shop/terminals/778"), 404)
    assert [t["number"] for t in client.get("/infobases/shop/terminals").json()] == [DEMO_TERMINAL]
    assert _error(client.get("/infobases/nope/terminals"), 404)


def test_discount_cards_one_by_one_and_in_pages(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    body = {"number": "C-1", "barcode": "4600000000101", "owner": "Петров", "kind": "Скидка 7 %", "discount_percent": 7}
    created = client.post("/infobases/shop/cards", json=body)
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["owner"], card["discount_percent"], card["active"]) == ("Петров", "7.00", True)
    assert client.get("/infobases/shop/cards/4600000000101").json()["number"] == "C-1"  # by barcode
    assert _error(client.post("/infobases/shop/cards", json={"number": "C-1"}), 409)["code"] == "conflict"
    assert _error(client.post("/infobases/shop/cards", json={"owner": "x"}), 422)["field"] == "number"
    assert _error(client.post("/infobases/shop/cards", json={"number": "C-2", "discount_percent": 101}), 422)
    assert _error(client.get("/infobases/shop/cards/none"), 404)["code"] == "not_found"

    changed = client.patch("/infobases/shop/cards/C-1", json={"active": False, "owner": ""})
    assert (changed.json()["active"], changed.json()["owner"], changed.json()["kind"]) == (False, None, "Скидка 7 %")
    assert _error(client.patch("/infobases/shop/cards/C-1", json={"number": "C-9"}), 422)["field"] == "number"
    assert _error(client.patch("/infobases/shop/cards/C-9", json={"active": True}), 404)

    first = client.get("/infobases/shop/cards", params={"page_size": 2}).json()
    assert (first["total"], first["pages"], first["page"], len(first["items"])) == (4, 2, 1, 2)
    second = client.get("/infobases/shop/cards", params={"page_size": 2, "page": 2}).json()
    numbers = [c["number"] for c in first["items"] + second["items"]]
    assert numbers == sorted(numbers) and "C-1" in numbers
    found = client.get("/infobases/shop/cards", params={"search": "смирнов"}).json()
    assert [c["owner"] for c in found["items"]] == ["Смирнов Алексей"]
    assert _error(client.get("/infobases/shop/cards", params={"page": 0}), 422)["field"] == "page"

    assert client.delete("/infobases/shop/cards/C-1").status_code == 204
    assert _error(client.delete("/infobases/shop/cards/C-1"), 404)
    assert client.get("/infobases/shop/cards").json()["total"] == 3


def test_cards_csv_export_import_and_a_bad_row(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    exported = client.get("/infobases/shop/cards.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["x-row-count"] == "3"
    lines = exported.text.splitlines()
    assert lines[0].startswith("number,barcode,magnetic_code,owner") and len(lines) == 4

    csv_headers = {"Content-Type": "text/csv"}
    good = "number;owner;discount_percent;status\nN-1;Иванов;10;active\n2000000000015;;4,5;cancelled\n"
    imported = client.post("/infobases/shop/cards.csv", content=good.encode("cp1251"), headers=csv_headers)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 1, "updated": 1}
    demo_card = client.get("/infobases/shop/cards/2000000000015").json()
    assert (demo_card["discount_percent"], demo_card["active"]) == ("4.50", False)

    bad = "number,discount_percent\nN-2,5\nN-3,half\n"
    error = _error(client.post("/infobases/shop/cards.csv", content=bad, headers=csv_headers), 422)
    assert error["field"] == "line 3" and "discount_percent" in error["message"]
    assert _error(client.get("/infobases/shop/cards/N-2"), 404)  # all or nothing
    unknown = _error(
        client.post("/infobases/shop/cards.csv", content="number,colour\n1,red\n", headers=csv_headers), 422
    )
    assert unknown["field"] == "line 1" and "colour" in unknown["message"]
    assert _error(client.post("/infobases/shop/cards.csv", content="", headers=csv_headers), 422)["code"] == "invalid"
    # the export reads back in unchanged
    again = client.post("/infobases/shop/cards.csv", content=exported.content, headers=csv_headers)
    assert again.json() == {"created": 0, "updated": 3}


def test_stock_is_listed_set_exported_and_imported_per_store(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    shoes = next(g for g in client.get("/infobases/shop/goods").json() if g["item_kind"] == "Обувь")
    rows = client.get("/infobases/shop/stock").json()
    sized = [r for r in rows if r["product"] == shoes["ref"]]
    assert {r["characteristic"] for r in sized} == {"40", "41", "42", "43"}
    assert all(r["quantity"] == "10.000" and r["characteristic_ref"] for r in sized)
    assert client.get("/infobases/shop/stock", params={"store": "Склад"}).json() == []

    body = {"product": shoes["ref"], "characteristic": "42", "quantity": "3.5", "store": "Склад"}
    put = client.put("/infobases/shop/stock", json=body)
    assert put.status_code == 200, put.text
    assert (put.json()["store"], put.json()["characteristic"], put.json()["quantity"]) == ("Склад", "42", "3.500")
    assert _error(client.put("/infobases/shop/stock", json=body | {"characteristic": "99"}), 404)
    assert _error(client.put("/infobases/shop/stock", json=body | {"product": NO_REF}), 404)
    assert _error(client.put("/infobases/shop/stock", json=body | {"quantity": "0.0001"}), 422)["field"] == "quantity"
    assert _error(client.put("/infobases/shop/stock", json=body | {"store": "Нет"}), 404)
    assert _error(client.get("/infobases/shop/stock", params={"store": "Нет"}), 404)

    exported = client.get("/infobases/shop/stock.csv", params={"store": "Склад"})
    assert exported.headers["x-row-count"] == "1"
    assert exported.text.splitlines()[1].endswith(",42,3.500")
    csv_headers = {"Content-Type": "text/csv"}
    text = f"ref,characteristic,quantity\n{shoes['ref']},41,7\n{shoes['ref']},42,3.5\n"
    imported = client.post("/infobases/shop/stock.csv", params={"store": "Склад"}, content=text, headers=csv_headers)
    assert imported.json() == {"rows": 2, "changed": 1}
    quantities = {r["characteristic"]: r["quantity"] for r in client.get("/infobases/shop/stock?store=Склад").json()}
    assert quantities == {"41": "7.000", "42": "3.500"}

    bad = f"ref,characteristic,quantity\n{shoes['ref']},40,1\n{shoes['ref']},44,1\n"
    error = _error(client.post("/infobases/shop/stock.csv?store=Склад", content=bad, headers=csv_headers), 422)
    assert error["field"] == "line 3" and "44" in error["message"]
    assert len(client.get("/infobases/shop/stock?store=Склад").json()) == 2  # all or nothing


def test_product_kinds_characteristics_and_barcodes(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    assert [k["name"] for k in client.get("/infobases/shop/product-kinds").json()] == ["Обувь"]
    created = client.post("/infobases/shop/product-kinds", json={"name": "Одежда"})
    assert created.status_code == 201 and created.json()["product_kind"] == "goods"
    assert _error(client.post("/infobases/shop/product-kinds", json={"name": "Одежда"}), 409)
    assert _error(client.post("/infobases/shop/product-kinds", json={"name": " "}), 422)["field"] == "name"
    assert _error(client.post("/infobases/shop/product-kinds", json={"name": "X", "product_kind": "car"}), 422)
    kind_size = client.post("/infobases/shop/product-kinds/Одежда/characteristics", json={"name": "XL"})
    assert kind_size.status_code == 201 and kind_size.json()["kind"] == "Одежда"
    assert [c["name"] for c in client.get("/infobases/shop/product-kinds/Одежда/characteristics").json()] == ["XL"]
    assert _error(client.get("/infobases/shop/product-kinds/Нет/characteristics"), 404)

    shirt = client.post("/infobases/shop/goods", json={"name": "Футболка", "barcodes": ["4600000000200"]}).json()
    assert shirt["item_kind"] is None
    assert client.put(f"/infobases/shop/goods/{shirt['ref']}/kind", json={"kind": "Одежда"}).json()["item_kind"] == (
        "Одежда"
    )
    assert _error(client.put(f"/infobases/shop/goods/{shirt['ref']}/kind", json={"kind": "Нет"}), 404)
    assert _error(client.put(f"/infobases/shop/goods/{NO_REF}/kind", json={"kind": "Одежда"}), 404)
    own = client.post(f"/infobases/shop/goods/{shirt['ref']}/characteristics", json={"name": "M"})
    assert own.status_code == 201 and own.json()["product"] == shirt["ref"]
    assert own.json()["full_name"] == "Футболка, M"
    assert _error(client.post(f"/infobases/shop/goods/{shirt['ref']}/characteristics", json={"name": "M"}), 409)
    assert _error(client.post(f"/infobases/shop/goods/{shirt['ref']}/characteristics", json={}), 422)["field"] == "name"
    listed = client.get(f"/infobases/shop/goods/{shirt['ref']}/characteristics").json()
    assert {c["name"] for c in listed} == {"M", "XL"}

    pointed = client.put("/infobases/shop/barcodes/4600000000200/characteristic", json={"characteristic": "XL"})
    assert (pointed.json()["characteristic"], pointed.json()["product"]) == ("XL", shirt["ref"])
    assert _error(
        client.put("/infobases/shop/barcodes/4600000000200/characteristic", json={"characteristic": "S"}), 404
    )
    assert _error(client.put("/infobases/shop/barcodes/0000/characteristic", json={"characteristic": None}), 404)

    ref = own.json()["ref"]
    renamed = client.patch(f"/infobases/shop/characteristics/{ref}", json={"name": "L"})
    assert renamed.json()["name"] == "L" and client.get(f"/infobases/shop/characteristics/{ref}").json()["name"] == "L"
    assert _error(client.patch(f"/infobases/shop/characteristics/{NO_REF}", json={"name": "L"}), 404)
    client.post(f"/infobases/shop/goods/{shirt['ref']}/characteristics", json={"name": "S"})
    assert _error(client.patch(f"/infobases/shop/characteristics/{ref}", json={"name": "S"}), 409)["code"] == "conflict"
    assert _error(client.patch(f"/infobases/shop/characteristics/{ref}", json={"name": ""}), 422)["field"] == "name"
    assert client.delete(f"/infobases/shop/characteristics/{ref}").status_code == 204
    assert _error(client.get(f"/infobases/shop/characteristics/{ref}"), 404)
    assert client.delete("/infobases/shop/product-kinds/Одежда").status_code == 204
    assert client.get(f"/infobases/shop/goods/{shirt['ref']}").json()["item_kind"] is None
    left = client.get(f"/infobases/shop/goods/{shirt['ref']}/characteristics").json()
    assert [c["name"] for c in left] == ["S"]  # the kind's XL went with the kind
    assert _error(client.delete("/infobases/shop/product-kinds/Одежда"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/infobases/shop/terminals"),
        ("POST", "/infobases/shop/terminals"),
        ("DELETE", "/infobases/shop/terminals/1"),
        ("GET", "/infobases/shop/cards"),
        ("GET", "/infobases/shop/cards.csv"),
        ("POST", "/infobases/shop/cards.csv"),
        ("PATCH", "/infobases/shop/cards/1"),
        ("GET", "/infobases/shop/stock"),
        ("PUT", "/infobases/shop/stock"),
        ("POST", "/infobases/shop/stock.csv"),
        ("GET", "/infobases/shop/product-kinds"),
        ("DELETE", f"/infobases/shop/characteristics/{NO_REF}"),
        ("PUT", "/infobases/shop/barcodes/1/characteristic"),
    ],
)
def test_every_retail_endpoint_needs_credentials(api: Api, method: str, path: str) -> None:
    assert api.client.post("/infobases", json={"name": "shop", "fixture": "demo"}).status_code == 201
    response = httpx.request(method, api.url(path), content=b"number\n1\n")
    assert _error(response, 401)["code"] == "unauthorized"
    cashier = httpx.request(method, api.url(path), auth=("Кассир", "kassa"))
    assert _error(cashier, 401)["code"] == "unauthorized"  # a cashier is no administrator


def test_an_infobase_administrator_may_manage_its_cards_with_basic(api: Api) -> None:
    _shop(api.client)
    admin = httpx.get(api.url("/infobases/shop/cards"), auth=(DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD))
    assert admin.status_code == 200 and admin.json()["total"] == 3


def _device(api: Api) -> Device:
    qr = api.client.get(f"/infobases/shop/devices/{DEMO_FACTORY_NUMBER}/qr").json()["qr"]
    config = DeviceConfig(
        parse_qr(qr, "kassa"), poll_interval=0.01, variant_share=1.0, discount_card_share=1.0, return_share=0.0
    )
    return Device(config)


def test_changes_made_through_the_api_reach_the_device_and_its_receipts_name_them(api_any_db: Api) -> None:
    client = api_any_db.client
    _shop(client)
    shoes = next(g for g in client.get("/infobases/shop/goods").json() if g["item_kind"] == "Обувь")
    client.post("/infobases/shop/terminals", json={"number": "T-2", "store": "Склад"})
    client.post("/infobases/shop/cards", json={"number": "GONE"})
    device = _device(api_any_db)
    try:
        device.sync()
        state = device.state
        assert {t["Номер"] for t in state.terminals.values()} == {DEMO_TERMINAL}  # not the other store's
        assert "GONE" in {c["НомерКарты"] for c in state.discount_cards.values()}

        shop_store = client.get(f"/infobases/shop/terminals/{DEMO_TERMINAL}").json()["store"]
        client.patch("/infobases/shop/terminals/T-2", json={"store": shop_store})  # moved into its store
        client.patch(f"/infobases/shop/terminals/{DEMO_TERMINAL}", json={"store": "Склад"})  # and out of it
        client.delete("/infobases/shop/cards/GONE")
        client.post(f"/infobases/shop/goods/{shoes['ref']}/characteristics", json={"name": "44"})
        client.put("/infobases/shop/stock", json={"product": shoes["ref"], "characteristic": "40", "quantity": "2"})
        device.sync()
        assert {t["Номер"] for t in state.terminals.values()} == {"T-2"}
        assert "GONE" not in {c["НомерКарты"] for c in state.discount_cards.values()}
        sizes = {v["Ссылка"]: v for v in state.items[shoes["ref"]]["characteristics"]}
        added = next(
            c for c in client.get(f"/infobases/shop/goods/{shoes['ref']}/characteristics").json() if c["name"] == "44"
        )
        assert added["ref"] in sizes
        size_40 = next(
            c["ref"]
            for c in client.get(f"/infobases/shop/goods/{shoes['ref']}/characteristics").json()
            if c["name"] == "40"
        )
        assert Decimal(state.stock[f"{shoes['ref']}/{size_40}"]) == 2

        before = {
            (r["product"], r["characteristic"]): Decimal(r["quantity"])
            for r in client.get("/infobases/shop/stock").json()
        }
        device.open_shift()
        sale = device.sell(card=True)
        assert sale is not None
        device.sync()
    finally:
        device.close()
    [receipt] = client.get("/infobases/shop/receipts", params={"device": DEMO_FACTORY_NUMBER}).json()
    [payment] = [p for p in receipt["payments"] if p["terminal"]]
    assert payment["terminal"] == "T-2" and payment["terminal_ref"]
    assert receipt["discount_card"] in {c["НомерКарты"] for c in state.discount_cards.values()}
    assert receipt["discount_card_ref"]
    sized = [line for line in receipt["lines"] if line["characteristic"]]
    assert sized and all(line["characteristic_ref"] for line in sized)
    after = {
        (r["product"], r["characteristic"]): Decimal(r["quantity"]) for r in client.get("/infobases/shop/stock").json()
    }
    for line in sized:
        key = (shoes["ref"], line["characteristic"])
        assert after[key] == before.get(key, Decimal(0)) - Decimal(line["quantity"])


RETAIL_FIXTURE = {
    "stores": [{"name": "Магазин"}, {"name": "Склад"}],
    "product_kinds": [{"name": "Обувь", "characteristics": ["40", "41"]}],
    "goods": [
        {"name": "Кеды", "code": "K1", "price": 2990, "item_kind": "Обувь", "barcodes": ["4600000000309"]},
        {
            "name": "Футболка",
            "code": "F1",
            "price": 990,
            "characteristics": ["S", {"name": "M", "full_name": "Футболка, размер M", "barcodes": ["4600000000316"]}],
        },
    ],
    "terminals": [{"number": "T-1", "store": "Склад", "acquirer": "Банк", "contract_number": "Д-7"}],
    "cards": [
        {"number": "D-1", "barcode": "2000000000015", "owner": "Смирнов", "kind": "Скидка 5 %", "discount_percent": 5},
        {"number": "D-2", "active": False},
    ],
    "stock": [
        {"product": "K1", "characteristic": "41", "quantity": 3},
        {"product": "Футболка", "characteristic": "M", "quantity": "1.5", "store": "Склад"},
        {"product": "F1", "quantity": 7},
    ],
}


def test_a_fixture_seeds_terminals_cards_stock_kinds_and_characteristics(api_any_db: Api) -> None:
    client = api_any_db.client
    created = client.post("/infobases", json={"name": "shop", "fixture": RETAIL_FIXTURE})
    assert created.status_code == 201, created.text
    for _ in range(2):  # a reset to the same fixture builds the same
        goods = {g["code"]: g for g in client.get("/infobases/shop/goods").json()}
        assert goods["K1"]["item_kind"] == "Обувь" and goods["F1"]["item_kind"] is None
        assert {
            c["name"] for c in client.get(f"/infobases/shop/goods/{goods['K1']['ref']}/characteristics").json()
        } == {
            "40",
            "41",
        }
        shirt = {c["name"]: c for c in client.get(f"/infobases/shop/goods/{goods['F1']['ref']}/characteristics").json()}
        assert set(shirt) == {"S", "M"} and shirt["M"]["full_name"] == "Футболка, размер M"
        assert sorted(goods["F1"]["barcodes"]) == ["4600000000316"]
        [terminal] = client.get("/infobases/shop/terminals").json()
        assert (terminal["store"], terminal["acquirer"], terminal["contract_number"]) == ("Склад", "Банк", "Д-7")
        cards = {c["number"]: c for c in client.get("/infobases/shop/cards").json()["items"]}
        assert (cards["D-1"]["owner"], cards["D-1"]["discount_percent"], cards["D-2"]["active"]) == (
            "Смирнов",
            "5.00",
            False,
        )
        first = {(r["code"], r["characteristic"]): r["quantity"] for r in client.get("/infobases/shop/stock").json()}
        assert first == {("K1", "41"): "3.000", ("F1", None): "7.000"}
        other = client.get("/infobases/shop/stock", params={"store": "Склад"}).json()
        assert [(r["code"], r["characteristic"], r["quantity"]) for r in other] == [("F1", "M", "1.500")]
        client.delete("/infobases/shop/cards/D-1")
        assert client.post("/infobases/shop/reset", json={"fixture": RETAIL_FIXTURE}).status_code == 200


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stock": [{"product": "nope", "quantity": 1}]}, "stock.0"),
        ({"stock": [{"product": "K1", "characteristic": "99", "quantity": 1}]}, "stock.0"),
        ({"stock": [{"product": "K1", "quantity": "x"}]}, "stock.0.quantity"),
        ({"terminals": [{"number": "T-1", "store": "Нет"}]}, "terminals.0"),
        ({"cards": [{"number": " "}]}, "cards.0"),
        ({"cards": [{"number": "D-1", "colour": "red"}]}, "cards.0.colour"),
        ({"goods": [{"name": "Кеды", "item_kind": "Нет"}]}, "goods.0"),
        ({"product_kinds": [{"name": ""}]}, "product_kinds.0"),
    ],
)
def test_a_bad_retail_fixture_entry_is_named_and_loads_nothing(api: Api, change: dict[str, Any], field: str) -> None:
    client = api.client
    client.post("/infobases", json={"name": "shop"})
    base = {"goods": [{"name": "Кеды", "code": "K1"}], "cards": [{"number": "OK"}]}
    response = client.post("/infobases/shop/fixture", json=base | change)
    assert _error(response, 422)["field"] == field
    assert client.get("/infobases/shop/goods").json() == []
    assert client.get("/infobases/shop/cards").json()["total"] == 0


def test_a_csv_body_over_the_upload_limit_is_refused_and_loads_nothing(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, admin_token="t", limits=Limits(max_upload=64))
    with live_server(create_app(settings)) as base:
        headers = {"Authorization": "Bearer t"}
        assert httpx.post(f"{base}/api/v1/infobases", json={"name": "shop"}, headers=headers).status_code == 201
        text = "number\n" + "".join(f"CARD-{n}\n" for n in range(20))
        response = httpx.post(
            f"{base}/api/v1/infobases/shop/cards.csv", content=text, headers=headers | {"Content-Type": "text/csv"}
        )
        assert _error(response, 413)["code"] == "too_large"
        assert httpx.get(f"{base}/api/v1/infobases/shop/cards", headers=headers).json()["total"] == 0
