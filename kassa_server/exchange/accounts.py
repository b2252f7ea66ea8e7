"""Infobases and their users as the HTTP edge needs them: find a published base, check Basic credentials.

Password checks use scrypt (~50 ms each) and a fleet of devices makes several calls a second, so a verified password
is remembered against the user's stored hash, and a successful check for a short time (``DatabaseAuthenticator``).
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.exchange.errors import SyncDisabled
from kassa_server.models.infobases import Infobase, User, hash_password, verify_password


@dataclass(frozen=True)
class PublishedInfobase:
    id: int
    name: str
    title: str
    public_url: str | None
    node_code: str
    plans: tuple[str, ...]
    sync_enabled: bool = True
    """«Синхронизация данных»: off, the exchange operations refuse (``require_sync``); cached like the rest, so a
    change shows after at most the directory's ``ttl``."""

    def allows_plan(self, plan: str) -> bool:
        return "*" in self.plans or plan in self.plans

    def require_sync(self) -> None:
        """1C's common guard ``ПроверитьИспользованиеОбменаДанными`` (soap-services.md §3.1)."""
        if not self.sync_enabled:
            raise SyncDisabled(self.name)


@dataclass(frozen=True)
class AuthenticatedUser:
    infobase: str
    login: str
    user_id: int


class InfobaseDirectory:
    """Looks infobases up at request time, so a base created by the CLI is served without a restart.

    Every request looks its base up, so a found base is remembered for ``ttl`` seconds (a changed public URL or plan
    list shows after at most that long); a name not found is asked again every time, so a new base appears at once.
    Each candidate name is looked up on its own with one constant statement, so neither the cost of a look-up nor
    any cache (this one, SQLAlchemy's statement cache) grows with what a client puts in its path: the cache holds
    found bases only, keyed by their name (issue 14 §1).
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, PublishedInfobase]] = {}
        self._lock = threading.Lock()

    def find(self, names: list[str]) -> PublishedInfobase | None:
        """The first of ``names`` (candidates, in order) that is a published base; names compare case-sensitively."""
        for name in names:
            found = self._find_one(name)
            if found is not None:
                return found
        return None

    def cached(self, names: list[str]) -> PublishedInfobase | None:
        """``find``'s answer from memory alone: the first candidate's base when it is remembered (a later candidate
        cannot be answered so: an earlier one may be a base not looked up yet); None: ask ``find``."""
        now = self.clock()
        with self._lock:
            for name in names[:1]:
                hit = self._cache.get(name)
                if hit is not None and hit[0] > now:
                    return hit[1]
        return None

    def _find_one(self, name: str) -> PublishedInfobase | None:
        now = self.clock()
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] > now:
                return hit[1]
        found = self._lookup(name)
        if found is not None:
            with self._lock:
                if len(self._cache) > 10_000:  # only real bases get here
                    self._cache.clear()
                self._cache[name] = (now + self.ttl, found)
        return found

    def forget(self) -> None:
        """Drop what was cached, after an infobase was deleted or reset (the control API calls this)."""
        with self._lock:
            self._cache.clear()

    def _lookup(self, name: str) -> PublishedInfobase | None:
        with self.sessions() as session:
            row = session.execute(select(Infobase).where(Infobase.name == name)).scalars().first()
        # SQL collations may compare case-insensitively (MySQL, some PostgreSQL setups): compare again in Python.
        if row is None or row.name != name:
            return None
        return PublishedInfobase(
            row.id,
            row.name,
            row.title,
            row.public_url,
            row.node_code,
            tuple(row.allowed_plans),
            sync_enabled=bool(row.sync_enabled),
        )


class DatabaseAuthenticator:
    """Checks a login and password against ``models.User`` of the infobase, without scrypt on every call.

    Two memories, neither of which outlives a change of the user:

    * a verified (user, stored hash, sha256(password)) is remembered until the user's hash changes: a look-up of the
      user's row (one indexed query) then replaces scrypt, so a device that calls every 5 minutes does not pay ~50 ms
      of scrypt a cycle; a new password (a new hash) or a disabled user is seen by that query;
    * a successful check is remembered for ``ttl`` seconds (``cached``, no database at all), like the infobase
      directory; a change of any user made through this process's sessions (the back office, the control API)
      drops it at once (``after_flush``), a change made elsewhere (the CLI, another server process) shows after at
      most ``ttl``.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[tuple[str, str, bytes], tuple[float, AuthenticatedUser]] = {}
        self._verified: set[tuple[int, str, bytes]] = set()
        self._lock = threading.Lock()
        self.verifications = 0
        """How many scrypt verifications ran (for tests and benchmarks)."""
        event.listen(sessions, "after_flush", self._after_flush)
        event.listen(sessions, "after_commit", self._after_commit)

    def forget(self) -> None:
        """Drop the cached successful checks, after users were replaced by a reset."""
        with self._lock:
            self._cache.clear()
            self._verified.clear()

    def cached(self, infobase: str, login: str, password: str) -> AuthenticatedUser | None:
        """The user of a check that succeeded less than ``ttl`` seconds ago, or None (then call ``authenticate``)."""
        key = (infobase, login, _digest(password))
        with self._lock:
            hit = self._cache.get(key)
        return hit[1] if hit is not None and hit[0] > self.clock() else None

    def authenticate(self, infobase: str, login: str, password: str) -> AuthenticatedUser | None:
        digest = _digest(password)
        key = (infobase, login, digest)
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        with self.sessions() as session:
            row = session.execute(
                select(User.id, User.login, User.password_hash)
                .join(Infobase)
                .where(Infobase.name == infobase, User.login == login, User.disabled.is_(False))
            ).first()
        if row is None or row.login != login:
            # as slow as a wrong password, so logins cannot be told apart by timing (issue 14 §4)
            self.verifications += 1
            verify_password(password, _dummy_hash())
            return None
        proof = (row.id, row.password_hash, digest)
        with self._lock:
            known = proof in self._verified
        if not known:
            self.verifications += 1
            if not verify_password(password, row.password_hash):
                return None
        found = AuthenticatedUser(infobase=infobase, login=row.login, user_id=row.id)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified.add(proof)
            self._cache[key] = (now + self.ttl, found)
        return found

    def _after_flush(self, session: Session, context: object) -> None:
        if any(isinstance(obj, User) for obj in (*session.new, *session.dirty, *session.deleted)):
            session.info["kassa_users_changed"] = True
            with self._lock:
                self._cache.clear()

    def _after_commit(self, session: Session) -> None:
        # again after the commit: a check that ran between the flush and the commit saw the old row
        if session.info.pop("kassa_users_changed", False):
            with self._lock:
                self._cache.clear()


def _digest(password: str) -> bytes:
    return hashlib.sha256(password.encode("utf-8")).digest()


@functools.cache
def _dummy_hash() -> str:
    """A hash of no one's password, with the same scrypt parameters as real ones."""
    return hash_password("no such user")
