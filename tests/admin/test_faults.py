"""Fault rules as use cases: matching, counting down, probability, and the edge's cache of "no rules"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.faults import DatabaseFaults, FaultInput, add_fault, take_fault
from kassa_server.admin.transaction import transaction
from kassa_server.models.engine import make_engine, make_sessionmaker


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_sessionmaker(engine)
    engine.dispose()


CALL = {"infobase": "kassa", "service": "EnterpriseDataExchange_1_0_1_1", "operation": "PutData", "device": "D1"}


def test_a_rule_matches_by_every_field_and_fires_n_times(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        add_fault(session, FaultInput("soap_fault", infobase="other"))
        add_fault(session, FaultInput("soap_fault", device="D2"))
        add_fault(session, FaultInput("delay", operation="PutData", device="D1", times=2, params={"delay_ms": 5}))
    fired = []
    for _ in range(3):
        with transaction(sessions) as session:
            injection = take_fault(session, **CALL)
            fired.append(injection.kind if injection else None)
    assert fired == ["delay", "delay", None]


def test_probability_decides_with_the_given_chance(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        add_fault(session, FaultInput("disconnect", probability=0.3))
    draws = iter([0.5, 0.1, 0.29999, 0.3])
    outcomes = []
    for _ in range(4):
        with transaction(sessions) as session:
            outcomes.append(take_fault(session, **CALL, chance=lambda: next(draws)) is not None)
    assert outcomes == [False, True, True, False]


def test_a_kind_for_parts_never_fires_on_other_operations(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        add_fault(session, FaultInput("truncate_part"))
        assert take_fault(session, **CALL) is None
        assert take_fault(session, **{**CALL, "operation": "GetDataPart"}) is not None


def test_the_edge_asks_the_database_again_only_after_forget_or_ttl(sessions: sessionmaker[Session]) -> None:
    now = [0.0]
    faults = DatabaseFaults(sessions, ttl=1.0, clock=lambda: now[0])
    assert faults.take(**CALL) is None  # no rules: remembered for a second
    with transaction(sessions) as session:
        add_fault(session, FaultInput("delay"))
    assert faults.take(**CALL) is None
    now[0] = 1.5
    assert faults.take(**CALL) is not None
    faults.forget()
    assert faults.take(**CALL) is not None
