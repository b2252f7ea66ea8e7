"""The pytest plugin (entry point ``pytest11``): a real kassa-server for a client's tests.

    def test_sync(kassa_server):
        app = MyApp(qr=kassa_server.qr())            # the demo shop's device
        kassa_server.add_fault("http_status", operation="UploadData", status=503, times=1)
        app.sync()
        kassa_server.wait_until("receipts", count=1, device=kassa_server.device)

``kassa_server_session`` starts one server per test session (per pytest-xdist worker: each worker is its own
process) on a free loopback port, with a temporary SQLite database and the infobase ``kassa`` holding the demo shop.
``kassa_server`` is that server, reset before each test to the fixture the test names with
``@pytest.mark.kassa_fixture("empty")`` (default ``demo``), its journal and fault rules cleared.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["KassaApiError", "KassaServer", "assert_valid_enterprisedata", "start_server"]

INFOBASE = "kassa"
DEMO_LOGIN = "Кассир"
DEMO_PASSWORD = "kassa"
DEMO_DEVICE = "0000000001012345"


def assert_valid_enterprisedata(message: Any, version: str | None = None) -> Any:
    """``kassa_server.enterprisedata.checks.assert_valid_enterprisedata``, importable from the plugin too: fail with
    the full error report unless ``message`` (bytes, a path, XML text or a ZIP) is valid EnterpriseData."""
    from kassa_server.enterprisedata.checks import assert_valid_enterprisedata as check

    return check(message, version)


class KassaApiError(AssertionError):
    """The control API answered an error; ``status``, ``code`` and ``message`` say which."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class KassaServer:
    """A running kassa-server: its URLs, the demo device's QR, and the control API's calls as methods."""

    def __init__(self, base_url: str, token: str, infobase: str = INFOBASE, database_url: str = "") -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.api_url = f"{base_url}/api/v1"
        self.token = token
        self.infobase = infobase
        self.login = DEMO_LOGIN
        self.password = DEMO_PASSWORD
        self.device = DEMO_DEVICE
        self.client = httpx.Client(
            base_url=self.api_url, headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(330.0)
        )

    # --- URLs ---------------------------------------------------------------------------------------------------

    def soap_url(self, service: str = "Exchange_2_0_1_6") -> str:
        return f"{self.base_url}/{self.infobase}/ws/{service}"

    def wsdl_url(self, service: str = "Exchange_2_0_1_6") -> str:
        return self.soap_url(service) + "?wsdl"

    # --- the API ------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the control API (``path`` below ``/api/v1``); the JSON answer, or ``KassaApiError``."""
        response = self.client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                raise KassaApiError(response.status_code, error["code"], error["message"])
            except (ValueError, KeyError, TypeError):
                raise KassaApiError(response.status_code, "error", response.text) from None
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def _ib(self, path: str = "") -> str:
        return f"/infobases/{self.infobase}{path}"

    def reset(self, fixture: str | Path | dict[str, Any] = "demo") -> dict[str, Any]:
        """Back to ``fixture``: ``demo``, ``empty``, a fixture body or a JSON/YAML file of one. The infobase's
        objects, journal and fault rules go; its name and node code stay."""
        body = {"fixture": _fixture_body(fixture)}
        result: dict[str, Any] = self.request("POST", self._ib("/reset"), json=body)
        return result

    def load_fixture(self, fixture: Path | str | dict[str, Any]) -> None:
        """Add a fixture's objects (a body or a JSON/YAML file) to the infobase as it is."""
        body = _fixture_body(fixture)
        if isinstance(body, str):
            raise ValueError(f"{fixture!r}: a fixture body or a .json/.yaml file, not a built-in fixture's name")
        self.request("POST", self._ib("/fixture"), json=body)

    def qr(self, factory_number: str | None = None, login: str | None = None) -> str:
        """The text of a device's connection QR code (default: the demo shop's device)."""
        params = {"login": login} if login else None
        answer = self.request("GET", self._ib(f"/devices/{factory_number or self.device}/qr"), params=params)
        return str(answer["qr"])

    def add_device(self, factory_number: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"factory_number": factory_number, "name": name, **fields}
        result: dict[str, Any] = self.request("POST", self._ib("/devices"), json=body)
        return result

    def devices(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", self._ib("/devices"))
        return result

    # --- what the app's retail screens read: terminals, discount cards, stock, characteristics ---------------------

    def add_terminal(self, number: str, store: str | None = None, **fields: Any) -> dict[str, Any]:
        """An acquiring terminal of ``store`` (default: the first); ``fields``: name, acquirer, contract_number, …"""
        result: dict[str, Any] = self.request(
            "POST", self._ib("/terminals"), json={"number": number, "store": store, **fields}
        )
        return result

    def terminals(self, store: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", self._ib("/terminals"), params=_only(store=store))
        return result

    def add_card(self, number: str, **fields: Any) -> dict[str, Any]:
        """A discount card; ``fields``: barcode, magnetic_code, owner, kind, discount_percent, active, …"""
        result: dict[str, Any] = self.request("POST", self._ib("/cards"), json={"number": number, **fields})
        return result

    def cards(self, search: str | None = None) -> list[dict[str, Any]]:
        """Every discount card (all pages), or those matching ``search``."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"page": str(page), "page_size": "1000", **_only(search=search)}
            answer = self.request("GET", self._ib("/cards"), params=params)
            found.extend(answer["items"])
            if page >= answer["pages"]:
                return found
            page += 1

    def set_stock(
        self, product: str, quantity: Any, *, characteristic: str | None = None, store: str | None = None
    ) -> dict[str, Any]:
        """Set the quantity on hand of a product (its ref), or of one of its characteristics (by name)."""
        body = {"product": product, "quantity": str(quantity), "characteristic": characteristic, "store": store}
        result: dict[str, Any] = self.request("PUT", self._ib("/stock"), json=body)
        return result

    def stock(self, store: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", self._ib("/stock"), params=_only(store=store))
        return result

    def add_characteristic(self, product: str, name: str, **fields: Any) -> dict[str, Any]:
        """A characteristic (size, colour) of the product whose ref is ``product``."""
        result: dict[str, Any] = self.request(
            "POST", self._ib(f"/goods/{product}/characteristics"), json={"name": name, **fields}
        )
        return result

    def add_fault(
        self,
        kind: str,
        *,
        operation: str | None = None,
        device: str | None = None,
        service: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
        **params: Any,
    ) -> dict[str, Any]:
        """A fault rule for this infobase; ``times`` None fires always. Kinds and parameters: ``GET /faults/kinds``."""
        body = {
            "infobase": self.infobase,
            "kind": kind,
            "operation": operation,
            "device": device,
            "service": service,
            "times": times,
            "probability": probability,
            "params": params,
        }
        result: dict[str, Any] = self.request("POST", "/faults", json=body)
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", "/faults", params={"infobase": self.infobase})
        return result

    def clear_faults(self) -> None:
        self.request("DELETE", "/faults", params={"infobase": self.infobase})

    def calls(self, operation: str | None = None, device: str | None = None, service: str | None = None) -> int:
        """How many SOAP calls match (WireMock's verify)."""
        params = {k: v for k, v in {"operation": operation, "device": device, "service": service}.items() if v}
        return int(self.request("GET", self._ib("/calls"), params=params)["count"])

    def calls_by_operation(self, device: str | None = None) -> dict[str, int]:
        result: dict[str, int] = self.request("GET", self._ib("/calls"), params={"device": device} if device else {})[
            "by_operation"
        ]
        return result

    def wait_until(
        self,
        until: str,
        count: int = 1,
        *,
        device: str | None = None,
        operation: str | None = None,
        service: str | None = None,
        timeout: float = 10.0,
    ) -> int:
        """Block until ``until`` (calls, receipts, shifts, cash_operations, acknowledged, received) reaches ``count``;
        ``KassaApiError`` with code ``timeout`` if it does not within ``timeout`` seconds."""
        body = {
            "until": until,
            "count": count,
            "device": device,
            "operation": operation,
            "service": service,
            "timeout": timeout,
        }
        return int(self.request("POST", self._ib("/wait"), json=body)["value"])

    def receipts(self, device: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", self._ib("/receipts"), params=_only(device=device))
        return result

    def shifts(self, device: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.request("GET", self._ib("/shifts"), params=_only(device=device))
        return result

    def journal(
        self, operation: str | None = None, device: str | None = None, bodies: bool = False
    ) -> list[dict[str, Any]]:
        params = _only(operation=operation, device=device)
        if bodies:
            params["bodies"] = "true"
        result: list[dict[str, Any]] = self.request("GET", self._ib("/journal"), params=params)
        return result

    def close(self) -> None:
        self.client.close()


def _fixture_body(fixture: str | Path | dict[str, Any]) -> str | dict[str, Any]:
    """A fixture as the API takes it: a built-in name, or a body (read from a .json/.yaml/.yml file)."""
    if isinstance(fixture, dict):
        return fixture
    path = Path(fixture)
    if path.suffix.lower() in (".json", ".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a fixture is a mapping (organizations, goods, …)")
        return data
    return str(fixture)


def _only(**values: str | None) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


class _ThreadServer:
    """uvicorn in a daemon thread on a socket bound to port 0 (signal handlers stay with the test runner)."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        class Server(uvicorn.Server):
            def install_signal_handlers(self) -> None:
                pass

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        waiter = threading.Event()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("kassa-server did not start")
            waiter.wait(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@contextlib.contextmanager
def start_server(directory: Path, *, fixture: str = "demo", database_url: str | None = None) -> Iterator[KassaServer]:
    """A kassa-server on a free loopback port with a database in ``directory`` (or at ``database_url``) and the
    infobase ``kassa`` holding ``fixture``; stopped when the block ends."""
    from kassa_server.app import create_app
    from kassa_server.models.engine import upgrade
    from kassa_server.settings import Settings

    url = database_url or f"sqlite:///{directory / 'kassa.sqlite3'}"
    upgrade(url)
    token = secrets.token_urlsafe(24)
    server = _ThreadServer(create_app(Settings(database_url=url, admin_token=token)))
    server.start()
    kassa = KassaServer(f"http://127.0.0.1:{server.port}", token, database_url=url)
    try:
        kassa.request(
            "POST",
            "/infobases",
            json={"name": INFOBASE, "fixture": fixture, "public_url": f"{kassa.base_url}/{INFOBASE}"},
        )
        yield kassa
    finally:
        kassa.close()
        server.stop()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kassa_fixture(name): what the kassa_server fixture resets its infobase to (default: demo)"
    )


@pytest.fixture(scope="session")
def kassa_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KassaServer]:
    """One kassa-server for the whole session (per xdist worker), infobase ``kassa`` with the demo shop."""
    with start_server(tmp_path_factory.mktemp("kassa-server")) as server:
        yield server


@pytest.fixture
def kassa_server(kassa_server_session: KassaServer, request: pytest.FixtureRequest) -> KassaServer:
    """The session's server, its infobase reset to the test's ``kassa_fixture`` marker (default demo): a built-in
    fixture's name, a fixture body, or a JSON/YAML file (relative paths: to the test's file)."""
    marker = request.node.get_closest_marker("kassa_fixture")
    fixture = marker.args[0] if marker is not None and marker.args else "demo"
    if isinstance(fixture, str | Path) and Path(fixture).suffix.lower() in (".json", ".yaml", ".yml"):
        fixture = Path(request.path).parent / fixture
    kassa_server_session.reset(fixture)
    return kassa_server_session
