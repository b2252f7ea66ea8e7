"""Вход и выход."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin.signin import SignInRefused, sign_in
from kassa_server.web.pages import Page, page_handler


@page_handler(public=True)
def login(page: Page) -> Response:
    target = _safe_next(page, page.query.get("next") or page.field("next"))
    if page.request.method == "GET":
        if page.user is not None:
            return page.redirect(target)
        return page.render("login.html", next=target, login="", error="")
    login_name = page.field("login")
    throttle = page.web.throttle
    address = page.request.client.host if page.request.client else ""
    if throttle is not None:
        wait = throttle.retry_after(page.infobase.name, [login_name], address)
        if wait is not None:
            error = f"Слишком много неудачных попыток входа. Повторите через {max(1, round(wait))} с."
            return page.render("login.html", status=429, next=target, login=login_name, error=error)
    try:
        _user, token = sign_in(page.db, page.infobase, login_name, page.field("password"))
    except SignInRefused as exc:
        if throttle is not None:
            throttle.failed(page.infobase.name, [login_name], address)
        error = (
            "Только администратор может входить в программу."
            if "administrator" in str(exc)
            else "Неверное имя пользователя или пароль."
        )
        return page.render("login.html", status=401, next=target, login=login_name, error=error)
    if throttle is not None:
        throttle.succeeded(page.infobase.name, login_name)
    page.request.session["user"] = token
    return page.redirect(target)


@page_handler()
def logout(page: Page) -> Response:
    page.request.session.pop("user", None)
    return page.redirect(page.url("login"))


def _safe_next(page: Page, target: str) -> str:
    """Only a path inside this infobase: never another site or another infobase."""
    root = page.url("home")
    path = target.split("?", 1)[0]
    if target.startswith(root) and "//" not in path and "\\" not in target and "/.." not in path and "%" not in path:
        return target
    return root
