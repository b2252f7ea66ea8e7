"""One transaction per act, shared by every face: commit when the block ends, roll back when it raises."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker

from kassa_server.models.engine import database_errors


@contextlib.contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session in one transaction: committed when the ``with`` block succeeds, rolled back on any error.

    The use cases only flush; the face that runs an act (a CLI command, a web form, an API call) wraps it in this, so a
    failed act leaves nothing behind. ``OperationalError`` becomes ``DatabaseUnavailable``.
    """
    with database_errors(), sessions() as session, session.begin():
        yield session
