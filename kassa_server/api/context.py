"""What every control-API handler gets: settings, the database and the hooks into the running server."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.admin.transaction import transaction
from kassa_server.settings import Settings


@dataclass
class ApiContext:
    settings: Settings
    sessions: sessionmaker[Session]
    on_infobases_changed: Callable[[], None] = field(default=lambda: None)
    """Called after an infobase is created, deleted or reset, so the SOAP edge forgets what it cached."""
    on_faults_changed: Callable[[], None] = field(default=lambda: None)
    """Called after a fault rule is added, so the SOAP edge looks for rules again at once."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block succeeds, rolled back on any exception."""
        with transaction(self.sessions) as session:
            yield session


def api_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.api
    return context
