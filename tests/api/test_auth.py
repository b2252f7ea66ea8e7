"""Who may use the control API: a configured or stored bearer token, an infobase administrator via Basic."""

from __future__ import annotations

import subprocess
import sys

import httpx

from kassa_server.admin.infobases import add_user, create_infobase
from kassa_server.app import create_app
from kassa_server.models.engine import make_engine, make_sessionmaker
from kassa_server.models.enums import UserRole
from kassa_server.settings import Settings
from tests.api.conftest import Api
from tests.live_server import live_server


def test_no_token_configured_means_the_api_is_off(sqlite_url: str) -> None:
    with live_server(create_app(Settings(database_url=sqlite_url))) as base:
        response = httpx.get(f"{base}/api/v1/infobases", headers={"Authorization": "Bearer x"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "api_off"
        assert httpx.get(f"{base}/api/v1/openapi.json").status_code == 404


def test_missing_and_wrong_tokens_are_401_in_the_json_shape(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token x"}):
        response = httpx.get(api.url("/infobases"), headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"]["code"] == "unauthorized"
        assert "Bearer" in response.headers["www-authenticate"]


def test_a_token_made_by_the_cli_opens_the_api_and_revoking_closes_it(sqlite_url: str) -> None:
    env_args = [sys.executable, "-m", "kassa_server", "--database-url", sqlite_url, "token"]
    created = subprocess.run([*env_args, "create", "--name", "ci"], capture_output=True, text=True, check=True)
    token = created.stdout.strip()
    assert token.startswith("kst_")
    listed = subprocess.run([*env_args, "list"], capture_output=True, text=True, check=True)
    assert listed.stdout.startswith("ci\t") and token not in listed.stdout
    with live_server(create_app(Settings(database_url=sqlite_url))) as base:
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/api/v1/infobases", headers=headers).json() == []
        assert httpx.get(f"{base}/api/v1/infobases", headers={"Authorization": "Bearer kst_x"}).status_code == 401
        subprocess.run([*env_args, "revoke", "ci"], capture_output=True, text=True, check=True)
        assert httpx.get(f"{base}/api/v1/infobases", headers=headers).status_code == 404  # no token left: off
    again = subprocess.run([*env_args, "revoke", "ci"], capture_output=True, text=True)
    assert again.returncode == 1 and "no token named 'ci'" in again.stderr


def test_an_infobase_administrator_manages_only_that_infobase(api: Api) -> None:
    engine = make_engine(api.db_url)
    with make_sessionmaker(engine).begin() as session:
        shop = create_infobase(session, "shop")
        create_infobase(session, "other")
        add_user(session, shop, "Админ", "secret", role=UserRole.ADMINISTRATOR)
        add_user(session, shop, "Кассир", "secret")
    engine.dispose()
    admin = httpx.BasicAuth("Админ", "secret")
    assert httpx.get(api.url("/infobases/shop"), auth=admin).json()["name"] == "shop"
    assert httpx.get(api.url("/infobases/other"), auth=admin).status_code == 401
    forbidden = httpx.get(api.url("/infobases"), auth=admin)
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    assert httpx.get(api.url("/infobases/shop"), auth=httpx.BasicAuth("Кассир", "secret")).status_code == 401
    assert httpx.get(api.url("/infobases/shop"), auth=httpx.BasicAuth("Админ", "wrong")).status_code == 401
    assert httpx.delete(api.url("/infobases/shop"), auth=admin).status_code == 403
