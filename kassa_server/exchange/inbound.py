"""The device → server message (1C calls this ``DownloadData`` / ``PutData``), applied atomically and idempotently.

One message is one transaction: the caller commits only when the whole Body was applied, so a bad message leaves
nothing behind. The same ``Ссылка`` again updates its row; the same message twice is a duplicate by number and
changes nothing (enterprisedata.md §4.2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kassa_server import enterprisedata as ed
from kassa_server.exchange import mapping, retail
from kassa_server.exchange.errors import MessageRejected
from kassa_server.exchange.numbering import DUPLICATE_WARNING, Disposition, decide
from kassa_server.models import (
    CashOperation,
    CashRegister,
    Counterparty,
    CustomerOrder,
    ExchangeNode,
    Infobase,
    MarkingCode,
    NodeMessage,
    OrderLine,
    Product,
    RawObject,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    Shift,
    ShiftReport,
    Unit,
)
from kassa_server.models.enums import CashOperationKind, PaymentKind, ProductKind, ReceiptKind
from kassa_server.settings import ProtocolOptions

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
FLUSH_EVERY = 500
"""Objects applied between flushes. The rows of a big message (a till that was offline for days) go to the database
in batches, so they are not all held as pending objects until the end; the message still commits once."""


@dataclass
class InboundResult:
    message_no: int | None
    version: str | None
    applied: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def apply_inbound(
    session: Session,
    infobase: Infobase,
    node: ExchangeNode,
    options: ProtocolOptions,
    message: BinaryIO,
    *,
    plan: str,
) -> InboundResult:
    """Read ``message`` and apply it for ``node``; raises ``MessageRejected`` naming what is wrong."""
    try:
        reader = ed.read_message(message, strict=options.strict_format)
        header = reader.header
    except ed.UnsupportedVersion as exc:
        raise MessageRejected(_unsupported_version(exc.version)) from exc
    except ed.FormatError as exc:
        raise MessageRejected(f"Не удалось прочитать сообщение обмена: {exc}") from exc
    result = InboundResult(header.message_no, header.format_version)
    _check_identity(infobase, node, header, options, result)
    _remember_peer(node, header, options, plan)
    if header.format_version is None:
        log.info("settings-only message from node %s: versions %s", node.code, header.available_versions)
        return result
    if header.format_version not in options.supported_format_versions:
        raise MessageRejected(_unsupported_version(header.format_version))
    if not header.has_confirmation:
        raise MessageRejected("Ошибка при загрузке сообщения обмена: в заголовке нет подтверждения (Confirmation).")
    if not reader.has_body:
        raise MessageRejected("Ошибка при загрузке сообщения обмена: после заголовка нет тела сообщения (Body).")

    decision = decide(header.message_no, header.received_no, last_received=node.received_no, last_sent=node.sent_no)
    if decision.disposition is Disposition.DUPLICATE:
        result.warnings.append(DUPLICATE_WARNING)
        log.info("node %s: message %s was received before; skipped", node.code, header.message_no)
        return result
    if decision.clamped:
        result.warnings.append(f"ReceivedNo {header.received_no} is beyond our last message {node.sent_no}")
    if decision.acknowledged_no is not None and options.acknowledgement_mode == "message":
        acknowledge(session, node, decision.acknowledged_no)
    elif header.received_no is None and decision.disposition is Disposition.ACCEPT:
        log.info("node %s sent message %s without ReceivedNo", node.code, header.message_no)

    applier = _Applier(session, infobase, node, header.format_version, result, _peer_sends(header))
    try:
        for number, obj in enumerate(reader, start=1):
            applier.apply(obj)
            if number % FLUSH_EVERY == 0:
                session.flush()  # still one transaction: a failure later rolls these rows back too
    except ed.FormatError as exc:
        raise MessageRejected(f"Ошибка при загрузке сообщения обмена: {exc}") from exc
    if decision.disposition is Disposition.ACCEPT and header.message_no is not None:
        node.received_no = header.message_no
    node.last_exchange_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.flush()
    return result


def acknowledge(session: Session, node: ExchangeNode, message_no: int) -> None:
    """The device has our message ``message_no``: everything it covered is delivered (watermark moves)."""
    acked = session.scalar(
        select(NodeMessage)
        .where(NodeMessage.node_id == node.id, NodeMessage.message_no <= message_no)
        .order_by(NodeMessage.message_no.desc())
        .limit(1)
    )
    if acked is not None and acked.max_seq > node.acked_seq:
        node.acked_seq = acked.max_seq
    session.execute(delete(NodeMessage).where(NodeMessage.node_id == node.id, NodeMessage.message_no < message_no))


def _check_identity(
    infobase: Infobase, node: ExchangeNode, header: ed.Header, options: ProtocolOptions, result: InboundResult
) -> None:
    """``To`` must be our node code and ``From`` the caller's node (enterprisedata.md §6): journaled, rejected only
    in strict mode."""
    problems = []
    if header.to_code and header.to_code.strip() not in {infobase.node_code, ""}:
        problems.append(f"To {header.to_code!r} is not this infobase's node code {infobase.node_code!r}")
    sender = (header.new_from or header.from_code or "").strip()
    if sender and sender != node.code and (header.from_code or "").strip() != node.code:
        problems.append(f"From {sender!r} is not the calling node {node.code!r}")
    for problem in problems:
        log.warning("node %s: %s", node.code, problem)
        result.warnings.append(problem)
    if problems and options.strict_node_identity:
        raise MessageRejected(f"Не найден узел обмена: {'; '.join(problems)}")


def _peer_sends(header: ed.Header) -> set[str] | None:
    """Types the device declared in ``Sending`` for this version; None = it declared nothing (everything)."""
    if header.available_object_types is None:
        return None
    declared = set()
    for item in header.available_object_types:
        sending = (item.sending or "").strip()
        if sending == "*" or header.format_version in {v.strip() for v in sending.split(",")}:
            declared.add(item.name)
    return declared


def _remember_peer(node: ExchangeNode, header: ed.Header, options: ProtocolOptions, plan: str) -> None:
    """Store the device's versions and object types and renegotiate the version, on every header (§8)."""
    if header.available_versions:
        node.peer_versions = ",".join(header.available_versions)
        version = ed.negotiate_version(options.supported_format_versions, header.available_versions)
        if version is not None and version != node.format_version:
            log.info("node %s: format version %s -> %s", node.code, node.format_version, version)
            node.format_version = version
    if header.format_version is not None or header.available_object_types is not None:
        types = header.available_object_types
        node.peer_object_types = (
            None if types is None else json.dumps([[t.name, t.sending, t.receiving] for t in types], ensure_ascii=False)
        )
    if header.prefix:
        node.peer_prefix = header.prefix
    node.plan_name = plan or node.plan_name


