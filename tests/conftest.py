"""Database fixtures shared by every test: SQLite and PostgreSQL, each test on a fresh database migrated to head.

PostgreSQL comes from ``KASSA_TEST_POSTGRES_URL`` (a server URL whose user may create databases). Without it the
PostgreSQL variants skip, unless ``KASSA_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail instead.
"""

from __future__ import annotations

import ctypes
import multiprocessing.resource_tracker
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kassa_server.models.engine import upgrade

POSTGRES_ENV = "KASSA_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "KASSA_REQUIRE_POSTGRES"


PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> bool:
    """Make this process the Linux "subreaper" of everything it starts, so a grandchild whose parent died (a uvicorn
    worker whose supervisor was killed) is re-parented here instead of to init and stays visible to the check below."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _own_helpers() -> set[int]:
    """Processes this interpreter keeps by design until it exits (multiprocessing's resource tracker)."""
    tracker = getattr(multiprocessing.resource_tracker, "_resource_tracker", None)
    pid = getattr(tracker, "_pid", None)
    return {pid} if pid else set()


def _reap_zombies(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                os.waitpid(process.pid, os.WNOHANG)
                continue
        except (psutil.NoSuchProcess, ChildProcessError):
            continue
        alive.append(process)
    return alive


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fails the run if any process the tests started (child, or orphaned grandchild) is still alive at the end.

    Tests must stop what they start (TEAM.md, issue 13). Stragglers get a few seconds to finish stopping, then the
    survivors are listed, killed (so the run itself leaves nothing behind either) and reported as an error.
    """
    _adopt_orphans()
    yield
    me = psutil.Process()
    keep = _own_helpers()
    left = _reap_zombies([p for p in me.children(recursive=True) if p.pid not in keep])
    if not left:
        return
    _, alive = psutil.wait_procs(left, timeout=10)
    alive = _reap_zombies(alive)
    if not alive:
        return
    described = []
    for process in alive:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=10)
    _reap_zombies(alive)
    if described:
        pytest.fail("the tests left processes running:\n" + "\n".join(described), pytrace=False)


def _postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{POSTGRES_ENV} is not set but {REQUIRE_POSTGRES_ENV}=1: PostgreSQL tests must run here")
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV})")
    return url


class PostgresDatabases:
    """Creates databases from one template that was migrated once per test run (CREATE DATABASE … TEMPLATE)."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.template = f"kassa_tpl_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        self._admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=None)
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        upgrade(self.url_for(self.template))

    def url_for(self, name: str) -> str:
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"kassa_t_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url_for(name)

    def create_empty(self) -> str:
        name = f"kassa_e_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url_for(name)

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in [*self.created, self.template]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(_postgres_server_url())
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database at the head migration, on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "kassa.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    return request.getfixturevalue("postgres_databases").create()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with no tables at all, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("postgres_databases").create_empty()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "kassa.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"
