"""A shop from an empty database, and the command line's edges, in subprocesses: the README's «Connecting» section
run verbatim and a simulated device syncing with the result; organizations, stores, price types, users, devices;
public URLs; global options anywhere; a busy port; goods CSV as spreadsheets write it."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kassa_server.app import create_app
from kassa_server.models import CashRegister, Infobase, Organization, Product, Store, User
from kassa_server.models.enums import LegalForm, TaxSystem, UserRole
from kassa_server.settings import Settings
from kassa_server.simulator import ConnectionParams, DeviceConfig, Fleet, clear_wsdl_cache
from tests.live_server import live_server
from tests.test_cli import kassa, query

ROOT = Path(__file__).resolve().parents[1]
_KASSA = [sys.executable, "-m", "kassa_server"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KASSA_")}
    env.update(extra)
    return env


def kassa_env(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kassa_server", "--database-url", db_url, *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=120,
    )


def readme_block(section: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"## {section}")
    match = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert match is not None
    return match.group(1)


def test_the_readme_connecting_section_works_verbatim_on_an_empty_database(db_url: str, tmp_path: Path) -> None:
    block = readme_block("Connecting 1С:Мобильная касса")
    assert "demo" not in block
    kassa_command = shlex.join([sys.executable, "-m", "kassa_server"])
    script = f'kassa-server() {{ {kassa_command} "$@"; }}\nset -e\n{block}'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(KASSA_DATABASE_URL=db_url),
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "QR: https://shop.example.ru/kassa;0000000001012345;0JrQsNGB0YHQuNGA;" in done.stdout
    assert (tmp_path / "qr.png").stat().st_size > 0
    [(name, inn, form, tax)] = query(
        db_url, select(Organization.name, Organization.inn, Organization.legal_form, Organization.tax_system)
    )
    assert (name, inn, form, tax) == (
        "ИП Петров С. И.",
        "770123456789",
        LegalForm.INDIVIDUAL,
        TaxSystem.SIMPLIFIED_INCOME,
    )
    assert query(db_url, select(Store.name)) == [("Магазин на Садовой",)]
    assert sorted(query(db_url, select(Product.name))) == [("Молоко 3,2% 1 л",), ("Хлеб Бородинский",)]

    # a simulated «1С:Мобильная касса» with the parameters `device qr` printed syncs and sells
    with live_server(create_app(Settings(database_url=db_url))) as base_url:
        server = base_url.removeprefix("http://")
        params = ConnectionParams(server, "kassa", False, "Кассир", "kassa", "0000000001012345")
        config = DeviceConfig(params, receipts_per_cycle=2, poll_interval=0.05, timeout=60, seed=1)
        summary = Fleet([config], cycles=2, interval=0).run()
        clear_wsdl_cache()
    assert summary.ok, summary.format()
    assert summary.receipts_sent > 0 and summary.receipts_confirmed == summary.receipts_sent


def test_organizations_stores_and_price_types(sqlite_url: str) -> None:
    assert kassa(sqlite_url, "infobase", "create", "Shop").returncode == 0
    listed = kassa(sqlite_url, "organization", "list", "--infobase", "Shop")
    assert listed.stdout.splitlines()[1:] == ["Моя организация\t-\t-\tlegal_entity\tgeneral"]
    created = kassa(
        sqlite_url,
        *("organization", "create", "--infobase", "Shop", "ООО Ромашка", "--inn", "7701234567", "--kpp", "770101001"),
    )
    assert created.returncode == 0, created.stderr
    bad_inn = kassa(sqlite_url, "organization", "set", "--infobase", "Shop", "ООО Ромашка", "--inn", "12")
    assert bad_inn.returncode == 1 and "ИНН '12'" in bad_inn.stderr
    renamed = kassa(
        sqlite_url, "organization", "set", "--infobase", "Shop", "Моя организация", "--tax-system", "patent"
    )
    assert renamed.returncode == 0, renamed.stderr
    assert (
        kassa(sqlite_url, "store", "create", "--infobase", "Shop", "Склад", "--organization", "ООО Ромашка").returncode
        == 0
    )
    stores = kassa(sqlite_url, "store", "list", "--infobase", "Shop").stdout.splitlines()
    assert stores[1:] == ["Мой магазин\tМоя организация\t-", "Склад\tООО Ромашка\t-"]
    again = kassa(sqlite_url, "store", "create", "--infobase", "Shop", "Склад")
    assert again.returncode == 1 and "exists already" in again.stderr
    assert kassa(sqlite_url, "price-type", "rename", "--infobase", "Shop", "Розничная", "Основная").returncode == 0
    assert kassa(sqlite_url, "price-type", "create", "--infobase", "Shop", "Оптовая").returncode == 0
    types = kassa(sqlite_url, "price-type", "list", "--infobase", "Shop").stdout.splitlines()
    assert [line.split("\t")[0] for line in types] == ["Основная", "Оптовая"]
    rows = query(sqlite_url, select(Organization.name, Organization.tax_system).order_by(Organization.id))
    assert rows == [("Моя организация", TaxSystem.PATENT), ("ООО Ромашка", TaxSystem.GENERAL)]


def test_infobase_set_public_url_rules_and_names_differing_by_case(db_url: str) -> None:
    assert kassa(db_url, "infobase", "create", "Shop").returncode == 0
    wrong_path = kassa(db_url, "infobase", "create", "Other", "--public-url", "https://h.example/kassa")
    assert wrong_path.returncode == 1
    assert "must end with the infobase's name /Other" in wrong_path.stderr and "'kassa'" in wrong_path.stderr
    changed = kassa(db_url, "infobase", "set", "Shop", "--public-url", "https://h.example/x/Shop/", "--title", "Лавка")
    assert changed.returncode == 0, changed.stderr
    assert query(db_url, select(Infobase.public_url, Infobase.title)) == [("https://h.example/x/Shop", "Лавка")]
    refused = kassa(db_url, "infobase", "set", "Shop", "--public-url", "https://h.example/shop")
    assert refused.returncode == 1 and "must end with the infobase's name /Shop" in refused.stderr
    case = kassa(db_url, "infobase", "create", "SHOP")
    assert case.returncode == 1 and "differ only in letter case" in case.stderr
    reserved = kassa(db_url, "infobase", "create", "api")
    assert reserved.returncode == 1 and "is reserved" in reserved.stderr
    assert query(db_url, select(Infobase.name)) == [("Shop",)]


def test_user_list_passwd_disable_and_admin(sqlite_url: str) -> None:
    assert kassa(sqlite_url, "infobase", "create", "Shop").returncode == 0
    assert kassa(sqlite_url, "user", "add", "--infobase", "Shop", "Кассир", "--password", "a").returncode == 0
    assert kassa(sqlite_url, "user", "add", "--infobase", "Shop", "Босс", "--password", "b", "--admin").returncode == 0
    changed = kassa(sqlite_url, "user", "passwd", "--infobase", "Shop", "Кассир", stdin="new\n")
    assert changed.returncode == 0, changed.stderr
    assert kassa(sqlite_url, "user", "disable", "--infobase", "Shop", "Босс").returncode == 0
    listed = kassa(sqlite_url, "user", "list", "--infobase", "Shop").stdout.splitlines()
    assert listed == [
        "login\tfull_name\trole\tstate",
        "Кассир\tКассир\tcashier\tactive",
        "Босс\tБосс\tadministrator\tdisabled",
    ]
    [(digest,)] = query(sqlite_url, select(User.password_hash).where(User.login == "Кассир"))
    from kassa_server.models.infobases import verify_password

    assert verify_password("new", digest)
    assert query(sqlite_url, select(User.role).order_by(User.id)) == [(UserRole.CASHIER,), (UserRole.ADMINISTRATOR,)]
    missing = kassa(sqlite_url, "user", "disable", "--infobase", "Shop", "Никто")
    assert missing.returncode == 1 and "no user 'Никто'" in missing.stderr


def test_device_set_remove_and_what_the_qr_cannot_carry(sqlite_url: str, tmp_path: Path) -> None:
    assert kassa(sqlite_url, "infobase", "create", "Shop", "--public-url", "https://h.example/Shop").returncode == 0
    assert kassa(sqlite_url, "user", "add", "--infobase", "Shop", "Кассир", "--password", "p").returncode == 0
    semicolon = kassa(sqlite_url, "device", "add", "--infobase", "Shop", "--factory-number", "12;34")
    assert semicolon.returncode == 1 and "';' separates the fields of the QR string" in semicolon.stderr
    control = kassa(sqlite_url, "device", "add", "--infobase", "Shop", "--factory-number", "12\t34")
    assert control.returncode == 1 and "control character" in control.stderr
    assert kassa(sqlite_url, "device", "add", "--infobase", "Shop", "--factory-number", "7").returncode == 0
    assert kassa(sqlite_url, "store", "create", "--infobase", "Shop", "Склад").returncode == 0
    moved = kassa(sqlite_url, "device", "set", "--infobase", "Shop", "7", "--name", "Касса 7", "--store", "Склад")
    assert moved.returncode == 0, moved.stderr
    assert query(sqlite_url, select(CashRegister.name, Store.name).join(Store)) == [("Касса 7", "Склад")]

    no_login = kassa(sqlite_url, "device", "qr", "--infobase", "Shop", "7", "--login", "Никто")
    assert no_login.returncode == 1 and "no user 'Никто'" in no_login.stderr
    no_folder = kassa(sqlite_url, "device", "qr", "--infobase", "Shop", "7", "--png", str(tmp_path / "no" / "qr.png"))
    assert no_folder.returncode == 1
    assert no_folder.stderr.count("\n") == 1 and "cannot write the QR code" in no_folder.stderr
    assert "internal error" not in no_folder.stderr

    removed = kassa(sqlite_url, "device", "remove", "--infobase", "Shop", "7")
    assert removed.returncode == 0, removed.stderr
    assert kassa(sqlite_url, "device", "list", "--infobase", "Shop").stdout.splitlines()[1:] == []
    assert query(sqlite_url, select(CashRegister.deleted)) == [(True,)]
    back = kassa(sqlite_url, "device", "add", "--infobase", "Shop", "--factory-number", "7")
    assert back.returncode == 0, back.stderr
    assert query(sqlite_url, select(CashRegister.deleted)) == [(False,)]


def test_a_public_url_template_and_no_loopback_from_a_server_on_all_interfaces(sqlite_url: str) -> None:
    templated = kassa_env(sqlite_url, "demo", KASSA_PUBLIC_URL="https://shop.example.ru/{base}")
    assert templated.returncode == 0, templated.stderr
    assert "connection QR string: https://shop.example.ru/kassa;" in templated.stdout
    everywhere = kassa_env(sqlite_url, "demo", "--infobase", "kassa2", KASSA_HOST="0.0.0.0")
    assert everywhere.returncode == 0, everywhere.stderr
    assert "connection QR string" not in everywhere.stdout and "KASSA_PUBLIC_URL" in everywhere.stdout
    urls = dict(query(sqlite_url, select(Infobase.name, Infobase.public_url)))
    assert urls == {"kassa": "https://shop.example.ru/kassa", "kassa2": None}
    # device qr from a server on all interfaces says which setting to fill, and never prints 0.0.0.0
    qr = kassa_env(sqlite_url, "device", "qr", "--infobase", "kassa2", "0000000001012345", KASSA_HOST="0.0.0.0")
    assert qr.returncode == 1 and "KASSA_PUBLIC_URL" in qr.stderr and "infobase set kassa2" in qr.stderr
    assert "0.0.0.0" not in qr.stdout
    with_template = kassa_env(
        sqlite_url, "device", "qr", "--infobase", "kassa2", "0000000001012345",
        KASSA_HOST="0.0.0.0", KASSA_PUBLIC_URL="https://shop.example.ru/{base}",
    )  # fmt: skip
    assert with_template.returncode == 0, with_template.stderr
    assert "QR: https://shop.example.ru/kassa2;0000000001012345;" in with_template.stdout


@pytest.fixture
def free_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield port


@pytest.mark.parametrize(
    ("host", "flags", "expected"),
    [
        ("127.0.0.1", ["--public-url", "https://shop.example.ru/{base}"], "https://shop.example.ru/kassa"),
        ("0.0.0.0", [], None),
    ],
)
def test_serve_demo_stores_the_public_url_and_never_a_loopback(
    sqlite_url: str, free_port: int, host: str, flags: list[str], expected: str | None
) -> None:
    server = subprocess.Popen(
        [*_KASSA, "--database-url", sqlite_url, "serve", "--demo", "--host", host, "--port", str(free_port), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(PYTHONUNBUFFERED="1"),
    )
    try:
        assert server.stdout is not None
        seen = []
        for line in server.stdout:  # the demo is seeded before uvicorn starts
            seen.append(line)
            if "Uvicorn running" in line or "error" in line.lower():
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    output = "".join(seen)
    assert "Uvicorn running" in output, output
    assert query(sqlite_url, select(Infobase.public_url)) == [(expected,)]
    if expected is None:
        assert "connection QR string" not in output and "KASSA_PUBLIC_URL" in output
    else:
        assert f"connection QR string: {expected};0000000001012345;" in output


def test_serve_on_a_port_in_use_says_so_in_one_line(sqlite_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = kassa(sqlite_url, "serve", "--port", str(port))
    assert done.returncode == 1
    assert done.stderr == f"kassa-server: error: port {port} is in use\n"


def test_global_options_before_or_after_the_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'after.sqlite3'}"
    env = _env()
    run = [sys.executable, "-m", "kassa_server"]
    created = subprocess.run(
        [*run, "infobase", "create", "Shop", "--database-url", url, "--log-level", "warning"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    listed = subprocess.run(
        [*run, "--database-url", url, "infobase", "list", "-v"], capture_output=True, text=True, env=env, timeout=120
    )
    assert listed.returncode == 0 and listed.stdout.startswith("Shop\t")
    assert "alembic.runtime.migration" in listed.stderr  # -v after the command: debug logging, alembic's lines too
    assert "alembic" not in created.stderr
    bad = subprocess.run(
        [*run, "infobase", "list", "--log-level", "loud"], capture_output=True, text=True, env=env, timeout=120
    )
    assert bad.returncode == 2


# --- goods CSV as spreadsheets write it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name,price\nГодный,1\n"Незакрытая кавычка,2\n', "line 3: malformed row"),
        ("name,price\nГодный,1\nЛишнее,2,3\n", "line 3: 3 fields but the header has 2"),
    ],
)
def test_a_malformed_csv_row_is_an_error_with_its_line(
    sqlite_url: str, tmp_path: Path, content: str, message: str
) -> None:
    assert kassa(sqlite_url, "infobase", "create", "kassa").returncode == 0
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = kassa(sqlite_url, "goods", "import", "--infobase", "kassa", str(path))
    assert result.returncode == 1, result.stdout
    assert message in result.stderr and "nothing imported" in result.stderr
    assert query(sqlite_url, select(Product.name)) == []


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("utf-8", ","), ("utf-8-sig", ";"), ("cp1251", ";"), ("cp1251", ",")]
)
def test_csv_delimiter_and_encoding_are_detected(
    sqlite_url: str, tmp_path: Path, encoding: str, delimiter: str
) -> None:
    assert kassa(sqlite_url, "infobase", "create", "kassa").returncode == 0
    rows = [["name", "price", "group"], ["Сыр «Российский»", "749,00", "Молочные / Сыры"], ["Хлеб", "49", ""]]
    text = "\n".join(delimiter.join(f'"{v}"' if delimiter in v else v for v in row) for row in rows) + "\n"
    path = tmp_path / "goods.csv"
    path.write_bytes(text.encode(encoding))
    result = kassa(sqlite_url, "goods", "import", "--infobase", "kassa", str(path))
    assert result.returncode == 0, result.stderr
    assert sorted(query(sqlite_url, select(Product.name))) == [("Сыр «Российский»",), ("Хлеб",)]


def test_csv_from_stdin_with_a_progress_line_on_a_big_file(sqlite_url: str) -> None:
    assert kassa(sqlite_url, "infobase", "create", "kassa").returncode == 0
    lines = ["name;code;price"] + [f"Товар {n};{n};{n}" for n in range(1, 4502)]
    result = kassa(sqlite_url, "goods", "import", "--infobase", "kassa", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported stdin: 4501 created, 0 updated"
    assert [line for line in result.stderr.splitlines() if "rows" in line] == ["… 2000 rows", "… 4000 rows"]
    assert query(sqlite_url, select(Product.name).where(Product.code == "4501")) == [("Товар 4501",)]
