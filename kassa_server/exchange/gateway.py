"""The exchange logic behind the SOAP services: nodes, numbering, downloads and uploads, over the database."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kassa_server import crashpoints
from kassa_server.enterprisedata.xmlsafe import safe_parser
from kassa_server.errors import DatabaseUnavailable
from kassa_server.exchange.clock import Clock, utc_now
from kassa_server.exchange.devices import find_node
from kassa_server.exchange.errors import (
    MessageNumberReused,
    MissingNodeCode,
    NodeMarkedForDeletion,
    NodeNotFound,
    UnknownExchangePlan,
)
from kassa_server.exchange.from_format import RECEIVES
from kassa_server.exchange.inbound import acknowledge, apply_inbound
from kassa_server.exchange.interface import FormatObjectSupport, ImportOutcome, InfobaseParameters
from kassa_server.exchange.outbound import INFOBASE_PREFIX, SENDS, write_outbound
from kassa_server.models import ExchangeNode, Infobase
from kassa_server.models.engine import ReadOnlyViolation, database_errors, is_conflict, read_only
from kassa_server.settings import Settings

log = logging.getLogger(__name__)

IMPORT_ATTEMPTS = 3
"""An import that collides with a concurrent one on a unique ``Ссылка``, or that PostgreSQL rolls back to break a
deadlock, is applied again (as warehouse's db.py retries ``IntegrityError``); each attempt sees more committed rows,
so a few attempts always settle."""


class DatabaseExchangeGateway:
    """Implements ``kassa_server.exchange.interface.ExchangeGateway``; each call is one database transaction."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings, clock: Clock = utc_now) -> None:
        self.sessions = sessions
        self.settings = settings
        self.options = settings.protocol
        self.clock = clock

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with database_errors(), self.sessions() as session, session.begin():
            yield session

    def _infobase(self, session: Session, name: str) -> Infobase:
        infobase = session.scalar(select(Infobase).where(Infobase.name == name))
        if infobase is None:  # the transport answers 404 first; this is a race with a deleted infobase
            raise DatabaseUnavailable(f"infobase {name!r} is gone")
        return infobase

    def _node(self, session: Session, infobase: Infobase, plan: str, code: str, *, lock: bool = False) -> ExchangeNode:
        if not infobase.allows_plan(plan):
            raise UnknownExchangePlan(plan)
        node = find_node(session, infobase, code, for_update=lock)
        if node is None and self.options.auto_create_nodes and code.strip():
            node = ExchangeNode(infobase_id=infobase.id, code=code.strip(), plan_name=plan)
            session.add(node)
            session.flush()
            log.warning("node %s created on first contact (auto_create_nodes)", code)
        if node is None:
            raise NodeNotFound(plan, code)
        if node.deleted or (node.cash_register is not None and node.cash_register.deleted):
            raise NodeMarkedForDeletion(plan, code)
        return node

    def check_node(self, infobase: str, plan: str, node_code: str) -> None:
        if not self.options.auto_create_nodes:  # it only reads then (on SQLite it does not queue behind writers) …
            try:
                with self._transaction() as session:
                    read_only(session)
                    self._node(session, self._infobase(session, infobase), plan, node_code)
                return
            except ReadOnlyViolation:  # … unless a register without its node yet gets one now
                pass
        with self._transaction() as session:
            self._node(session, self._infobase(session, infobase), plan, node_code)

    def export_message(self, infobase: str, plan: str, node_code: str, out: BinaryIO) -> None:
        with self._transaction() as session:
            base = self._infobase(session, infobase)
            node = self._node(session, base, plan, node_code, lock=True)
            if node.plan_name != plan:  # set only when it differs: a set attribute costs a flush before each query
                node.plan_name = plan
            write_outbound(session, base, node, self.options, out)

    def import_message(self, infobase: str, plan: str, node_code: str, message: BinaryIO) -> ImportOutcome:
        digest = _digest(message)
        for attempt in range(1, IMPORT_ATTEMPTS + 1):
            try:
                with self._transaction() as session:
                    base = self._infobase(session, infobase)
                    node = self._node(session, base, plan, node_code, lock=True)
                    received_before = node.received_no
                    result = apply_inbound(session, base, node, self.options, message, plan=plan, clock=self.clock)
                    _check_number_reuse(node, result.message_no, received_before, digest)
                    crashpoints.reached("import-applied")
                break
            except (IntegrityError, OperationalError) as exc:
                # Another device's message inserted the same Ссылка (a receipt, a customer) after we looked for it
                # and committed first, or PostgreSQL broke a deadlock between two messages (both move the stock of
                # one store) by rolling ours back. Our transaction rolled back whole; applied again, the message now
                # sees the other's rows and is answered by the same rules (a foreign receipt is refused per object).
                if attempt == IMPORT_ATTEMPTS or (isinstance(exc, OperationalError) and not is_conflict(exc)):
                    raise
                log.warning("node %s: a concurrent message stored the same objects; applying again", node_code)
                message.seek(0)
        crashpoints.reached("import-committed")
        log.info("node %s: message %s applied %s", node_code, result.message_no, result.applied)
        return ImportOutcome(message_no=result.message_no, warnings=tuple(result.warnings))

    def infobase_parameters(self, infobase: str, plan: str, node_code: str | None) -> InfobaseParameters:
        with self._transaction() as session:
            base = self._infobase(session, infobase)
            plan_exists = base.allows_plan(plan)
            node_exists = False
            if plan_exists and node_code:
                try:
                    self._node(session, base, plan, node_code)
                    node_exists = True
                except NodeNotFound:
                    node_exists = False
            versions = tuple(self.options.supported_format_versions)
            # one row per version × object, as SSL31 ОбменДаннымиXDTOСервер.ПоддерживаемыеОбъектыФормата builds it
            supported = tuple(
                FormatObjectSupport(version, name, "*" if name in SENDS else "", "*" if name in RECEIVES else "")
                for version in versions
                for name in sorted({*SENDS, *RECEIVES})
            )
            return InfobaseParameters(
                plan_exists=plan_exists,
                plan_name=plan,
                this_node_code=base.node_code,
                node_exists=node_exists,
                name=base.title or "1С:Касса",
                prefix=INFOBASE_PREFIX,
                format_versions=versions,
                supported_objects=supported,
            )

    def create_exchange(self, infobase: str, plan: str, settings_xml: str) -> None:
        """The wizard names the caller's node; accepted only for a known register (mobile-kassa.md §8 q4)."""
        code = _node_code_from_settings(settings_xml)
        with self._transaction() as session:
            base = self._infobase(session, infobase)
            if not base.allows_plan(plan):
                raise UnknownExchangePlan(plan)
            if code is None:
                raise MissingNodeCode()
            node = self._node(session, base, plan, code)
            node.plan_name = plan
            node.settings_xml = settings_xml[:65536]

    def update_exchange(self, infobase: str, plan: str, node_code: str, settings_xml: bytes) -> None:
        with self._transaction() as session:
            node = self._node(session, self._infobase(session, infobase), plan, node_code)
            node.settings_xml = settings_xml.decode("utf-8", "replace")[:65536]

    def register_initial_data(self, infobase: str, plan: str, node_code: str, *, catalogs_only: bool) -> None:
        """Queue a full export: moving the watermark back makes the next message carry everything again."""
        with self._transaction() as session:
            node = self._node(session, self._infobase(session, infobase), plan, node_code, lock=True)
            node.acked_seq = 0

    def delivery_confirmed(self, infobase: str, plan: str, node_code: str) -> None:
        """Transport-level only: acknowledges nothing under SSL semantics (enterprisedata.md §4.2), unless the
        acknowledgement mode is ``transport``: then the last message sent counts as delivered."""
        if self.options.acknowledgement_mode != "transport":
            log.debug("node %s confirmed delivery of a download", node_code)
            return
        with self._transaction() as session:
            node = self._node(session, self._infobase(session, infobase), plan, node_code, lock=True)
            acknowledge(session, node, node.sent_no)


def _digest(message: BinaryIO) -> str:
    """SHA-256 of the whole message, read in chunks; the stream is rewound for the reader."""
    sha = hashlib.sha256()
    while chunk := message.read(1 << 20):
        sha.update(chunk)
    message.seek(0)
    return sha.hexdigest()


def _check_number_reuse(node: ExchangeNode, message_no: int | None, received_before: int, digest: str) -> None:
    """A numbered message remembers its digest. The same number again is a duplicate only with the same content
    (the device resent it); with another content the device re-used the number for new documents, and answering
    "received before" would drop them, so the import fails and the device sees the error [I: SSL has no such check
    (enterprisedata.md §4.2); its closest documented case is an import with errors, which keeps НомерПринятого]."""
    if message_no is None or message_no <= 0:
        return
    if message_no > received_before:  # accepted: it is now the last message received
        if node.received_no == message_no:
            node.received_digest = digest
        return
    if message_no == received_before and node.received_digest and node.received_digest != digest:
        raise MessageNumberReused(node.code, message_no)


def _node_code_from_settings(settings_xml: str) -> str | None:
    """Find the caller's node code in the wizard's ``ПараметрыНастройки`` (any element named like a node code)."""
    if not settings_xml.strip():
        return None
    try:
        root = etree.fromstring(settings_xml.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError:
        return None
    wanted = {"КодНовогоУзлаВторойБазы", "КодЭтогоУзла", "NodeCode", "КодУзла", "PeerCode"}
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname in wanted and (element.text or "").strip():
            return element.text.strip()
    return None
