"""The seam between the SOAP services and the exchange logic.

The services do the transport mechanics (ZIP, parts, long operations, storage); an ``ExchangeGateway`` sees plain
EnterpriseData message XML streams and node identities only. ``kassa_server.exchange.gateway.DatabaseExchangeGateway``
implements it for real (issue 5); tests use in-memory fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did; ``warnings`` are journaled (a duplicate message is a warning, not an error)."""

    message_no: int | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormatObjectSupport:
    """A row of ``ПоддерживаемыеОбъектыФормата`` (soap-services.md §7)."""

    version: str
    object_name: str
    sending: str = "*"
    receiving: str = "*"


@dataclass(frozen=True)
class InfobaseParameters:
    """The values ``GetIBParameters`` reports (soap-services.md §7); the services spell the Russian keys."""

    plan_exists: bool
    plan_name: str
    this_node_code: str
    node_exists: bool
    name: str = "1С:Касса"
    prefix: str = ""
    configuration_version: str = "2.0.8.0"
    format_versions: tuple[str, ...] = ()
    supported_objects: tuple[FormatObjectSupport, ...] = field(default_factory=tuple)


class ExchangeGateway(Protocol):
    """What the SOAP services need from the exchange logic. ``infobase`` is the base name from the URL.

    Errors are ``kassa_server.exchange.errors`` classes: ``UnknownExchangePlan``, ``NodeNotFound``,
    ``NodeMarkedForDeletion``, ``MessageRejected(reason)``.
    """

    def check_node(self, infobase: str, plan: str, node_code: str) -> None:
        """Raise unless ``node_code`` is a live node of ``plan`` (TestConnection, soap-services.md §3.1)."""

    def export_message(self, infobase: str, plan: str, node_code: str, out: BinaryIO) -> None:
        """Write the server → device message XML (not zipped) for the node to ``out``; numbering advances."""

    def import_message(self, infobase: str, plan: str, node_code: str, message: BinaryIO) -> ImportOutcome:
        """Read and apply a device → server message XML; raise ``MessageRejected`` when it is refused."""

    def infobase_parameters(self, infobase: str, plan: str, node_code: str | None) -> InfobaseParameters:
        """Values for ``GetIBParameters``; an unknown plan gives ``plan_exists=False`` rather than an error."""

    def create_exchange(self, infobase: str, plan: str, settings_xml: str) -> None:
        """``CreateExchange``: the wizard's ``ПараметрыНастройки`` XML; create or update the node it names."""

    def update_exchange(self, infobase: str, plan: str, node_code: str, settings_xml: bytes) -> None:
        """``UpdateExchange``: store the node's additional settings (a serialized ``v8:Structure``)."""

    def register_initial_data(self, infobase: str, plan: str, node_code: str, *, catalogs_only: bool) -> None:
        """``RegisterOnlyCatalogData`` (catalogs_only) / ``RegisterAllDataExceptCatalogs``: queue an initial export."""

    def delivery_confirmed(self, infobase: str, plan: str, node_code: str) -> None:
        """The client released a downloaded export (``ReleaseFile``/``ConfirmGettingFile``): a transport-level
        acknowledgement, which the exchange logic may use or ignore (enterprisedata.md §4.3)."""
