"""Connection parameters of one simulated device: from the QR string or from the manual fields.

mobile-kassa.md §2.1 (manual fields [V INSTR]) and §2.2 (QR string `url;factory_number;base64(login);` [I], parsed
tolerantly).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from urllib.parse import quote, urlsplit

__all__ = ["ConnectionParams", "QrCodeError", "parse_qr"]

DEFAULT_EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"


class QrCodeError(ValueError):
    """The QR string cannot be understood as `url;factory_number;login`."""


@dataclass(frozen=True)
class ConnectionParams:
    """Everything the app's «Синхронизация» settings hold (mobile-kassa.md §2.1)."""

    server: str  # host[:port]
    base: str  # publication name, case-sensitive, may contain '/'
    https: bool
    user: str
    password: str
    application_id: str  # «Идентификатор приложения» = the register's factory number = our node code
    exchange_plan: str = DEFAULT_EXCHANGE_PLAN

    @property
    def base_url(self) -> str:
        scheme = "https" if self.https else "http"
        base = "/".join(quote(segment, safe="") for segment in self.base.strip("/").split("/"))
        return f"{scheme}://{self.server}/{base}"

    def service_url(self, service: str) -> str:
        """The URL the SSL client posts to: `<base>/ws/<Service>` (soap-services.md §1.1 [V])."""
        return f"{self.base_url}/ws/{service}"

    def wsdl_url(self, service: str) -> str:
        return f"{self.service_url(service)}?wsdl"

    def with_application_id(self, application_id: str) -> ConnectionParams:
        return replace(self, application_id=application_id)

    def __repr__(self) -> str:  # never show the password
        return (
            f"ConnectionParams(server={self.server!r}, base={self.base!r}, https={self.https}, "
            f"user={self.user!r}, application_id={self.application_id!r})"
        )


_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]+$")


def _decode_login(field: str) -> str:
    """Base64(UTF-8(login)), or the plain login when it is not valid Base64 of printable UTF-8 (§2.2 [I])."""
    compact = re.sub(r"\s+", "", field)
    if not compact:
        return ""
    try:
        raw = base64.b64decode(compact, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return field.strip()
    if not text or not _PRINTABLE.match(text):
        return field.strip()
    return text


def parse_qr(text: str, password: str) -> ConnectionParams:
    """Parse `<scheme>://<host>[:port]/<base>;<factory number>;<Base64(login)>;` tolerating the §2.2 variants."""
    fields = text.strip().split(";")
    if fields and fields[-1].strip() == "":
        fields = fields[:-1]
    if len(fields) != 3:
        raise QrCodeError(f"expected 3 fields separated by ';', got {len(fields)}")
    url, factory_number, login_field = (field.strip() for field in fields)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise QrCodeError(f"not an http(s) publication URL: {url!r}")
    base = parts.path.strip("/")
    if not base:
        raise QrCodeError(f"the publication URL has no base name: {url!r}")
    if base.lower().endswith("/ws"):
        base = base[: -len("/ws")]
    if not factory_number:
        raise QrCodeError("the factory number (second field) is empty")
    login = _decode_login(login_field)
    if not login:
        raise QrCodeError("the login (third field) is empty")
    return ConnectionParams(
        server=parts.netloc,
        base=base,
        https=parts.scheme.lower() == "https",
        user=login,
        password=password,
        application_id=factory_number,
    )
