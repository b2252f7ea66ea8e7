"""Goods, orders and fixtures over the API; a product created by the API reaches a simulated device."""

from __future__ import annotations

from pathlib import Path

from kassa_server.pytest_plugin import KassaServer
from kassa_server.simulator import Device, DeviceConfig, parse_qr
from tests.api.conftest import Api

FIXTURE = {
    "organizations": [{"name": "ООО Тест", "inn": "7701234567", "kpp": "770101001"}],
    "stores": [{"name": "Склад 1"}],
    "price_types": ["Розничная"],
    "users": [{"login": "kassir", "password": "pw"}, {"login": "boss", "password": "pw", "role": "administrator"}],
    "goods": [
        {"name": "Чай", "code": "T1", "price": "100.00", "vat_rate": "20", "barcodes": ["2000000000015"]},
        {"name": "Сахар", "code": "S1", "price": "50", "group": "Бакалея / Сладкое", "unit_code": "166"},
    ],
    "registers": [{"factory_number": "F-1", "name": "Касса 1"}],
    "counterparties": [{"name": "Смирнов", "phone": "+7 900 000-00-01"}],
    "orders": [
        {
            "number": "З-1",
            "status": "agreed",
            "device": "F-1",
            "counterparty": "Смирнов",
            "lines": [{"product": "T1", "quantity": 2}],
        }
    ],
    "faults": [{"kind": "delay", "operation": "GetDataPart", "params": {"delay_ms": 1}}],
}


def test_a_fixture_body_creates_and_resets_an_infobase(api: Api) -> None:
    client = api.client
    assert client.post("/infobases", json={"name": "t", "fixture": FIXTURE}).status_code == 201
    goods = {g["code"]: g for g in client.get("/infobases/t/goods").json()}
    assert goods["T1"]["price"] == "100.00" and goods["T1"]["barcodes"] == ["2000000000015"]
    assert goods["S1"]["unit_code"] == "166"
    [order] = client.get("/infobases/t/orders").json()
    assert (order["number"], order["status"], order["device"], order["amount"]) == ("З-1", "agreed", "F-1", "200.00")
    assert [d["factory_number"] for d in client.get("/infobases/t/devices").json()] == ["F-1"]
    assert [f["kind"] for f in client.get("/faults", params={"infobase": "t"}).json()] == ["delay"]
    # a product added later goes when the infobase is reset to the same fixture
    client.post("/infobases/t/goods", json={"name": "Лишний"})
    assert client.post("/infobases/t/reset", json={"fixture": FIXTURE}).status_code == 200
    assert sorted(g["code"] for g in client.get("/infobases/t/goods").json()) == ["S1", "T1"]
    assert len(client.get("/faults", params={"infobase": "t"}).json()) == 1


def test_a_bad_fixture_loads_nothing_and_names_the_field(api: Api) -> None:
    client = api.client
    client.post("/infobases", json={"name": "t"})
    bad = {
        "goods": [{"name": "A", "code": "A"}],
        "orders": [{"number": "1", "lines": [{"product": "nope", "quantity": 1}]}],
    }
    response = client.post("/infobases/t/fixture", json=bad)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "orders.0.lines" and "'nope'" in response.json()["error"]["message"]
    assert client.get("/infobases/t/goods").json() == []  # all or nothing
    unknown = client.post("/infobases/t/fixture", json={"goods": [{"name": "A", "colour": "red"}]})
    assert unknown.status_code == 422 and unknown.json()["error"]["field"] == "goods.0.colour"
    assert client.post("/infobases/t/fixture", json={"goods": [{"name": "A"}]}).status_code == 200
    assert [g["name"] for g in client.get("/infobases/t/goods").json()] == ["A"]


def test_goods_and_orders_are_created_changed_and_deleted(api: Api) -> None:
    client = api.client
    client.post("/infobases", json={"name": "shop", "fixture": "demo"})
    created = client.post("/infobases/shop/goods", json={"name": "Кофе", "code": "K-1", "price": "350.5"})
    assert created.status_code == 201, created.text
    ref = created.json()["ref"]
    assert client.post("/infobases/shop/goods", json={"code": "no-name"}).json()["error"]["field"] == "name"
    changed = client.patch(f"/infobases/shop/goods/{ref}", json={"price": "360", "barcodes": ["4600000000008"]})
    assert changed.json()["price"] == "360.00" and changed.json()["name"] == "Кофе"
    assert client.get(f"/infobases/shop/goods/{ref}").json()["barcodes"] == ["4600000000008"]

    customer = client.get("/infobases/shop/counterparties").json()[0]["ref"]
    order = client.post(
        "/infobases/shop/orders",
        json={
            "number": "API-1",
            "lines": [{"product": ref, "quantity": "2"}],
            "device": "0000000001012345",
            "counterparty": customer,
        },
    )
    assert order.status_code == 201, order.text
    oref = order.json()["ref"]
    assert order.json()["amount"] == "720.00"
    moved = client.patch(f"/infobases/shop/orders/{oref}", json={"status": "assembled"})
    assert moved.json()["status"] == "assembled"
    assert [o["number"] for o in client.get("/infobases/shop/orders", params={"status": "assembled"}).json()].count(
        "API-1"
    ) == 1
    assert client.delete(f"/infobases/shop/orders/{oref}").status_code == 204
    assert client.get(f"/infobases/shop/orders/{oref}").json()["number"] == "API-1"
    assert client.delete(f"/infobases/shop/orders/{oref}").status_code == 404
    assert client.delete(f"/infobases/shop/goods/{ref}").status_code == 204
    assert ref not in {g["ref"] for g in client.get("/infobases/shop/goods").json()}
    assert client.get("/infobases/shop/goods/00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_product_made_by_the_api_reaches_the_device(kassa_server: KassaServer, tmp_path: Path) -> None:
    device = Device(DeviceConfig(parse_qr(kassa_server.qr(), kassa_server.password), poll_interval=0.01))
    try:
        device.sync()
        created = kassa_server.request("POST", "/infobases/kassa/goods", json={"name": "Новинка", "price": "10"})
        device.sync()
    finally:
        device.close()
    names = {item["key"].get("Наименование") for item in device.state.items.values()}
    assert "Новинка" in names and created["ref"]
