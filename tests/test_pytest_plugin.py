"""The pytest plugin as a client project gets it: the entry point loads it, the fixture starts a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CLIENT_TESTS = """
import httpx
from pathlib import Path

from pathlib import Path

import pytest


def test_demo_device_and_a_fault(kassa_server):
    assert kassa_server.qr() == kassa_server.base_url + "/kassa;0000000001012345;0JrQsNGB0YHQuNGA;"
    wsdl = httpx.get(kassa_server.wsdl_url(), auth=(kassa_server.login.encode(), kassa_server.password.encode()))
    assert wsdl.status_code == 200
    kassa_server.add_fault("http_status", service="Exchange_2_0_1_6", status=503, times=1)
    soap = httpx.post(kassa_server.soap_url(), content=b"<x/>", auth=(kassa_server.login.encode(), b"kassa"))
    assert soap.status_code == 503
    assert kassa_server.calls(service="Exchange_2_0_1_6") == 2  # the WSDL and the call
    assert [e["injected_fault"] for e in kassa_server.journal()] == ["", "http_status"]


def test_each_test_starts_from_its_fixture(kassa_server):
    assert kassa_server.faults() == [] and kassa_server.calls() == 0


@pytest.mark.kassa_fixture("empty")
def test_an_empty_infobase(kassa_server):
    assert kassa_server.devices() == []


def test_the_session_server_is_shared(kassa_server_session, kassa_server):
    assert kassa_server_session is kassa_server
"""


def test_the_fixture_serves_a_client_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_client=CLIENT_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=4)


def test_each_xdist_worker_gets_its_own_server(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        test_workers="""
import os
from pathlib import Path

from pathlib import Path

import pytest

@pytest.mark.parametrize("n", range(4))
def test_port(kassa_server, n):
    with open(os.environ["PORTS_FILE"], "a") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"] + " " + kassa_server.base_url + "\\n")
"""
    )
    ports = pytester.path / "ports.txt"
    monkeypatch.setenv("PORTS_FILE", str(ports))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=4)
    by_worker: dict[str, set[str]] = {}
    for line in ports.read_text().splitlines():
        worker, url = line.split()
        by_worker.setdefault(worker, set()).add(url)
    assert len(by_worker) == 2 and all(len(urls) == 1 for urls in by_worker.values())
    assert len(set.union(*by_worker.values())) == 2


def test_the_plugin_reexports_the_enterprisedata_check() -> None:
    from kassa_server.pytest_plugin import assert_valid_enterprisedata

    with pytest.raises(AssertionError, match="invalid EnterpriseData message"):
        assert_valid_enterprisedata(b"<Message/>")


def test_a_yaml_fixture_next_to_the_tests(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        shop="""
goods:
  - {name: Чай, code: T1, price: 100}
registers:
  - {factory_number: F-1}
users:
  - {login: kassir, password: pw}
""",
    )
    pytester.makepyfile(
        test_yaml="""
from pathlib import Path

import pytest

@pytest.mark.kassa_fixture("shop.yaml")
def test_shop(kassa_server):
    assert [g["code"] for g in kassa_server.request("GET", "/infobases/kassa/goods")] == ["T1"]
    assert kassa_server.qr("F-1").endswith(";F-1;a2Fzc2ly;")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning")
    result.assert_outcomes(passed=1)


def test_the_retail_helpers_seed_what_the_apps_screens_read(tmp_path: Path) -> None:
    from kassa_server.pytest_plugin import KassaApiError, start_server

    with start_server(tmp_path, fixture="empty") as server:
        product = server.request("POST", "/infobases/kassa/goods", json={"name": "Кеды", "price": "10"})["ref"]
        assert server.add_characteristic(product, "42")["product"] == product
        assert server.add_terminal("T-1", acquirer="Банк")["acquirer"] == "Банк"
        assert [t["number"] for t in server.terminals()] == ["T-1"]
        many = "number\n" + "".join(f"C{n:04}\n" for n in range(1003))  # more than one page of the API
        headers = {"Content-Type": "text/csv"}
        assert server.request("POST", "/infobases/kassa/cards.csv", content=many, headers=headers)["created"] == 1003
        server.add_card("X-1", owner="Смирнов", discount_percent=5)
        assert len(server.cards()) == 1004
        assert [c["number"] for c in server.cards(search="смирн")] == ["X-1"]
        assert server.set_stock(product, 3, characteristic="42")["quantity"] == "3.000"
        assert [(r["characteristic"], r["quantity"]) for r in server.stock()] == [("42", "3.000")]
        with pytest.raises(KassaApiError) as refused:
            server.add_card("X-1")
        assert refused.value.status == 409
