"""What every page handler gets: the request, a database session in one transaction, the infobase, the signed-in user,
the submitted form, and helpers to render a template, redirect, and flash a message.

Handlers are plain functions ``(page: Page) -> Response`` wrapped by ``@page_handler(...)``, which checks the session
(every page but the login form needs an administrator of this infobase), runs the handler in a worker thread (the
database is synchronous), commits when it returns and rolls back when it raises.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import anyio.to_thread
import jinja2
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Router

from kassa_server.admin.signin import session_user
from kassa_server.errors import DatabaseUnavailable, NotFoundError
from kassa_server.models import Infobase, User
from kassa_server.models.engine import database_errors
from kassa_server.settings import Settings

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
UNAVAILABLE = (
    '<!doctype html><html lang="ru"><meta charset="utf-8"><title>База данных недоступна</title>'
    "<p>База данных сейчас недоступна. Повторите через минуту.</p></html>"
)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["qty"] = quantity
    env.filters["dt"] = datetime_text
    env.filters["date"] = date_text
    return env


NAV: list[tuple[str, list[tuple[str, str]]]] = [
    ("", [("home", "Начальная страница")]),
    (
        "Продажи",
        [
            ("receipts", "Чеки ККМ"),
            ("shifts", "Кассовые смены"),
            ("cash_operations", "Внесения и выемки"),
            ("report", "Отчет о продажах"),
        ],
    ),
    (
        "Товары и цены",
        [("goods", "Товары"), ("prices", "Цены"), ("stock", "Остатки товаров"), ("kinds", "Виды номенклатуры")],
    ),
    ("Заказы", [("orders", "Заказы клиентов")]),
    ("Маркетинг", [("cards", "Дисконтные карты")]),
    ("Настройки", [("registers", "Кассовые аппараты"), ("terminals", "Эквайринговые терминалы")]),
    (
        "Администрирование",
        [
            ("settings", "Общие настройки"),
            ("sync", "Синхронизация данных"),
            ("users", "Пользователи"),
            ("journal", "Журнал обмена"),
        ],
    ),
]
"""The menu: (group, [(route name = section, label)]); items whose page does not exist are left out."""


class LoginGuard(Protocol):
    """Counts failed logins per (infobase, login) and per address; the web services' counter, shared, so a password
    cannot be guessed through one door after the other has stopped it (transport/throttle.py)."""

    def retry_after(self, infobase: str, logins: list[str], address: str) -> float | None: ...

    def failed(self, infobase: str, logins: list[str], address: str) -> bool: ...

    def succeeded(self, infobase: str, login: str) -> None: ...


@dataclass
class WebContext:
    """What the web face shares across requests (built once by ``WebFace``)."""

    sessions: sessionmaker[Session]
    settings: Settings
    router: Router | None = None
    throttle: LoginGuard | None = None
    env: jinja2.Environment = field(default_factory=make_environment)

    def has(self, name: str) -> bool:
        assert self.router is not None
        return any(getattr(route, "name", None) == name for route in self.router.routes)

    def menu(self) -> list[tuple[str, list[tuple[str, str]]]]:
        groups = [(group, [item for item in items if self.has(item[0])]) for group, items in NAV]
        return [(group, items) for group, items in groups if items]


@dataclass
class Page:
    request: Request
    db: Session
    infobase: Infobase
    user: User | None
    form: FormData | None
    web: WebContext
    section: str = ""

    # -- reading the request -----------------------------------------------------------------------------------------

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    def field(self, name: str, default: str = "") -> str:
        """A text field of the submitted form, stripped of surrounding spaces."""
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [value.strip() for value in self.form.getlist(name) if isinstance(value, str)]

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) else None

    def checked(self, name: str) -> bool:
        return self.form is not None and name in self.form

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    # -- answering ---------------------------------------------------------------------------------------------------

    def url(self, name: str, /, query: Mapping[str, Any] | None = None, **params: Any) -> str:
        assert self.web.router is not None
        path = quote(self.request.scope["root_path"]) + str(self.web.router.url_path_for(name, **params))
        given = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        if given:
            path += "?" + urlencode(given)
        return path

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        session = self.request.session
        flashes = session.pop("flash", []) if "flash" in session else []
        values = {
            "page": self,
            "infobase": self.infobase,
            "user": self.user,
            "csrf_token": session.get("csrf", ""),
            "url": self.url,
            "section": self.section,
            "menu": self.web.menu(),
            "has": self.web.has,
            "flashes": flashes,
            "static": lambda path: "/static/" + path,
            **context,
        }
        html = self.web.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status)

    def redirect(self, target: str) -> Response:
        """303 to ``target`` (a path from ``url``); an htmx request is told to navigate instead."""
        if self.is_htmx:
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    def flash(self, text: str, kind: str = "flash") -> None:
        """A message for the next page: ``flash`` (done) or ``alert`` (not done)."""
        flashes = list(self.request.session.get("flash", []))
        flashes.append([kind, text])
        self.request.session["flash"] = flashes

    @contextlib.contextmanager
    def act(self) -> Iterator[None]:
        """One change: a SAVEPOINT, so a use case that raises leaves nothing half-saved and the page can say why."""
        with self.db.begin_nested():
            yield


Handler = Callable[[Page], Response]


def page_handler(
    section: str = "", *, public: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Make ``handler`` an endpoint; unless ``public``, it needs a signed-in administrator of this infobase."""

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            form = await request.form(max_files=4, max_fields=10_000) if request.method == "POST" else None
            try:
                return await anyio.to_thread.run_sync(_run, handler, request, form, section, public)
            except DatabaseUnavailable:
                logger.exception("the database is unavailable")
                return HTMLResponse(UNAVAILABLE, status_code=503, headers={"retry-after": "30"})
            finally:
                if form is not None:
                    await form.close()

        return endpoint

    return decorate


def _run(handler: Handler, request: Request, form: FormData | None, section: str, public: bool) -> Response:
    web: WebContext = request.scope["kassa.web"]
    with database_errors(), web.sessions() as db, db.begin():
        infobase = db.get(Infobase, request.scope["kassa.infobase_id"])
        if infobase is None:  # deleted since the directory looked it up
            return HTMLResponse("Not Found", status_code=404)
        user = session_user(db, infobase, request.session.get("user"))
        page = Page(request, db, infobase, user, form, web, section)
        if user is None and not public:
            request.session.pop("user", None)
            target = request.url.path
            if request.url.query:
                target += "?" + request.url.query
            return page.redirect(page.url("login", query={"next": target}))
        try:
            return handler(page)
        except NotFoundError as exc:
            return page.render("not_found.html", status=404, message=str(exc))


# -- filters ----------------------------------------------------------------------------------------------------------


def money(value: Decimal | int | float | None) -> str:
    """``1234.5`` → ``1 234,50`` (a narrow no-break space between thousands, as Russian documents print sums)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    return text.replace(",", "\u202f").replace(".", ",")


def quantity(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def datetime_text(value: dt.datetime | None) -> str:
    return value.strftime("%d.%m.%Y %H:%M:%S") if value is not None else ""


def date_text(value: dt.datetime | dt.date | None) -> str:
    return value.strftime("%d.%m.%Y") if value is not None else ""
