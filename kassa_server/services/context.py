"""What a SOAP handler gets besides its arguments: the caller, the published infobase and the shared stores.

The transport creates one ``ServiceCall`` per request and puts it into the WSGI environ under ``ENVIRON_KEY``; the
handler fills in what the journal records (operation, node code, outcome).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kassa_server.exchange.accounts import PublishedInfobase
from kassa_server.exchange.files import ArchiveLimits, TransferStore
from kassa_server.exchange.interface import ExchangeGateway
from kassa_server.exchange.operations import OperationStore
from kassa_server.settings import Settings

ENVIRON_KEY = "kassa.call"


@dataclass
class ServiceDependencies:
    settings: Settings
    gateway: ExchangeGateway
    transfers: TransferStore
    operations: OperationStore
    interface_versions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """``GetVersions`` answers: interface name → versions (soap-services.md §5, configurable [I])."""

    @property
    def archive_limits(self) -> ArchiveLimits:
        limits = self.settings.limits
        return ArchiveLimits(max_message=limits.max_message_bytes, max_ratio=limits.max_zip_ratio)


@dataclass
class ServiceCall:
    deps: ServiceDependencies
    infobase: PublishedInfobase
    login: str
    service: str
    operation: str = ""
    node_code: str = ""
    outcome: str = "ok"
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def soft_error(self, text: str) -> str:
        """Note a soft error (HTTP 200 with an error text, soap-services.md §9) and return its text."""
        self.outcome = "soft_error"
        self.message = text
        return text


def current_call(ctx: Any) -> ServiceCall:
    call: ServiceCall = ctx.transport.req_env[ENVIRON_KEY]
    return call
