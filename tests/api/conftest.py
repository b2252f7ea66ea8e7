"""A real server with the control API on, and an httpx client holding its token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from kassa_server.app import create_app
from kassa_server.settings import Settings
from tests.live_server import live_server

TOKEN = "test-token-1"


@dataclass
class Api:
    base_url: str
    db_url: str
    client: httpx.Client

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v1{path}"


@pytest.fixture
def api(sqlite_url: str) -> Iterator[Api]:
    yield from _serve(sqlite_url)


@pytest.fixture
def api_any_db(db_url: str) -> Iterator[Api]:
    yield from _serve(db_url)


def _serve(db_url: str) -> Iterator[Api]:
    app = create_app(Settings(database_url=db_url, admin_token=TOKEN))
    with live_server(app) as base_url:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=30) as client:
            yield Api(base_url, db_url, client)
