from __future__ import annotations

import datetime as dt
import uuid

from kassa_server.exchange.operations import OperationResult, OperationStatus, OperationStore
from kassa_server.models.engine import make_engine, make_sessionmaker
from tests.soap_support import make_infobase


def test_operations_report_active_for_n_polls_then_their_result(db_url: str) -> None:
    infobase = make_infobase(db_url)
    engine = make_engine(db_url)
    try:
        store = OperationStore(make_sessionmaker(engine), active_polls=2)
        done = store.record(infobase, "export", OperationResult(OperationStatus.COMPLETED, file_id="f", part_count=3))
        statuses = [store.poll(infobase, done) for _ in range(4)]
        assert [s.status for s in statuses if s] == ["Active", "Active", "Completed", "Completed"]
        assert statuses[-1] == OperationResult(OperationStatus.COMPLETED, "", "f", 3)
        failed = store.record(infobase, "import", OperationResult(OperationStatus.FAILED, "плохо"), active_polls=0)
        assert store.poll(infobase, failed) == OperationResult(OperationStatus.FAILED, "плохо")
        assert store.poll(infobase, uuid.uuid4()) is None
        assert store.poll(infobase + 1, failed) is None  # another infobase's operation is unknown here
        assert store.purge_older_than(dt.timedelta(hours=1), now=dt.datetime(2999, 1, 1)) == 2
    finally:
        engine.dispose()
