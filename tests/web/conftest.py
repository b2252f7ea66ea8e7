"""The back office on a real uvicorn over a fresh database with the demo shop, and a client that signs in.

Browser tests (Playwright) drive Debian's chromium at ``/usr/bin/chromium``: no browser is downloaded. Without it they
skip, unless ``KASSA_REQUIRE_BROWSER=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kassa_server.admin.demo import DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD, seed_demo
from kassa_server.admin.infobases import add_user, create_infobase
from kassa_server.app import create_app
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import UserRole
from kassa_server.settings import Settings
from tests.live_server import live_server

CHROMIUM = os.environ.get("KASSA_TEST_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER_ENV = "KASSA_REQUIRE_BROWSER"
ADMIN, PASSWORD = DEMO_ADMIN_LOGIN, DEMO_ADMIN_PASSWORD
SCREENSHOTS = Path(__file__).parent / "screenshots"


@dataclass
class Shop:
    url: str
    """``http://127.0.0.1:<port>``"""
    db_url: str
    base: str = "kassa"

    @property
    def root(self) -> str:
        return f"{self.url}/{self.base}/"

    def sessions(self) -> Any:
        return make_sessionmaker(make_engine(self.db_url))


@pytest.fixture
def shop(db_url: str) -> Iterator[Shop]:
    """The demo shop «kassa», a second infobase «other» with its own administrator, served on loopback."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
        seed_demo(session)
        other = create_infobase(session, "other", title="Другая база")
        add_user(session, other, "Чужой", "other", role=UserRole.ADMINISTRATOR)
    engine.dispose()
    app = create_app(Settings(database_url=db_url, secret_key="web-tests"))
    with live_server(app) as url:
        yield Shop(url, db_url)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(
    client: httpx.Client, shop: Shop, login: str = ADMIN, password: str = PASSWORD, base: str = "kassa"
) -> httpx.Response:
    form = client.get(f"{shop.url}/{base}/login")
    return client.post(
        f"{shop.url}/{base}/login",
        data={"csrf_token": csrf_of(form.text), "login": login, "password": password},
    )


@pytest.fixture
def client(shop: Shop) -> Iterator[httpx.Client]:
    """A client signed in as the demo's administrator."""
    with httpx.Client(timeout=30) as http:
        response = sign_in(http, shop)
        assert response.status_code == 303, response.text
        yield http


# -- the browser ------------------------------------------------------------------------------------------------------


def _chromium() -> str:
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
            pytest.fail(f"{CHROMIUM} is missing but {REQUIRE_BROWSER_ENV}=1: browser tests must run here")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's chromium by path (a downloaded browser is neither needed nor possible)."""
    return {**browser_type_launch_args, "executable_path": _chromium(), "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}, "locale": "ru-RU"}


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
