"""PLACEHOLDER exchange gateway, used only until ``kassa_server.exchange.gateway.DatabaseExchangeGateway`` exists.

It checks nodes against ``models.CashRegister`` (kind «1С:Мобильная касса», factory number = node code, not deleted)
and the infobase's allowed plans, exports a settings-only message (no Body, no numbering), and stores nothing it
imports. It lets the SOAP transport run end to end before the real exchange logic (issue 5) lands.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import BinaryIO

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kassa_server.exchange.errors import MessageRejected, NodeMarkedForDeletion, NodeNotFound, UnknownExchangePlan
from kassa_server.exchange.interface import ImportOutcome, InfobaseParameters
from kassa_server.models.enums import RegisterKind
from kassa_server.models.infobases import Infobase
from kassa_server.models.registers import CashRegister
from kassa_server.settings import Settings

logger = logging.getLogger(__name__)

MSG = "http://www.1c.ru/SSL/Exchange/Message"
FORMAT_BASE = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData"


class PlaceholderExchangeGateway:
    """PLACEHOLDER: replace with ``DatabaseExchangeGateway`` (issue 5). See the module docstring."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.settings = settings

    def _infobase(self, session: Session, name: str) -> Infobase:
        infobase = session.execute(select(Infobase).where(Infobase.name == name)).scalar_one()
        return infobase

    def check_node(self, infobase: str, plan: str, node_code: str) -> None:
        with self.sessions() as session:
            base = self._infobase(session, infobase)
            if not base.allows_plan(plan):
                raise UnknownExchangePlan(plan)
            register = session.execute(
                select(CashRegister).where(
                    CashRegister.infobase_id == base.id,
                    CashRegister.factory_number == node_code,
                    CashRegister.kind == RegisterKind.MOBILE_KASSA,
                )
            ).scalar_one_or_none()
            if register is None:
                raise NodeNotFound(plan, node_code)
            if register.deleted:
                raise NodeMarkedForDeletion(plan, node_code)

    def export_message(self, infobase: str, plan: str, node_code: str, out: BinaryIO) -> None:
        self.check_node(infobase, plan, node_code)
        with self.sessions() as session:
            own_code = self._infobase(session, infobase).node_code
        m = f"{{{MSG}}}"
        root = etree.Element(
            "Message",
            nsmap={
                "msg": MSG,
                "xs": "http://www.w3.org/2001/XMLSchema",
                "xsi": "http://www.w3.org/2001/XMLSchema-instance",
            },
        )
        header = etree.SubElement(root, m + "Header")
        etree.SubElement(header, m + "Format").text = FORMAT_BASE
        etree.SubElement(header, m + "CreationDate").text = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        confirmation = etree.SubElement(header, m + "Confirmation")
        etree.SubElement(confirmation, m + "ExchangePlan").text = plan
        etree.SubElement(confirmation, m + "To").text = node_code
        etree.SubElement(confirmation, m + "From").text = own_code
        etree.SubElement(confirmation, m + "MessageNo").text = "0"
        etree.SubElement(confirmation, m + "ReceivedNo").text = "0"
        for version in self.settings.protocol.supported_format_versions:
            etree.SubElement(header, m + "AvailableVersion").text = version
        out.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def import_message(self, infobase: str, plan: str, node_code: str, message: BinaryIO) -> ImportOutcome:
        self.check_node(infobase, plan, node_code)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        try:
            root = etree.parse(message, parser).getroot()
        except etree.XMLSyntaxError as exc:
            raise MessageRejected(f"Сообщение обмена не является документом XML: {exc}") from exc
        if etree.QName(root).localname != "Message":
            raise MessageRejected("Неверный формат сообщения обмена: нет элемента Message.")
        logger.warning("PLACEHOLDER gateway: message from node %s read and discarded", node_code)
        return ImportOutcome(warnings=("placeholder gateway: message not applied",))

    def infobase_parameters(self, infobase: str, plan: str, node_code: str | None) -> InfobaseParameters:
        with self.sessions() as session:
            base = self._infobase(session, infobase)
            plan_exists = base.allows_plan(plan)
            title, own_code = base.title, base.node_code
        node_exists = False
        if plan_exists and node_code:
            try:
                self.check_node(infobase, plan, node_code)
                node_exists = True
            except NodeNotFound:
                node_exists = False
        return InfobaseParameters(
            plan_exists=plan_exists,
            plan_name=plan,
            this_node_code=own_code,
            node_exists=node_exists,
            name=title or "1С:Касса",
            format_versions=tuple(self.settings.protocol.supported_format_versions),
        )

    def create_exchange(self, infobase: str, plan: str, settings_xml: str) -> None:
        logger.info("PLACEHOLDER gateway: CreateExchange for %s ignored: %s", plan, settings_xml[:4096])

    def update_exchange(self, infobase: str, plan: str, node_code: str, settings_xml: bytes) -> None:
        self.check_node(infobase, plan, node_code)

    def register_initial_data(self, infobase: str, plan: str, node_code: str, *, catalogs_only: bool) -> None:
        self.check_node(infobase, plan, node_code)

    def delivery_confirmed(self, infobase: str, plan: str, node_code: str) -> None:
        return None
