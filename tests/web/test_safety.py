"""The back office's safety: no page without a session, a session only for its own infobase and only for an
administrator, CSRF on every change, everything escaped."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from kassa_server.models import Infobase
from tests.web.conftest import ADMIN, PASSWORD, Shop, csrf_of, sign_in

PAGES = ["", "receipts", "shifts", "journal"]


@pytest.mark.parametrize("path", PAGES)
def test_no_session_no_page(shop: Shop, path: str) -> None:
    response = httpx.get(f"{shop.root}{path}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/kassa/login?next=")
    assert "Демо" not in response.text


def test_an_unknown_base_and_a_wrong_case_are_not_found(shop: Shop) -> None:
    assert httpx.get(f"{shop.url}/nosuch/").status_code == 404
    assert httpx.get(f"{shop.url}/Kassa/login").status_code == 404
    root = httpx.get(f"{shop.url}/")
    assert "kassa" not in root.text.lower().replace("kassa-server", "")


def test_wrong_password_and_unknown_user_are_refused_alike(shop: Shop) -> None:
    with httpx.Client() as client:
        wrong = sign_in(client, shop, password="nope")
        unknown = sign_in(client, shop, login="никто")
        assert wrong.status_code == unknown.status_code == 401
        assert "Неверное имя пользователя или пароль" in wrong.text
        assert client.get(shop.root).status_code == 303


def test_a_cashier_may_not_use_the_back_office(shop: Shop) -> None:
    with httpx.Client() as client:
        response = sign_in(client, shop, login="Кассир", password="kassa")
        assert response.status_code == 401
        assert "Только администратор" in response.text
        assert client.get(shop.root).status_code == 303


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_infobase(shop: Shop) -> None:
    response = httpx.get(f"{shop.root}login")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/kassa/" in cookie
    assert "Secure" not in cookie  # plain http here; behind https it is set (test_secure_cookie_behind_https)


def test_secure_cookie_behind_a_trusted_https_proxy(shop: Shop) -> None:
    from kassa_server.app import create_app
    from kassa_server.settings import Settings
    from tests.live_server import live_server

    app = create_app(Settings(database_url=shop.db_url, secret_key="x", trusted_proxies=("127.0.0.1",)))
    with live_server(app) as url:
        behind = httpx.get(f"{url}/kassa/login", headers={"x-forwarded-proto": "https"})
        assert "Secure" in behind.headers["set-cookie"]


def test_logout_ends_the_session(shop: Shop, client: httpx.Client) -> None:
    home = client.get(shop.root)
    assert home.status_code == 200 and "Начальная страница" in home.text
    response = client.post(f"{shop.root}logout", data={"csrf_token": csrf_of(home.text)})
    assert response.status_code == 303
    assert client.get(shop.root).status_code == 303


def test_a_change_without_the_csrf_token_is_refused(shop: Shop, client: httpx.Client) -> None:
    assert client.post(f"{shop.root}logout").status_code == 403
    assert client.post(f"{shop.root}logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.post(f"{shop.root}logout", headers={"x-csrf-token": "forged"}).status_code == 403
    assert client.get(shop.root).status_code == 200  # still signed in: nothing happened


def test_a_post_from_another_origin_is_refused(shop: Shop, client: httpx.Client) -> None:
    token = csrf_of(client.get(shop.root).text)
    response = client.post(f"{shop.root}logout", data={"csrf_token": token}, headers={"origin": "http://evil.example"})
    assert response.status_code == 403


def test_the_login_form_itself_needs_the_token(shop: Shop) -> None:
    response = httpx.post(f"{shop.root}login", data={"login": "Администратор", "password": "kassa"})
    assert response.status_code == 403


def test_a_session_of_one_infobase_opens_nothing_in_another(shop: Shop, client: httpx.Client) -> None:
    # the browser would not even send the cookie (its path is /kassa/); send it on purpose
    stolen = client.cookies.get("kassa_session")
    assert stolen
    other = httpx.get(f"{shop.url}/other/", cookies={"kassa_session": stolen})
    assert other.status_code == 303 and "/other/login" in other.headers["location"]
    # and the other infobase's administrator cannot sign in here
    with httpx.Client() as stranger:
        assert sign_in(stranger, shop, login="Чужой", password="other").status_code == 401
        assert sign_in(stranger, shop, login="Чужой", password="other", base="other").status_code == 303
        assert stranger.get(f"{shop.url}/other/").status_code == 200
        assert stranger.get(shop.root).status_code == 303


def test_a_forged_or_tampered_cookie_is_no_session(shop: Shop, client: httpx.Client) -> None:
    cookie = client.cookies.get("kassa_session")
    assert cookie
    tampered = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    assert httpx.get(shop.root, cookies={"kassa_session": tampered}).status_code == 303


def test_a_new_password_ends_existing_sessions(shop: Shop, client: httpx.Client) -> None:
    from kassa_server.models import User

    with shop.sessions().begin() as session:
        infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
        user = session.scalars(select(User).where(User.infobase_id == infobase.id, User.login == "Администратор")).one()
        user.set_password("changed")
    assert client.get(shop.root).status_code == 303


def test_next_never_leaves_the_infobase(shop: Shop) -> None:
    with httpx.Client() as client:
        form = client.get(f"{shop.root}login")
        for target in ("https://evil.example/", "//evil.example/", "/other/", "/kassa/../other/", "/kassa//evil"):
            response = client.post(
                f"{shop.root}login",
                data={"csrf_token": csrf_of(form.text), "login": ADMIN, "password": PASSWORD, "next": target},
            )
            assert response.headers["location"] == "/kassa/", target
            client.post(f"{shop.root}logout", data={"csrf_token": csrf_of(client.get(shop.root).text)})


def test_output_is_escaped(shop: Shop, client: httpx.Client) -> None:
    with shop.sessions().begin() as session:
        infobase = session.scalars(select(Infobase).where(Infobase.name == "kassa")).one()
        infobase.title = "<script>alert(1)</script>"
    html = client.get(shop.root).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_uploads_are_size_limited(shop: Shop) -> None:
    from kassa_server.app import create_app
    from kassa_server.settings import Limits, Settings
    from tests.live_server import live_server

    app = create_app(Settings(database_url=shop.db_url, secret_key="x", limits=Limits(max_upload=10_000)))
    with live_server(app) as url, httpx.Client() as client:
        form = client.get(f"{url}/kassa/login")
        token = csrf_of(form.text)
        big = client.post(
            f"{url}/kassa/goods/import",
            data={"csrf_token": token},
            files={"file": ("goods.csv", b"name\n" + b"x" * 20_000, "text/csv")},
        )
        assert big.status_code == 413
        chunked = client.post(
            f"{url}/kassa/login",
            content=(chunk for chunk in [b"csrf_token=" + token.encode(), b"&login=" + b"x" * 20_000]),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert chunked.status_code == 413


def test_guessing_a_password_is_throttled_for_both_doors(shop: Shop) -> None:
    with httpx.Client() as client:
        for _ in range(5):
            assert sign_in(client, shop, password="guess").status_code == 401
        blocked = sign_in(client, shop)  # even the right password: the login is throttled
        assert blocked.status_code == 429 and "Слишком много неудачных попыток входа" in blocked.text
        assert client.get(shop.root).status_code == 303
    # the web services count the same failures: Basic auth with that login is refused without a check
    soap = httpx.get(f"{shop.root}ws/InterfaceVersion/ping", auth=(ADMIN, PASSWORD))
    assert soap.status_code == 401 and "too many failed logins" in soap.text and "retry-after" in soap.headers