class _Applier:
    def __init__(
        self,
        session: Session,
        infobase: Infobase,
        node: ExchangeNode,
        version: str,
        result: InboundResult,
        peer_sends: set[str] | None = None,
    ) -> None:
        self.session = session
        self.peer_sends = peer_sends
        self.undeclared: set[str] = set()
        self.infobase = infobase
        self.node = node
        self.version = version
        self.result = result
        self.register: CashRegister | None = (
            session.get(CashRegister, node.cash_register_id) if node.cash_register_id else None
        )
        # Look-ups repeat for every line of every receipt; within the message's one transaction their answers
        # only change through this applier (item() adds products), so they are remembered per message.
        self._products: dict[uuid.UUID, Product | None] = {}
        self._registers: dict[tuple[str, object], CashRegister | None] = {}

    def count(self, what: str) -> None:
        self.result.applied[what] = self.result.applied.get(what, 0) + 1

    def apply(self, obj: object) -> None:
        wire_name = getattr(type(obj), "wire_name", None)
        declared = self.peer_sends is None or wire_name in self.peer_sends or wire_name == "УдалениеОбъекта"
        if wire_name and not declared and wire_name not in self.undeclared:  # imported anyway, logged (§7 [I])
            self.undeclared.add(wire_name)
            log.info("node %s sent %s, which its AvailableObjectTypes does not declare", self.node.code, wire_name)
        handlers: dict[type, Callable[[Any], None]] = {
            ed.Receipt: self.receipt,
            ed.ShiftOpening: self.shift_opening,
            ed.ShiftClosing: self.shift_closing,
            ed.CashDeposit: self.cash_operation,
            ed.CashWithdrawal: self.cash_operation,
            ed.RetailReport: self.retail_report,
            ed.CustomerOrder: self.customer_order,
            ed.OrderState: self.order_state,
            ed.OrderPaymentState: self.order_payment_state,
            ed.OrderShipmentState: self.order_shipment_state,
            ed.Counterparty: self.counterparty,
            ed.Item: self.item,
            ed.Organization: self.reference_only,
            ed.Warehouse: self.reference_only,
            ed.Deletion: self.deletion,
        }
        handler = handlers.get(type(obj))
        if handler is not None:
            with self.session.no_autoflush:  # a half-built row must not be flushed by a look-up
                handler(obj)
        elif isinstance(obj, ed.UnknownObject | ed.InvalidObject):
            reason = getattr(obj, "reason", "") or "unknown object type"
            self.keep_raw(obj.type_name, obj.ref, obj.raw, reason)
            self.result.warnings.append(f"{obj.type_name} {obj.ref or ''}: {reason}".strip())
        else:
            wire = getattr(type(obj), "wire_name", type(obj).__name__)
            self.keep_raw(
                wire, str(getattr(obj, "ref", "") or ""), _describe(obj, self.version), "kept, not interpreted"
            )

    # --- documents from the till ---------------------------------------------------------------------------------

    def cash_register_of(self, obj: ed.ShiftDocument | ed.RetailReport) -> CashRegister:
        key = obj.cash_register
        if key is not None:
            if key.ref is not None:
                found = self._register_where("ref", key.ref, CashRegister.ref == key.ref)
                if found is not None:
                    return found
            if key.registration_number:
                number = key.registration_number.strip()
                found = self._register_where("factory_number", number, CashRegister.factory_number == number)
                if found is not None:
                    return found
        if self.register is None:
            raise MessageRejected(f"{type(obj).wire_name} {obj.ref}: unknown КассаККМ and the node has no register")
        return self.register

    def _register_where(self, field: str, value: object, condition: Any) -> CashRegister | None:
        if (field, value) not in self._registers:
            self._registers[field, value] = self.session.scalar(
                select(CashRegister).where(CashRegister.infobase_id == self.infobase.id, condition)
            )
        return self._registers[field, value]

    def receipt(self, obj: ed.Receipt) -> None:
        """objects.md §7: receipts without goods are dropped (kept raw); card = ОплатыККМ rows with Электронно."""
        if obj.ref is None:
            raise MessageRejected("Документ.ЧекККМ without Ссылка")
        rows: list[ed.ReceiptGoodsRow | ed.ReceiptReturnRow | ed.ReceiptServiceRow] = [
            *obj.sales,
            *obj.returns,
            *obj.services,  # objects.md §7: goods come from ТоварыПродажа plus Услуги
        ]
        if not rows:
            self.keep_raw(obj.wire_name, str(obj.ref), _describe(obj, self.version), "receipt without goods: dropped")
            self.result.warnings.append(f"Документ.ЧекККМ {obj.ref}: no goods, dropped")
            return
        register = self.cash_register_of(obj)
        receipt = self.session.scalar(
            select(Receipt).where(Receipt.infobase_id == self.infobase.id, Receipt.ref == obj.ref)
        )
        if receipt is None:
            receipt = Receipt(
                infobase_id=self.infobase.id, ref=obj.ref, amount=ZERO, cash_amount=ZERO, card_amount=ZERO
            )
            self.session.add(receipt)
        else:
            receipt.lines.clear()
            receipt.payments.clear()
            receipt.marking_codes.clear()
        is_return = bool(obj.is_return) or (bool(obj.returns) and not obj.sales)
        receipt.kind = ReceiptKind.RETURN if is_return else ReceiptKind.SALE
        receipt.date = obj.date or dt.datetime.now().replace(microsecond=0)
        receipt.cash_register = register
        receipt.shift_number = obj.shift_number or ""
        receipt.number_in_app = obj.number_in_app or ""
        receipt.fiscal_number = obj.receipt_number or ""
        receipt.cashier = _cashier(obj.operation)
        receipt.cancelled = bool(obj.cancelled)
        receipt.format_version = self.version
        receipt.base_receipt_ref = obj.base.ref if obj.base is not None else None
        receipt.extra_attributes = _raw_text(obj.additional_attributes, obj.additional_info)
        total = ZERO
        for number, row in enumerate(rows, start=1):
            item = row.goods.item if row.goods is not None else None
            product = self.product_by_ref(item.ref if item else None)
            amount = row.amount if row.amount is not None else ZERO
            total += amount
            receipt.lines.append(
                ReceiptLine(
                    line_no=row.line_no or number,
                    product_ref=item.ref if item else None,
                    product_name=(item.name or "") if item else "",
                    product_id=product.id if product else None,
                    quantity=row.quantity if row.quantity is not None else Decimal(0),
                    price=row.price if row.price is not None else ZERO,
                    amount=amount,
                    vat_rate=mapping.vat_rate(row.vat),
                    vat_amount=row.vat_amount,
                    is_service=isinstance(row, ed.ReceiptServiceRow)
                    or bool(product and product.kind == ProductKind.SERVICE),
                )
            )
        operation_total = obj.operation.amount if obj.operation and obj.operation.amount is not None else None
        receipt.amount = operation_total if operation_total is not None else total
        card = ZERO
        for payment_row in obj.payments:
            kind = mapping.PAYMENT_KINDS.get(payment_row.payment_type or ed.PaymentType.CASH, PaymentKind.CASH)
            amount = payment_row.amount if payment_row.amount is not None else ZERO
            if kind == PaymentKind.CARD:
                card += amount
            receipt.payments.append(ReceiptPayment(kind=kind, amount=amount))
        for card_row in obj.card_payments:  # extra detail (RRN, card number) of the card payment
            for payment in receipt.payments:
                if payment.kind == PaymentKind.CARD and not payment.rrn:
                    payment.rrn = (card_row.rrn or "")[:12]
                    payment.card_number = (card_row.card_number or "")[:50]
                    break
        receipt.card_amount = card
        receipt.cash_amount = max(receipt.amount - card, ZERO)
        for mark in obj.marking_codes:
            if mark.code:
                item = mark.goods.item if mark.goods is not None else None
                receipt.marking_codes.append(MarkingCode(code=mark.code, product_ref=item.ref if item else None))
        if obj.order is not None and obj.order.ref is not None:
            order = self.order_by_ref(obj.order.ref)
            if order is not None:
                receipt.order_id = order.id
                if not is_return:
                    order.paid = True
        retail.receipt_extras(self.session, self.infobase, receipt, obj)  # card, terminal, characteristics, stock
        self.count("receipts")

    def shift_opening(self, obj: ed.ShiftOpening) -> None:
        shift = self.shift(obj)
        shift.open_ref = obj.ref
        shift.opened_at = obj.date
        shift.cashier = (obj.cashier.name or "") if obj.cashier else shift.cashier
        self.count("shift_openings")

    def shift_closing(self, obj: ed.ShiftClosing) -> None:
        shift = self.shift(obj)
        shift.close_ref = obj.ref
        shift.closed_at = obj.date
        shift.closing_amount = obj.operation.amount if obj.operation else None
        shift.cashier = shift.cashier or _cashier(obj.operation)
        self.count("shift_closings")

    def shift(self, obj: ed.ShiftDocument) -> Shift:
        register = self.cash_register_of(obj)
        number = obj.shift_number or ""
        shift = self.session.scalar(select(Shift).where(Shift.cash_register_id == register.id, Shift.number == number))
        if shift is None:
            shift = Shift(infobase_id=self.infobase.id, cash_register_id=register.id, number=number)
            self.session.add(shift)
            self.session.flush()
        return shift

    def cash_operation(self, obj: ed.CashDeposit | ed.CashWithdrawal) -> None:
        if obj.ref is None:
            raise MessageRejected(f"{obj.wire_name} without Ссылка")
        register = self.cash_register_of(obj)
        row = self.session.scalar(
            select(CashOperation).where(CashOperation.infobase_id == self.infobase.id, CashOperation.ref == obj.ref)
        )
        if row is None:
            row = CashOperation(infobase_id=self.infobase.id, ref=obj.ref)
            self.session.add(row)
        row.kind = CashOperationKind.CASH_IN if isinstance(obj, ed.CashDeposit) else CashOperationKind.CASH_OUT
        row.date = obj.date or dt.datetime.now().replace(microsecond=0)
        row.cash_register_id = register.id
        row.shift_number = obj.shift_number or ""
        row.amount = obj.operation.amount if obj.operation and obj.operation.amount is not None else ZERO
        row.cashier = _cashier(obj.operation)
        self.count("cash_operations")

    def retail_report(self, obj: ed.RetailReport) -> None:
        if obj.ref is None:
            raise MessageRejected("Документ.ОтчетОРозничныхПродажах without Ссылка")
        report = self.session.scalar(
            select(ShiftReport).where(ShiftReport.infobase_id == self.infobase.id, ShiftReport.ref == obj.ref)
        )
        if report is None:
            report = ShiftReport(infobase_id=self.infobase.id, ref=obj.ref)
            self.session.add(report)
        report.number = obj.number or ""
        report.date = obj.date or dt.datetime.now().replace(microsecond=0)
        register = self.cash_register_of(obj) if obj.cash_register is not None else self.register
        report.cash_register_id = register.id if register else None
        report.amount = obj.amount
        report.raw_xml = _describe(obj, self.version).decode("utf-8")
        self.count("shift_reports")

    # --- orders and catalogue ------------------------------------------------------------------------------------

    def customer_order(self, obj: ed.CustomerOrder) -> None:
        """An order made on the device joins the back office; for a known order the back office's version wins."""
        if obj.ref is None:
            raise MessageRejected("Документ.ЗаказКлиента without Ссылка")
        if self.order_by_ref(obj.ref) is not None:
            self.count("orders_known")
            return
        if self.register is None:
            self.keep_raw(
                obj.wire_name, str(obj.ref), _describe(obj, self.version), "no register to take the organization from"
            )
            return
        party = None
        if obj.counterparty is not None and obj.counterparty.ref is not None:
            self.counterparty(obj.counterparty)
            self.session.flush()
            party = self.session.scalar(
                select(Counterparty).where(
                    Counterparty.infobase_id == self.infobase.id, Counterparty.ref == obj.counterparty.ref
                )
            )
        order = CustomerOrder(
            infobase_id=self.infobase.id,
            ref=obj.ref,
            number=(obj.number or str(obj.ref))[:50],
            date=obj.date or dt.datetime.now().replace(microsecond=0),
            organization_id=self.register.organization_id,
            counterparty_id=party.id if party else None,
            store_id=self.register.store_id,
            cash_register_id=self.register.id,
            amount=obj.amount if obj.amount is not None else ZERO,
        )
        skipped = 0
        rows: list[ed.OrderGoodsRow | ed.OrderServiceRow] = [*obj.goods, *obj.services]
        for number, row in enumerate(rows, start=1):
            if isinstance(row, ed.OrderServiceRow):
                item = row.item
            else:
                item = row.goods.item if row.goods is not None else None
            product = self.product_by_ref(item.ref if item else None)
            if product is None:
                skipped += 1
                continue
            order.lines.append(
                OrderLine(
                    line_no=row.line_no or number,
                    product_id=product.id,
                    quantity=row.quantity if row.quantity is not None else Decimal(0),
                    price=row.price if row.price is not None else ZERO,
                    amount=row.amount if row.amount is not None else ZERO,
                    vat_rate=mapping.vat_rate(row.vat) or product.vat_rate,
                    vat_amount=row.vat_amount if row.vat_amount is not None else ZERO,
                )
            )
        if skipped:
            self.result.warnings.append(
                f"Документ.ЗаказКлиента {obj.ref}: {skipped} line(s) with unknown goods skipped"
            )
        self.session.add(order)
        retail.order_extras(self.session, self.infobase, order, obj)  # the characteristic of each line
        self.count("orders")

    def order_state(self, obj: ed.OrderState) -> None:
        order = self.order_by_ref(obj.order.ref if obj.order else None)
        if order is None:
            self.keep_raw(obj.wire_name, str(obj.ref or ""), _describe(obj, self.version), "order not found")
            return
        status = mapping.order_status_from_state(obj.state)
        if status is not None and order.status != status:
            order.status = status
            order.status_changed_at = obj.state_date or dt.datetime.now().replace(microsecond=0)
        elif status is None:
            log.info("order %s: device state %s noted", order.number, obj.state)
        self.count("order_states")

    def order_payment_state(self, obj: ed.OrderPaymentState) -> None:
        order = self.order_by_ref(obj.order.ref if obj.order else None)
        if order is not None and obj.state == ed.PaymentStatus.PAID:
            order.paid = True
        self.count("order_payment_states")

    def order_shipment_state(self, obj: ed.OrderShipmentState) -> None:
        order = self.order_by_ref(obj.order.ref if obj.order else None)
        if order is not None:
            log.info("order %s: shipment state %s", order.number, obj.state)
        self.count("order_shipment_states")

    def counterparty(self, obj: ed.Counterparty) -> None:
        if obj.ref is None:
            return
        party = self.session.scalar(
            select(Counterparty).where(Counterparty.infobase_id == self.infobase.id, Counterparty.ref == obj.ref)
        )
        if party is None:
            party = Counterparty(infobase_id=self.infobase.id, ref=obj.ref, name=obj.name or "")
            self.session.add(party)
        party.name = (obj.name or party.name or "")[:150]
        party.full_name = obj.full_name or party.full_name or party.name
        party.inn = (obj.inn or party.inn or "")[:12]
        party.kpp = (obj.kpp or party.kpp or "")[:9]
        self.count("counterparties")

    def item(self, obj: ed.Item) -> None:
        """Goods made on the device: new ones join the catalogue; the back office keeps its version of known ones."""
        if obj.ref is None or self.product_by_ref(obj.ref) is not None:
            return
        unit = None
        if obj.unit is not None and obj.unit.code:
            unit = self.session.scalar(
                select(Unit).where(Unit.infobase_id == self.infobase.id, Unit.code == obj.unit.code)
            )
        product = Product(
            infobase_id=self.infobase.id,
            ref=obj.ref,
            name=(obj.name or "")[:150],
            full_name=obj.full_name or obj.name or "",
            article=obj.article or "",
            code=obj.code or "",
            kind=ProductKind.SERVICE if obj.item_type == ed.ItemType.SERVICE else ProductKind.GOODS,
            unit_id=unit.id if unit else None,
            weighed=bool(obj.weighed),
        )
        rate = mapping.vat_rate(obj.vat)
        if rate is not None:
            product.vat_rate = rate
        self.session.add(product)
        self._products[obj.ref] = product
        self.count("items")

    def reference_only(self, obj: ed.FormatObject) -> None:
        """Организации/Склады from the app are its stored references: never overwrite ours (mobile-kassa.md §7.3)."""

    def deletion(self, obj: ed.Deletion) -> None:
        if obj.target_type is ed.Item:
            product = self.product_by_ref(obj.ref)
            if product is not None:
                product.deleted = True
        elif obj.target_type is ed.Counterparty:
            party = self.session.scalar(
                select(Counterparty).where(Counterparty.infobase_id == self.infobase.id, Counterparty.ref == obj.ref)
            )
            if party is not None:
                party.deleted = True
        else:
            log.info("deletion of %s %s from node %s noted", obj.target_type.wire_name, obj.ref, self.node.code)
        self.count("deletions")

    # --- look-ups and raw storage ---------------------------------------------------------------------------------

    def product_by_ref(self, ref: uuid.UUID | None) -> Product | None:
        if ref is None:
            return None
        if ref not in self._products:
            self._products[ref] = self.session.scalar(
                select(Product).where(Product.infobase_id == self.infobase.id, Product.ref == ref)
            )
        return self._products[ref]

    def order_by_ref(self, ref: uuid.UUID | None) -> CustomerOrder | None:
        if ref is None:
            return None
        return self.session.scalar(
            select(CustomerOrder).where(CustomerOrder.infobase_id == self.infobase.id, CustomerOrder.ref == ref)
        )

    def keep_raw(self, object_type: str, ref: str | None, xml: bytes, reason: str) -> None:
        key = ref or hashlib.sha256(xml).hexdigest()[:32]
        row = self.session.scalar(
            select(RawObject).where(
                RawObject.infobase_id == self.infobase.id, RawObject.object_type == object_type, RawObject.ref == key
            )
        )
        if row is None:
            row = RawObject(infobase_id=self.infobase.id, object_type=object_type, ref=key)
            self.session.add(row)
        row.node_code = self.node.code
        row.format_version = self.version
        row.reason = reason[:255]
        row.xml = xml
        self.count("raw_objects")


def _unsupported_version(version: str) -> str:
    """SSL's text for a version it has no conversion rules for (enterprisedata.md §6)."""
    return f"Версия {version} формата сообщения обмена {ed.FORMAT_BASE_URI} не поддерживается."


def _cashier(operation: ed.CashOperationData | None) -> str:
    if operation is None or operation.cashier is None:
        return ""
    return (operation.cashier.name or "")[:150]


def _raw_text(*parts: bytes | None) -> str:
    return "".join(part.decode("utf-8") for part in parts if part)


def _describe(obj: object, version: str) -> bytes:
    """The object as the XML of its message's version, for raw storage of objects we keep but do not interpret."""
    if isinstance(obj, ed.FormatObject):
        try:
            return ed.object_xml(obj, version)
        except ed.FormatError:  # it was read from this version, so this is unexpected: keep what we can
            log.warning("could not re-serialize %s", type(obj).__name__, exc_info=True)
    return repr(obj).encode("utf-8")
