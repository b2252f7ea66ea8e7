"""``kassa-server journal`` filters, ``--limit`` validation and ``journal clear`` (issue 13), as a user runs them."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import insert

from kassa_server.models import SoapCall
from kassa_server.models.engine import make_engine, make_sessionmaker
from tests.soap_support import make_infobase
from tests.test_cli import kassa

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
CALLS = [
    # (minutes ago, infobase, operation, node, outcome, http status)
    (300, "kassa", "", "", "unauthorized", 401),
    (240, "kassa", "PutData", "N1", "ok", 200),
    (120, "kassa", "PutData", "N2", "fault", 500),
    (60, "kassa", "PrepareDataForGetting", "N1", "ok", 200),
    (30, "kassa", "", "", "not_found", 404),
    (10, "other", "PutData", "N1", "ok", 200),
]


@pytest.fixture
def journaled(sqlite_url: str) -> str:
    make_infobase(sqlite_url, "kassa")
    make_infobase(sqlite_url, "other")
    engine = make_engine(sqlite_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.execute(
                insert(SoapCall),
                [
                    {
                        "at": NOW - dt.timedelta(minutes=ago),
                        "infobase": base,
                        "operation": operation,
                        "node_code": node,
                        "outcome": outcome,
                        "http_status": status,
                        "service": "EnterpriseDataExchange_1_0_1_1" if operation else "",
                    }
                    for ago, base, operation, node, outcome, status in CALLS
                ],
            )
    finally:
        engine.dispose()
    return sqlite_url


def _rows(db_url: str, *args: str) -> list[tuple[str, str, str]]:
    result = kassa(db_url, "journal", "--infobase", "kassa", "--json", *args)
    assert result.returncode == 0, result.stderr
    return [(row["operation"], row["node"], row["outcome"]) for row in json.loads(result.stdout)]


def test_filters_combine(journaled: str) -> None:
    assert _rows(journaled, "--operation", "PutData") == [("PutData", "N1", "ok"), ("PutData", "N2", "fault")]
    assert _rows(journaled, "--device", "N1") == [("PutData", "N1", "ok"), ("PrepareDataForGetting", "N1", "ok")]
    assert _rows(journaled, "--outcome", "unauthorized") == [("", "", "unauthorized")]
    assert _rows(journaled, "--operation", "PutData", "--device", "N1") == [("PutData", "N1", "ok")]
    assert _rows(journaled, "--since", "90m") == [("PrepareDataForGetting", "N1", "ok"), ("", "", "not_found")]
    since = (NOW - dt.timedelta(minutes=150)).isoformat(timespec="minutes")
    assert [outcome for *_, outcome in _rows(journaled, "--since", since)] == ["fault", "ok", "not_found"]
    assert _rows(journaled, "--since", "1d", "--limit", "2") == [
        ("PrepareDataForGetting", "N1", "ok"),
        ("", "", "not_found"),
    ]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--limit", "0"], "--limit"),
        (["--limit", "-3"], "--limit"),
        (["--limit", "many"], "--limit"),
        (["--outcome", "great"], "--outcome"),
        (["--since", "yesterday-ish"], "--since"),
    ],
)
def test_bad_filters_are_usage_errors(journaled: str, args: list[str], complaint: str) -> None:
    result = kassa(journaled, "journal", "--infobase", "kassa", *args)
    assert result.returncode == 2 and complaint in result.stderr and "Traceback" not in result.stderr


def test_clear_one_infobase(journaled: str) -> None:
    result = kassa(journaled, "journal", "clear", "--infobase", "kassa")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "deleted 5 calls from the journal of 'kassa'"
    assert _rows(journaled) == []
    other = kassa(journaled, "journal", "--infobase", "other", "--json")
    assert len(json.loads(other.stdout)) == 1


def test_without_an_infobase_every_path_and_clear_all(journaled: str) -> None:
    listed = kassa(journaled, "journal", "--json", "--operation", "putdata")
    assert [(row["infobase"], row["node"]) for row in json.loads(listed.stdout)] == [
        ("kassa", "N1"),
        ("kassa", "N2"),
        ("other", "N1"),
    ]
    refused = kassa(journaled, "journal", "clear")
    assert refused.returncode == 2 and "--infobase" in refused.stderr and "--all" in refused.stderr
    cleared = kassa(journaled, "journal", "clear", "--all")
    assert cleared.stdout.strip() == "deleted 6 calls from the journal"
    assert json.loads(kassa(journaled, "journal", "--json").stdout) == []
