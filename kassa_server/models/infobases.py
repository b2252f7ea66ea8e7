"""Infobases (one published 1С:Касса database each, addressed by a case-sensitive base name) and their users."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import datetime as dt
import hashlib
import hmac
import os
import uuid
from collections.abc import Iterator

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kassa_server.models.base import Base, ChangeTracked, Name, enum_column_type, intpk, timestamp_now
from kassa_server.models.enums import UserRole

DEFAULT_EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"


class Infobase(Base):
    __tablename__ = "infobases"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    """The base name in ``/<base>/ws/...``; compared case-sensitively, as the app requires (mobile-kassa.md §2.1)."""
    title: Mapped[Name] = mapped_column(default="")
    public_url: Mapped[str | None] = mapped_column(String(500))
    """«Адрес в интернете»: the publication URL the QR codes carry, e.g. ``https://host/kassa``."""
    exchange_plans: Mapped[str] = mapped_column(Text, default=DEFAULT_EXCHANGE_PLAN)
    """Comma-separated exchange plan names clients may use; ``*`` allows any (mobile-kassa.md §3)."""
    node_code: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    """This infobase's own node code (``КодЭтогоУзла``): ``Confirmation/From`` of our messages."""
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    """The last change sequence handed out in this infobase (models/tracking.py)."""
    sync_enabled: Mapped[bool] = mapped_column(default=True)
    """«Синхронизация данных» (Администрирование): when off, the web services refuse to exchange, as 1C does when its
    functional option ``ИспользоватьСинхронизациюДанных`` is off (soap-services.md §3.1)."""
    created_at: Mapped[timestamp_now]

    users: Mapped[list[User]] = relationship(back_populates="infobase", cascade="all, delete-orphan")

    @property
    def allowed_plans(self) -> list[str]:
        return [name.strip() for name in self.exchange_plans.split(",") if name.strip()]

    def allows_plan(self, plan: str) -> bool:
        plans = self.allowed_plans
        return "*" in plans or plan in plans


class User(ChangeTracked, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("infobase_id", "login"),)

    id: Mapped[intpk]
    infobase_id: Mapped[int] = mapped_column(ForeignKey("infobases.id", ondelete="CASCADE"), index=True)
    login: Mapped[str] = mapped_column(String(100))
    """May be Cyrillic; HTTP Basic credentials are decoded as UTF-8 (soap-services.md §1.2)."""
    full_name: Mapped[Name] = mapped_column(default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    ref: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    """``Ссылка`` of the user as ``Пользователь``/``ФизическоеЛицо`` (a cashier) on the wire."""
    role: Mapped[UserRole] = mapped_column(enum_column_type(UserRole), default=UserRole.CASHIER)
    """Cashiers log into the web services and travel to the devices; administrators also use the back office."""
    disabled: Mapped[bool] = mapped_column(default=False)
    """A disabled user fails HTTP Basic authentication everywhere; the row stays (receipts name the cashier)."""
    created_at: Mapped[timestamp_now]

    infobase: Mapped[Infobase] = relationship(back_populates="users")

    @property
    def is_cashier(self) -> bool:
        return self.role == UserRole.CASHIER

    @property
    def is_administrator(self) -> bool:
        return self.role == UserRole.ADMINISTRATOR

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(password, self.password_hash)


# scrypt parameters: n=2**14, r=8, p=1 is the interactive-login setting from the scrypt paper (16 MiB, ~50 ms).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


_reused_hashes: contextvars.ContextVar[dict[bytes, str] | None] = contextvars.ContextVar("reused_hashes", default=None)


@contextlib.contextmanager
def reusing_password_hashes(memo: dict[bytes, str]) -> Iterator[None]:
    """Within the block, a password hashed before (in ``memo``) gets the same hash again instead of a new scrypt
    (~50 ms): fixtures reset before every test re-create the same users with the same passwords."""
    token = _reused_hashes.set(memo)
    try:
        yield
    finally:
        _reused_hashes.reset(token)


def hash_password(password: str) -> str:
    memo = _reused_hashes.get()
    if memo is None:
        return _new_hash(password)
    key = hashlib.sha256(password.encode("utf-8")).digest()
    if key not in memo:
        memo[key] = _new_hash(password)
    return memo[key]


def _new_hash(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    salt_b64, digest_b64 = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt_b64}${digest_b64}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = encoded.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest_b64)
    actual = hashlib.scrypt(
        password.encode("utf-8"), salt=base64.b64decode(salt_b64), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
