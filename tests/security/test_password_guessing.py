"""Password guessing is throttled and cannot take the SOAP threads (issue 14 §4).

Before: 64 guessers for 20 s got 436 tries with no throttle; a legitimate Ping's p50 rose to 5.5 s because scrypt ran
in the SOAP thread pool; a wrong login was answered in 1.1 ms and a wrong password in 48.7 ms (logins could be
enumerated).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kassa_server.app import create_app
from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.settings import Limits, Settings
from tests.live_server import live_server
from tests.soap_support import LOGIN, PASSWORD, make_infobase

PING = "/kassa/ws/Exchange_2_0_1_6/ping"


@pytest.fixture
def server(sqlite_url: str, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    make_infobase(sqlite_url)
    limits = getattr(request, "param", Limits(max_login_failures=3, max_address_failures=100))
    app = create_app(Settings(database_url=sqlite_url, limits=limits))
    with live_server(app) as base_url:
        yield base_url, app


def ping(base_url: str, login: str, password: str) -> httpx.Response:
    return httpx.get(base_url + PING, auth=(login.encode(), password.encode()), timeout=30)


def journaled_throttles(app: Any) -> list[SoapCall]:
    sessions = make_sessionmaker(make_engine(app.state.settings.database_url))
    with sessions() as session:
        return list(session.execute(select(SoapCall).where(SoapCall.outcome == "throttled")).scalars())


def test_failures_per_login_are_throttled_with_a_clear_401(server: tuple[str, Any]) -> None:
    base_url, app = server
    assert ping(base_url, LOGIN, PASSWORD).status_code == 200
    for _ in range(3):
        response = ping(base_url, LOGIN, "wrong")
        assert response.status_code == 401 and response.text == "Unauthorized"
    throttled = ping(base_url, LOGIN, PASSWORD)
    assert throttled.status_code == 401
    assert "too many failed logins" in throttled.text
    assert throttled.headers["www-authenticate"] == 'Basic realm="1C:Enterprise 8.3"'
    assert int(throttled.headers["retry-after"]) > 0
    [entry] = journaled_throttles(app)
    assert entry.http_status == 401 and "throttled" in entry.message and LOGIN in entry.message
    verifications = app.state.endpoints.authenticator.verifications
    ping(base_url, LOGIN, "wrong again")
    assert app.state.endpoints.authenticator.verifications == verifications  # no scrypt while throttled


@pytest.mark.parametrize("server", [Limits(max_login_failures=100, max_address_failures=3)], indirect=True)
def test_failures_per_address_are_throttled(server: tuple[str, Any]) -> None:
    base_url, app = server
    for i in range(3):
        assert ping(base_url, f"guess-{i}", "x").status_code == 401
    throttled = ping(base_url, LOGIN, PASSWORD)
    assert throttled.status_code == 401 and "too many failed logins" in throttled.text
    assert len(journaled_throttles(app)) == 1


def test_a_wrong_login_costs_as_many_password_checks_as_a_wrong_password(server: tuple[str, Any]) -> None:
    base_url, app = server
    authenticator = app.state.endpoints.authenticator
    costs = []
    for login in ("Никто", LOGIN):  # the credentials are tried as UTF-8, then as cp1251 (soap-services.md §1.2)
        before = authenticator.verifications
        assert ping(base_url, login, "x").status_code == 401
        costs.append(authenticator.verifications - before)
    assert costs == [2, 2]


@pytest.mark.parametrize(
    "server", [Limits(auth_threads=2, worker_threads=8, max_login_failures=0, max_address_failures=0)], indirect=True
)
def test_password_checks_run_in_their_own_bounded_pool(server: tuple[str, Any]) -> None:
    base_url, app = server
    endpoints = app.state.endpoints
    inner = endpoints.authenticator
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    class Counting:
        def authenticate(self, infobase: str, login: str, password: str) -> Any:
            with lock:
                state["now"] += 1
                state["max"] = max(state["max"], state["now"])
            try:
                return inner.authenticate(infobase, login, password)
            finally:
                with lock:
                    state["now"] -= 1

    endpoints.authenticator = Counting()
    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda i: ping(base_url, LOGIN, f"wrong-{i}").status_code, range(24)))
    assert statuses == [401] * 24
    assert 1 <= state["max"] <= 2
    assert endpoints.auth_limiter.total_tokens == 2 and endpoints.threads.size > 2  # auth has threads of its own
