"""Infobases over the API: create with a fixture, list, get, reset, delete; on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.api.conftest import Api


def test_create_list_get_reset_delete(api_any_db: Api) -> None:
    client = api_any_db.client
    created = client.post("/infobases", json={"name": "shop", "fixture": "demo"})
    assert created.status_code == 201, created.text
    node_code = created.json()["node_code"]
    assert created.json()["soap_base"] == "/shop/ws/"
    assert client.post("/infobases", json={"name": "shop"}).status_code == 409
    assert [i["name"] for i in client.get("/infobases").json()] == ["shop"]
    wsdl = httpx.get(f"{api_any_db.base_url}/shop/ws/Exchange_2_0_1_6?wsdl", auth=httpx.BasicAuth("Кассир", "kassa"))
    assert wsdl.status_code == 200

    reset = client.post("/infobases/shop/reset", json={"fixture": "empty"})
    assert reset.status_code == 200 and reset.json()["node_code"] == node_code
    # the demo's users are gone with the reset, and the SOAP edge does not remember them
    wsdl = httpx.get(f"{api_any_db.base_url}/shop/ws/Exchange_2_0_1_6?wsdl", auth=httpx.BasicAuth("Кассир", "kassa"))
    assert wsdl.status_code == 401
    assert client.post("/infobases/shop/reset", json={"fixture": "demo"}).status_code == 200
    assert client.post("/infobases/shop/reset", json={"fixture": "demo"}).status_code == 200  # hashes reused
    wsdl = httpx.get(f"{api_any_db.base_url}/shop/ws/Exchange_2_0_1_6?wsdl", auth=httpx.BasicAuth("Кассир", "kassa"))
    assert wsdl.status_code == 200
    wrong = httpx.get(f"{api_any_db.base_url}/shop/ws/Exchange_2_0_1_6?wsdl", auth=httpx.BasicAuth("Кассир", "kass"))
    assert wrong.status_code == 401
    assert client.post("/infobases/shop/reset", json={"fixture": "nope"}).status_code == 422

    assert client.delete("/infobases/shop").status_code == 204
    missing = client.get("/infobases/shop")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.delete("/infobases/shop").status_code == 404


def test_bad_input_is_422_with_the_field(api: Api) -> None:
    response = api.client.post("/infobases", json={"title": "no name"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "name"
    bad_name = api.client.post("/infobases", json={"name": "a b"})
    assert bad_name.status_code == 422 and "letters, digits" in bad_name.json()["error"]["message"]
