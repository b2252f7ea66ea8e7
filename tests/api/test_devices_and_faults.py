"""Devices and fault rules over the API: create, list, get, QR text and PNG; rules added, listed, deleted."""

from __future__ import annotations

import io

import httpx
import zxingcpp
from PIL import Image

from tests.api.conftest import Api


def _shop(api: Api) -> None:
    assert api.client.post("/infobases", json={"name": "shop", "fixture": "demo"}).status_code == 201


def test_devices_and_their_qr(api: Api) -> None:
    _shop(api)
    client = api.client
    created = client.post("/infobases/shop/devices", json={"factory_number": "FN-7", "name": "Касса 7"})
    assert created.status_code == 201, created.text
    assert created.json()["node_code"] == "FN-7" and created.json()["sent_no"] == 0
    assert client.post("/infobases/shop/devices", json={"factory_number": "FN-7"}).status_code == 409
    assert {d["factory_number"] for d in client.get("/infobases/shop/devices").json()} == {"0000000001012345", "FN-7"}
    assert client.get("/infobases/shop/devices/FN-7").json()["name"] == "Касса 7"
    assert client.get("/infobases/shop/devices/nope").status_code == 404

    qr = client.get("/infobases/shop/devices/FN-7/qr").json()
    assert qr["qr"] == f"{api.base_url}/shop;FN-7;0JrQsNGB0YHQuNGA;" and qr["login"] == "Кассир"
    as_admin = client.get("/infobases/shop/devices/FN-7/qr", params={"login": "Администратор"}).json()
    assert as_admin["qr"].endswith(";FN-7;0JDQtNC80LjQvdC40YHRgtGA0LDRgtC+0YA=;")
    png = client.get("/infobases/shop/devices/FN-7/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))] == [qr["qr"]]

    renamed = client.patch("/infobases/shop/devices/FN-7", json={"name": "Касса у окна"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Касса у окна"
    assert client.patch("/infobases/shop/devices/FN-7", json={"store": "Нет такого"}).status_code == 404
    assert client.delete("/infobases/shop/devices/FN-7").status_code == 204
    assert "FN-7" not in {d["factory_number"] for d in client.get("/infobases/shop/devices").json()}
    assert client.delete("/infobases/shop/devices/FN-7").status_code == 404


def test_fault_rules_are_added_listed_and_deleted(api: Api) -> None:
    client = api.client
    kinds = {k["kind"] for k in client.get("/faults/kinds").json()}
    assert {"delay", "soap_fault", "http_status", "disconnect", "truncate_part", "operation_failed"} <= kinds
    rule = client.post(
        "/faults", json={"kind": "http_status", "infobase": "shop", "times": 2, "params": {"status": 401}}
    )
    assert rule.status_code == 201 and rule.json()["remaining"] == 2
    other = client.post("/faults", json={"kind": "delay", "infobase": "other", "params": {"delay_ms": 5}}).json()
    assert [r["id"] for r in client.get("/faults", params={"infobase": "shop"}).json()] == [rule.json()["id"]]
    assert client.get(f"/faults/{other['id']}").json()["remaining"] is None
    assert client.delete(f"/faults/{other['id']}").status_code == 204
    assert client.get(f"/faults/{other['id']}").status_code == 404
    assert client.delete("/faults", params={"infobase": "shop"}).status_code == 204
    assert client.get("/faults").json() == []


def test_bad_fault_rules_are_refused_with_the_reason(api: Api) -> None:
    cases = [
        ({"kind": "nope"}, "fault kind 'nope'"),
        ({"kind": "http_status", "params": {"status": 418}}, "status: one of 401, 404, 500, 503"),
        ({"kind": "delay", "params": {"colour": "red"}}, "unknown parameter(s) colour"),
        ({"kind": "truncate_part", "operation": "PutData"}, "applies to GetDataPart, GetFilePart"),
        ({"kind": "delay", "times": 0}, "times"),
        ({"kind": "delay", "probability": 0}, "probability"),
    ]
    for body, text in cases:
        response = api.client.post("/faults", json=body)
        assert response.status_code == 422, body
        assert text in response.json()["error"]["message"] or text == response.json()["error"]["field"], body


def test_an_infobase_administrator_may_not_set_faults(api: Api) -> None:
    _shop(api)
    admin = httpx.BasicAuth("Администратор", "admin")
    assert httpx.get(api.url("/infobases/shop/devices"), auth=admin).status_code == 200
    assert httpx.post(api.url("/faults"), json={"kind": "delay"}, auth=admin).status_code == 403
