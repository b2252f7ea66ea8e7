"""Администрирование: Общие настройки (the publication and the organization), Синхронизация данных and the users."""

from __future__ import annotations

from starlette.responses import Response

from kassa_server.admin import infobases, organizations
from kassa_server.admin.lookup import get_user_by_id
from kassa_server.errors import KassaError, ValidationError
from kassa_server.models.enums import LegalForm, TaxSystem, UserRole
from kassa_server.web.forms import error_text, field_of
from kassa_server.web.pages import Page, page_handler

LEGAL_FORMS = {LegalForm.LEGAL_ENTITY: "Юридическое лицо", LegalForm.INDIVIDUAL: "Индивидуальный предприниматель"}
TAX_SYSTEMS = {
    TaxSystem.GENERAL: "Общая",
    TaxSystem.SIMPLIFIED_INCOME: "Упрощенная (доходы)",
    TaxSystem.SIMPLIFIED_INCOME_MINUS_EXPENSE: "Упрощенная (доходы минус расходы)",
    TaxSystem.UTII: "ЕНВД",
    TaxSystem.AGRICULTURAL: "ЕСХН",
    TaxSystem.PATENT: "Патентная",
    TaxSystem.AUSN: "АУСН",
}
ROLES = {UserRole.ADMINISTRATOR: "Администратор", UserRole.CASHIER: "Кассир"}
ORG_FIELDS = ("name", "full_name", "inn", "kpp", "legal_form", "tax_system")


@page_handler("settings")
def settings(page: Page) -> Response:
    organization = organizations.get_organization(page.db, page.infobase)
    errors: dict[str, str] = {}
    if page.request.method == "POST":
        values = {name: page.field(name) for name in ("title", "public_url", *(f"org_{f}" for f in ORG_FIELDS))}
        try:
            if values["org_legal_form"] not in LegalForm.__members__.values():
                raise ValidationError("legal_form", "unknown legal form")
            if values["org_tax_system"] not in TaxSystem.__members__.values():
                raise ValidationError("tax_system", "unknown tax system")
            with page.act():
                infobases.set_infobase(
                    page.db, page.infobase.name, title=values["title"], public_url=values["public_url"]
                )
                organizations.set_organization(
                    page.db,
                    page.infobase,
                    organization.name,
                    organizations.OrganizationInput(
                        name=values["org_name"],
                        full_name=values["org_full_name"],
                        inn=values["org_inn"],
                        kpp=values["org_kpp"],
                        legal_form=LegalForm(values["org_legal_form"]),
                        tax_system=TaxSystem(values["org_tax_system"]),
                    ),
                )
        except KassaError as exc:
            name = field_of(exc, "public_url")
            errors[name if name in ("title", "public_url") else f"org_{name}"] = error_text(exc)
        else:
            page.flash("Настройки записаны.")
            return page.redirect(page.url("settings"))
    else:
        values = {"title": page.infobase.title, "public_url": page.infobase.public_url or ""}
        values.update({f"org_{f}": str(getattr(organization, f) or "") for f in ORG_FIELDS})
    return page.render(
        "settings.html",
        status=422 if errors else 200,
        values=values,
        errors=errors,
        legal_forms=[(k.value, v) for k, v in LEGAL_FORMS.items()],
        tax_systems=[(k.value, v) for k, v in TAX_SYSTEMS.items()],
    )


@page_handler("sync")
def sync(page: Page) -> Response:
    """«Синхронизация данных» on or off, as the vendor instruction's first step (Администрирование)."""
    if page.request.method == "POST":
        enabled = page.checked("sync_enabled")
        with page.act():
            infobases.set_sync_enabled(page.db, page.infobase, enabled)
        page.flash("Синхронизация данных включена." if enabled else "Синхронизация данных выключена.")
        return page.redirect(page.url("sync"))
    return page.render("sync.html", enabled=page.infobase.sync_enabled)


@page_handler("users")
def users(page: Page) -> Response:
    errors: dict[str, str] = {}
    values = {"login": "", "full_name": "", "role": UserRole.CASHIER.value}
    if page.request.method == "POST":
        values = {"login": page.field("login"), "full_name": page.field("full_name"), "role": page.field("role")}
        try:
            if values["role"] not in UserRole.__members__.values():
                raise ValidationError("role", "unknown role")
            with page.act():
                created = infobases.create_user(
                    page.db,
                    page.infobase,
                    infobases.UserInput(
                        login=values["login"],
                        password=page.form.get("password", "") if page.form is not None else "",  # type: ignore[arg-type]
                        full_name=values["full_name"],
                        role=UserRole(values["role"]),
                    ),
                )
        except KassaError as exc:
            errors[field_of(exc, "login")] = error_text(exc)
        else:
            page.flash(f"Пользователь «{created.login}» добавлен.")
            return page.redirect(page.url("users"))
    return page.render(
        "users.html",
        status=422 if errors else 200,
        users=infobases.list_users(page.db, page.infobase),
        roles=ROLES,
        values=values,
        errors=errors,
    )


@page_handler("users")
def user(page: Page) -> Response:
    found = get_user_by_id(page.db, page.infobase, page.request.path_params["user_id"])
    action = page.field("action")
    try:
        with page.act():
            if action == "password":
                password = page.form.get("password", "") if page.form is not None else ""
                infobases.set_password(page.db, page.infobase, found.login, str(password))
                page.flash(f"Пароль пользователя «{found.login}» изменен.")
            elif found.id == (page.user.id if page.user else None):
                raise ValidationError("login", "you cannot disable yourself or change your own role")
            elif action in ("disable", "enable"):
                infobases.set_user_disabled(page.db, page.infobase, found.login, action == "disable")
                page.flash(f"Пользователю «{found.login}» вход {'запрещен' if action == 'disable' else 'разрешен'}.")
            elif action == "role":
                role = UserRole.CASHIER if found.role == UserRole.ADMINISTRATOR else UserRole.ADMINISTRATOR
                infobases.set_user_role(page.db, page.infobase, found.login, role)
                page.flash(f"«{found.login}» теперь {ROLES[role].lower()}.")
    except KassaError as exc:
        page.flash(f"Не выполнено: {error_text(exc)}", "alert")
    return page.redirect(page.url("users"))
