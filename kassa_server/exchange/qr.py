"""The connection QR code of a device and the manual connection parameters (mobile-kassa.md §2)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

from kassa_server.errors import ValidationError
from kassa_server.models import Infobase

PUBLIC_URL_SETTING = "«Адрес в интернете»"


class PublicUrlMissing(ValidationError):
    """The infobase has no publication address, so no QR code can be made."""

    def __init__(self, infobase: str) -> None:
        super().__init__(
            "public_url",
            f"infobase {infobase!r} has no public URL: fill in {PUBLIC_URL_SETTING} of the infobase "
            f"(e.g. https://host/{infobase}) to get a QR code",
        )
        self.infobase = infobase


@dataclass(frozen=True)
class ConnectionParameters:
    """What a user types into the app instead of scanning (mobile-kassa.md §2.1 [V INSTR])."""

    server: str
    base: str
    https: bool
    user: str
    application_id: str

    def lines(self) -> list[str]:
        return [
            f"Адрес сервера: {self.server}",
            f"Имя базы данных: {self.base}",
            f"Защищенный протокол (https): {'да' if self.https else 'нет'}",
            f"Пользователь: {self.user}",
            f"Идентификатор приложения: {self.application_id}",
        ]


def qr_string(public_url: str, node_field: str, login: str, *, login_encoding: str = "base64") -> str:
    """``<url>;<factory number>;<Base64(UTF-8 login)>;`` — no trailing '/', standard Base64 without line breaks
    (mobile-kassa.md §2.2 [I], after UNF's ``ПолучитьСтрокуQRКода`` [V-analog])."""
    login_field = base64.b64encode(login.encode("utf-8")).decode("ascii") if login_encoding == "base64" else login
    return f"{public_url.rstrip('/')};{node_field};{login_field};"


def device_qr_string(
    infobase: Infobase,
    factory_number: str,
    node_code: str,
    login: str,
    *,
    node_field: str = "factory_number",
    login_encoding: str = "base64",
) -> str:
    if not infobase.public_url:
        raise PublicUrlMissing(infobase.name)
    second = factory_number if node_field == "factory_number" else node_code
    return qr_string(infobase.public_url, second, login, login_encoding=login_encoding)


def connection_parameters(
    infobase: Infobase, factory_number: str, login: str, fallback_server: str
) -> ConnectionParameters:
    if infobase.public_url:
        parts = urlsplit(infobase.public_url)
        return ConnectionParameters(parts.netloc, infobase.name, parts.scheme == "https", login, factory_number)
    return ConnectionParameters(fallback_server, infobase.name, False, login, factory_number)


def qr_png(text: str) -> bytes:
    import qrcode

    image = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str) -> bytes:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text, image_factory=qrcode.image.svg.SvgPathImage, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
