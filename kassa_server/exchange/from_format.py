"""EnterpriseData objects → ORM rows: one handler per incoming object type, in one module-level table.

The pair of ``to_format.py`` (rows → format); together they are the only modules that import both the models and the
format. ``inbound.py`` runs the protocol steps and hands each object of the Body to ``apply``. A new incoming type is
one handler function and one row of ``HANDLERS``; what the server advertises as received (``RECEIVES``) is derived
from the table, so every listed type is applied (issue 9 §5). Dates are converted to naive UTC here (clock.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from kassa_server import enterprisedata as ed
from kassa_server.exchange import retail
from kassa_server.exchange.clock import Clock, to_utc
from kassa_server.exchange.errors import (
    ForeignCashRegister,
    ForeignOrganization,
    ForeignReceipt,
    ObjectRejected,
    ObjectWithoutRef,
    UnknownCashRegister,
)
from kassa_server.exchange.to_format import VAT_FORMS
from kassa_server.models import (
    AcquiringTerminal,
    CashOperation,
    CashRegister,
    Characteristic,
    Counterparty,
    CustomerOrder,
    DiscountCard,
    ExchangeNode,
    Infobase,
    MarkingCode,
    OrderLine,
    Organization,
    Product,
    RawObject,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    Shift,
    ShiftReport,
    Unit,
)
from kassa_server.models.enums import (
    CashOperationKind,
    OrderStatus,
    PaymentKind,
    ProductKind,
    ReceiptKind,
    VatRate,
)

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
PIECE_CODE = "796"
"""ОКЕИ code of «шт», the unit of goods a device creates without one we know."""

Handler = Callable[["Context", Any], None]

PAYMENT_KINDS: dict[ed.PaymentType, PaymentKind] = {
    ed.PaymentType.CASH: PaymentKind.CASH,
    ed.PaymentType.ELECTRONIC: PaymentKind.CARD,
    ed.PaymentType.PREPAYMENT: PaymentKind.PREPAYMENT,
    ed.PaymentType.POSTPAYMENT: PaymentKind.POSTPAYMENT,
    ed.PaymentType.COUNTER_PROVISION: PaymentKind.COUNTER_PROVISION,
}


def vat_rate(obj: ed.VatRate | None) -> VatRate | None:
    if obj is None:
        return None
    for rate, (value, calculated, exempt, _kind) in VAT_FORMS.items():
        same = (value is None and obj.rate is None) or (
            value is not None and obj.rate is not None and value == obj.rate
        )
        if same and calculated == obj.calculated and exempt == obj.exempt:
            return rate
    return None


def order_status_from_state(state: ed.OrderStatus | None) -> OrderStatus | None:
    """The app's СостояниеЗаказа → a 1С:Касса status: Выполнен → completed, Отменен → cancelled, others kept."""
    if state == ed.OrderStatus.DONE:
        return OrderStatus.COMPLETED
    if state == ed.OrderStatus.CANCELLED:
        return OrderStatus.CANCELLED
    return None


@dataclass
class Context:
    """One message's state while its Body is applied: where rows go, what was counted, per-message look-ups."""

    session: Session
    infobase: Infobase
    node: ExchangeNode
    version: str
    clock: Clock
    zone: dt.tzinfo
    applied: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    strict: bool = True
    """``ProtocolOptions.strict_node_identity``: refuse till documents of another device's register/organization."""
    register: CashRegister | None = None
    # Look-ups repeat for every line of every receipt; within the message's one transaction their answers only
    # change through the handlers, which remember what they add: so a row made earlier in the message (a customer,
    # an order, a product) is found again without a flush, and stored once (issue 14 §14).
    rows: dict[tuple[type, uuid.UUID], Any] = field(default_factory=dict)
    registers: dict[tuple[str, object], CashRegister | None] = field(default_factory=dict)
    balances: dict[tuple[int | None, int, int | None], int] = field(default_factory=dict)
    """Stock balance ids by (store, product, characteristic) found or made in this message (``retail``)."""
    receipt_rows: retail.LastVersions[_ReceiptRows] = field(default_factory=retail.LastVersions)
    """The lines, payments and marks of the batch's receipts, written together by ``settle``."""
    receipts: dict[uuid.UUID, Receipt | None] = field(default_factory=dict)
    """Receipts by ``Ссылка`` of the batch being applied (``prepare`` looks them up together; ``settle`` forgets them,
    so the rows of a big message are not all held)."""
    stock: retail.StockMoves = field(default_factory=retail.StockMoves)
    """The stock movements of the batch's receipts, applied together by ``settle``."""
    deferred: list[tuple[Handler, Any]] = field(default_factory=list)
    """Objects that refer to an order not seen yet; applied again when the Body ends (``finish``)."""
    order_links: list[tuple[Receipt, uuid.UUID, bool]] = field(default_factory=list)
    finishing: bool = False

    def __post_init__(self) -> None:
        if self.register is None and self.node.cash_register_id:
            self.register = self.session.get(CashRegister, self.node.cash_register_id)

    def count(self, what: str) -> None:
        self.applied[what] = self.applied.get(what, 0) + 1

    def date(self, value: dt.datetime | None) -> dt.datetime:
        """A format date as stored (naive UTC); the clock's time when the object has none."""
        return to_utc(value, self.zone) if value is not None else self.clock()

    def find(self, model: Any, ref: uuid.UUID | None) -> Any:
        """The infobase's row of ``model`` with this ``Ссылка``, including one added earlier in this message."""
        if ref is None:
            return None
        if (model, ref) not in self.rows:
            self.rows[model, ref] = self.session.scalar(
                select(model).where(model.infobase_id == self.infobase.id, model.ref == ref)
            )
        return self.rows[model, ref]

    def remember(self, row: Any) -> None:
        self.rows[type(row), row.ref] = row

    def product_by_ref(self, ref: uuid.UUID | None) -> Product | None:
        return cast(Product | None, self.find(Product, ref))

    def order_by_ref(self, ref: uuid.UUID | None) -> CustomerOrder | None:
        return cast(CustomerOrder | None, self.find(CustomerOrder, ref))

    def defer(self, handler: Handler, obj: Any) -> bool:
        """Keep ``obj`` for the end of the Body (its order may come later in it); False once the Body has ended."""
        if self.finishing:
            return False
        self.deferred.append((handler, obj))
        return True

    def cash_register_of(self, obj: ed.ShiftDocument | ed.RetailReport) -> CashRegister:
        """The register a till document is booked to: the calling device's. In strict mode (the default) a document
        that names another register or organization is refused (``ObjectRejected``), never booked to the caller."""
        key = obj.cash_register
        named = self._named_register(key) if key is not None else None
        if self.register is None:  # a node without a register (auto-created, tests): the one named, if any
            if named is None:
                raise UnknownCashRegister(type(obj).wire_name, obj.ref)
            return named
        if key is not None and self.strict:
            wire_name = type(obj).wire_name
            if named is None or named.id != self.register.id:
                label = (key.registration_number or "").strip() or str(key.ref or "")
                raise ForeignCashRegister(wire_name, obj.ref, named.factory_number if named else label)
            org = key.organization
            if org is not None and org.ref is not None and org.ref != self.register.organization.ref:
                raise ForeignOrganization(wire_name, obj.ref, org.name or str(org.ref))
        return named if named is not None else self.register

    def _named_register(self, key: ed.CashRegister) -> CashRegister | None:
        if key.ref is not None and self.register is not None and key.ref == self.register.ref:
            return self.register  # the calling device's own register, as nearly every till document names it
        if key.ref is not None:
            found = self._register_where("ref", key.ref, CashRegister.ref == key.ref)
            if found is not None:
                return found
        if key.registration_number:
            number = key.registration_number.strip()
            return self._register_where("factory_number", number, CashRegister.factory_number == number)
        return None

    def _register_where(self, key: str, value: object, condition: Any) -> CashRegister | None:
        if (key, value) not in self.registers:
            self.registers[key, value] = self.session.scalar(
                select(CashRegister).where(CashRegister.infobase_id == self.infobase.id, condition)
            )
        return self.registers[key, value]

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

    def describe(self, obj: object) -> bytes:
        """The object as the XML of its message's version, for raw storage of objects we keep but do not interpret."""
        if isinstance(obj, ed.FormatObject):
            try:
                return ed.object_xml(obj, self.version)
            except ed.FormatError:  # it was read from this version, so this is unexpected: keep what we can
                log.warning("could not re-serialize %s", type(obj).__name__, exc_info=True)
        return repr(obj).encode("utf-8")


# --- documents from the till ---------------------------------------------------------------------------------------


def receipt(ctx: Context, obj: ed.Receipt) -> None:
    """objects.md §7: receipts without goods are dropped (kept raw); card = ОплатыККМ rows with Электронно."""
    if obj.ref is None:
        raise ObjectWithoutRef(obj.wire_name)
    rows: list[ed.ReceiptGoodsRow | ed.ReceiptReturnRow | ed.ReceiptServiceRow] = [
        *obj.sales,
        *obj.returns,
        *obj.services,  # objects.md §7: goods come from ТоварыПродажа plus Услуги
    ]
    if not rows:
        ctx.keep_raw(obj.wire_name, str(obj.ref), ctx.describe(obj), "receipt without goods: dropped")
        ctx.warnings.append(f"Документ.ЧекККМ {obj.ref}: no goods, dropped")
        return
    register = ctx.cash_register_of(obj)
    if obj.ref in ctx.receipts:  # looked up by ``prepare``, or made earlier in this batch (the same receipt twice)
        row = ctx.receipts[obj.ref]
    else:
        row = ctx.session.scalar(select(Receipt).where(Receipt.infobase_id == ctx.infobase.id, Receipt.ref == obj.ref))
    stored_before = row is not None
    if row is not None and ctx.strict and row.cash_register_id not in {None, register.id}:
        # a receipt belongs to the register that sent it first (issue 14 §13)
        owner = ctx.session.get(CashRegister, row.cash_register_id)
        raise ForeignReceipt(obj.wire_name, obj.ref, owner.factory_number if owner else "?")
    if row is None:
        row = Receipt(infobase_id=ctx.infobase.id, ref=obj.ref, amount=ZERO, cash_amount=ZERO, card_amount=ZERO)
        ctx.session.add(row)
        ctx.receipts[obj.ref] = row
    is_return = bool(obj.is_return) or (bool(obj.returns) and not obj.sales)
    row.kind = ReceiptKind.RETURN if is_return else ReceiptKind.SALE
    row.date = ctx.date(obj.date)
    row.cash_register = register
    row.shift_number = obj.shift_number or ""
    row.number_in_app = obj.number_in_app or ""
    row.fiscal_number = obj.receipt_number or ""
    row.cashier = _cashier(obj.operation)
    row.cancelled = bool(obj.cancelled)
    row.format_version = ctx.version
    row.base_receipt_ref = obj.base.ref if obj.base is not None else None
    row.extra_attributes = _raw_text(obj.additional_attributes, obj.additional_info)
    # The lines, payments and marks are rows the import never reads back: written with plain statements by
    # ``settle``, together with those of the batch's other receipts (one sent again loses its old ones there).
    lines: list[dict[str, Any]] = []
    total = ZERO
    for number, goods_row in enumerate(rows, start=1):
        goods = goods_row.goods.item if goods_row.goods is not None else None
        product = ctx.product_by_ref(goods.ref if goods else None)
        amount = goods_row.amount if goods_row.amount is not None else ZERO
        total += amount
        lines.append(
            {
                "line_no": goods_row.line_no or number,
                "product_ref": goods.ref if goods else None,
                "product_name": (goods.name or "") if goods else "",
                "product_id": product.id if product else None,
                "quantity": goods_row.quantity if goods_row.quantity is not None else Decimal(0),
                "price": goods_row.price if goods_row.price is not None else ZERO,
                "amount": amount,
                "vat_rate": vat_rate(goods_row.vat),
                "vat_amount": goods_row.vat_amount,
                "is_service": isinstance(goods_row, ed.ReceiptServiceRow)
                or bool(product and product.kind == ProductKind.SERVICE),
                "characteristic_ref": None,
                "characteristic_name": "",
                "characteristic_id": None,
            }
        )
    operation_total = obj.operation.amount if obj.operation and obj.operation.amount is not None else None
    row.amount = operation_total if operation_total is not None else total
    card = ZERO
    payments: list[dict[str, Any]] = []
    for payment_row in obj.payments:
        kind = PAYMENT_KINDS.get(payment_row.payment_type or ed.PaymentType.CASH, PaymentKind.CASH)
        amount = payment_row.amount if payment_row.amount is not None else ZERO
        if kind == PaymentKind.CARD:
            card += amount
        payments.append(
            {
                "kind": kind,
                "amount": amount,
                "rrn": "",
                "card_number": "",
                "terminal_ref": None,
                "terminal_number": "",
                "terminal_id": None,
            }
        )
    for card_row in obj.card_payments:  # extra detail (RRN, card number) of the card payment
        for payment in payments:
            if payment["kind"] == PaymentKind.CARD and not payment["rrn"]:
                payment["rrn"] = (card_row.rrn or "")[:12]
                payment["card_number"] = (card_row.card_number or "")[:50]
                break
    row.card_amount = card
    row.cash_amount = max(row.amount - card, ZERO)
    marks: list[dict[str, Any]] = []
    for mark in obj.marking_codes:
        if mark.code:
            marked = mark.goods.item if mark.goods is not None else None
            marks.append({"code": mark.code, "product_ref": marked.ref if marked else None})
    if obj.order is not None and obj.order.ref is not None:
        ctx.order_links.append((row, obj.order.ref, is_return))  # linked when the Body ends: the order may follow
    # card, terminal, characteristics, stock (issue 17), with the message's memo of rows and balances; the stock
    # moves with the batch's other receipts (``settle``)
    retail.receipt_extras(
        ctx.session,
        ctx.infobase,
        row,
        obj,
        lines=lines,
        payments=payments,
        find=ctx.find,
        balances=ctx.balances,
        stock=ctx.stock,
        stored_before=stored_before,
    )
    ctx.receipt_rows.add(_ReceiptRows(row, stored_before, lines, payments, marks))
    ctx.count("receipts")


def shift_opening(ctx: Context, obj: ed.ShiftOpening) -> None:
    shift = _shift(ctx, obj)
    shift.open_ref = obj.ref
    shift.opened_at = to_utc(obj.date, ctx.zone) if obj.date is not None else None
    shift.cashier = (obj.cashier.name or "") if obj.cashier else shift.cashier
    ctx.count("shift_openings")


def shift_closing(ctx: Context, obj: ed.ShiftClosing) -> None:
    shift = _shift(ctx, obj)
    shift.close_ref = obj.ref
    shift.closed_at = to_utc(obj.date, ctx.zone) if obj.date is not None else None
    shift.closing_amount = obj.operation.amount if obj.operation else None
    shift.cashier = shift.cashier or _cashier(obj.operation)
    ctx.count("shift_closings")


def _shift(ctx: Context, obj: ed.ShiftDocument) -> Shift:
    register = ctx.cash_register_of(obj)
    number = obj.shift_number or ""
    shift = ctx.session.scalar(select(Shift).where(Shift.cash_register_id == register.id, Shift.number == number))
    if shift is None:
        shift = Shift(infobase_id=ctx.infobase.id, cash_register_id=register.id, number=number)
        ctx.session.add(shift)
        ctx.session.flush()
    return shift


def cash_operation(ctx: Context, obj: ed.CashDeposit | ed.CashWithdrawal) -> None:
    if obj.ref is None:
        raise ObjectWithoutRef(obj.wire_name)
    register = ctx.cash_register_of(obj)
    row = ctx.session.scalar(
        select(CashOperation).where(CashOperation.infobase_id == ctx.infobase.id, CashOperation.ref == obj.ref)
    )
    if row is None:
        row = CashOperation(infobase_id=ctx.infobase.id, ref=obj.ref)
        ctx.session.add(row)
    row.kind = CashOperationKind.CASH_IN if isinstance(obj, ed.CashDeposit) else CashOperationKind.CASH_OUT
    row.date = ctx.date(obj.date)
    row.cash_register_id = register.id
    row.shift_number = obj.shift_number or ""
    row.amount = obj.operation.amount if obj.operation and obj.operation.amount is not None else ZERO
    row.cashier = _cashier(obj.operation)
    ctx.count("cash_operations")


def retail_report(ctx: Context, obj: ed.RetailReport) -> None:
    if obj.ref is None:
        raise ObjectWithoutRef(obj.wire_name)
    register = ctx.cash_register_of(obj) if obj.cash_register is not None else ctx.register
    report = ctx.session.scalar(
        select(ShiftReport).where(ShiftReport.infobase_id == ctx.infobase.id, ShiftReport.ref == obj.ref)
    )
    if report is None:
        report = ShiftReport(infobase_id=ctx.infobase.id, ref=obj.ref)
        ctx.session.add(report)
    report.number = obj.number or ""
    report.date = ctx.date(obj.date)
    report.cash_register_id = register.id if register else None
    report.amount = obj.amount
    report.raw_xml = ctx.describe(obj).decode("utf-8")
    ctx.count("shift_reports")


# --- orders and catalogue ------------------------------------------------------------------------------------------


def customer_order(ctx: Context, obj: ed.CustomerOrder) -> None:
    """An order made on the device joins the back office with all its lines, its organization and customer; goods
    we do not know are created from the key properties the line carries, as 1C creates an object it cannot find
    from its ``КлючевыеСвойства``. For a known order the back office's version wins."""
    if obj.ref is None:
        raise ObjectWithoutRef(obj.wire_name)
    if ctx.order_by_ref(obj.ref) is not None:
        ctx.count("orders_known")
        return
    if ctx.register is None:
        ctx.keep_raw(obj.wire_name, str(obj.ref), ctx.describe(obj), "no register to take the organization from")
        ctx.warnings.append(f"{obj.wire_name} {obj.ref}: no register to take the organization from, kept raw")
        return
    party = None
    if obj.counterparty is not None and obj.counterparty.ref is not None:
        counterparty(ctx, obj.counterparty)
        party = ctx.find(Counterparty, obj.counterparty.ref)
    organization = ctx.find(Organization, obj.organization.ref) if obj.organization is not None else None
    order = CustomerOrder(
        infobase_id=ctx.infobase.id,
        ref=obj.ref,
        number=(obj.number or str(obj.ref))[:50],
        date=ctx.date(obj.date),
        organization=organization or ctx.register.organization,
        counterparty=party,
        store_id=ctx.register.store_id,
        cash_register_id=ctx.register.id,
        amount=obj.amount if obj.amount is not None else ZERO,
    )
    rows: list[ed.OrderGoodsRow | ed.OrderServiceRow] = [*obj.goods, *obj.services]
    total = ZERO
    for number, row in enumerate(rows, start=1):
        goods = row.item if isinstance(row, ed.OrderServiceRow) else (row.goods.item if row.goods else None)
        product = ctx.product_by_ref(goods.ref if goods else None)
        if product is None and goods is not None and goods.ref is not None:
            key = dataclasses.replace(goods)
            if isinstance(row, ed.OrderServiceRow) and key.item_type is None:
                key.item_type = ed.ItemType.SERVICE
            item(ctx, key)
            product = ctx.product_by_ref(goods.ref)
        if product is None:
            ctx.warnings.append(f"{obj.wire_name} {obj.ref}: line {row.line_no or number} names no goods, skipped")
            continue
        amount = row.amount if row.amount is not None else ZERO
        total += amount
        order.lines.append(
            OrderLine(
                line_no=row.line_no or number,
                product=product,
                quantity=row.quantity if row.quantity is not None else Decimal(0),
                price=row.price if row.price is not None else ZERO,
                amount=amount,
                vat_rate=vat_rate(row.vat) or product.vat_rate,
                vat_amount=row.vat_amount if row.vat_amount is not None else ZERO,
            )
        )
    if obj.amount is None:
        order.amount = total
    elif total != obj.amount:
        ctx.warnings.append(f"{obj.wire_name} {obj.ref}: lines sum to {total}, the order says {obj.amount}")
    ctx.session.add(order)
    ctx.remember(order)
    retail.order_extras(ctx.session, ctx.infobase, order, obj)  # the characteristic of each line (issue 17)
    ctx.count("orders")


def _order_of(ctx: Context, handler: Handler, obj: ed.OrderState | ed.OrderPaymentState | ed.OrderShipmentState):
    """The order a state refers to; None after deferring the state to the end of the Body, or journaling it when
    the Body had no such order either."""
    order = ctx.order_by_ref(obj.order.ref if obj.order else None)
    if order is None and not ctx.defer(handler, obj):
        ctx.keep_raw(obj.wire_name, str(obj.ref or ""), ctx.describe(obj), "order not found")
        ctx.warnings.append(f"{obj.wire_name} {obj.ref}: order {obj.order.ref if obj.order else None} not found")
    return order


def order_state(ctx: Context, obj: ed.OrderState) -> None:
    order = _order_of(ctx, order_state, obj)
    if order is None:
        return
    status = order_status_from_state(obj.state)
    if status is not None and order.status != status:
        order.status = status
        order.status_changed_at = ctx.date(obj.state_date)
    elif status is None:
        log.info("order %s: device state %s noted", order.number, obj.state)
    ctx.count("order_states")


def order_payment_state(ctx: Context, obj: ed.OrderPaymentState) -> None:
    order = _order_of(ctx, order_payment_state, obj)
    if order is None:
        return
    if obj.state == ed.PaymentStatus.PAID:
        order.paid = True
    ctx.count("order_payment_states")


def order_shipment_state(ctx: Context, obj: ed.OrderShipmentState) -> None:
    order = _order_of(ctx, order_shipment_state, obj)
    if order is not None:
        log.info("order %s: shipment state %s", order.number, obj.state)
    ctx.count("order_shipment_states")


def counterparty(ctx: Context, obj: ed.Counterparty) -> None:
    if obj.ref is None:
        return
    party = ctx.find(Counterparty, obj.ref)
    if party is None:
        party = Counterparty(infobase_id=ctx.infobase.id, ref=obj.ref, name=obj.name or "")
        ctx.session.add(party)
        ctx.remember(party)
    party.name = (obj.name or party.name or "")[:150]
    party.full_name = obj.full_name or party.full_name or party.name
    party.inn = (obj.inn or party.inn or "")[:12]
    party.kpp = (obj.kpp or party.kpp or "")[:9]
    ctx.count("counterparties")


def item(ctx: Context, obj: ed.Item) -> None:
    """Goods made on the device: new ones join the catalogue; the back office keeps its version of known ones."""
    if obj.ref is None or ctx.product_by_ref(obj.ref) is not None:
        return
    unit = None
    if obj.unit is not None and obj.unit.code:
        unit = ctx.session.scalar(select(Unit).where(Unit.infobase_id == ctx.infobase.id, Unit.code == obj.unit.code))
    if unit is None:  # every item we send needs its unit (ЕдиницаИзмерения is required): «шт», else the first one
        unit = ctx.session.scalar(
            select(Unit).where(Unit.infobase_id == ctx.infobase.id).order_by((Unit.code == PIECE_CODE).desc(), Unit.id)
        )
    product = Product(
        infobase_id=ctx.infobase.id,
        ref=obj.ref,
        name=(obj.name or "")[:150],
        full_name=obj.full_name or obj.name or "",
        article=obj.article or "",
        code=obj.code or "",
        kind=ProductKind.SERVICE if obj.item_type == ed.ItemType.SERVICE else ProductKind.GOODS,
        unit_id=unit.id if unit else None,
        weighed=bool(obj.weighed),
    )
    rate = vat_rate(obj.vat)
    if rate is not None:
        product.vat_rate = rate
    ctx.session.add(product)
    ctx.remember(product)
    ctx.count("items")


def reference_only(ctx: Context, obj: ed.FormatObject) -> None:
    """Организации/Склады from the app are its stored references: never overwrite ours (mobile-kassa.md §7.3)."""


def deletion(ctx: Context, obj: ed.Deletion) -> None:
    if obj.target_type is ed.Item:
        product = ctx.product_by_ref(obj.ref)
        if product is not None:
            product.deleted = True
    elif obj.target_type is ed.Counterparty:
        party = ctx.find(Counterparty, obj.ref)
        if party is not None:
            party.deleted = True
    else:
        log.info("deletion of %s %s from node %s noted", obj.target_type.wire_name, obj.ref, ctx.node.code)
    ctx.count("deletions")


HANDLERS: dict[type, Handler] = {
    ed.Receipt: receipt,
    ed.ShiftOpening: shift_opening,
    ed.ShiftClosing: shift_closing,
    ed.CashDeposit: cash_operation,
    ed.CashWithdrawal: cash_operation,
    ed.RetailReport: retail_report,
    ed.CustomerOrder: customer_order,
    ed.OrderState: order_state,
    ed.OrderPaymentState: order_payment_state,
    ed.OrderShipmentState: order_shipment_state,
    ed.Counterparty: counterparty,
    ed.Item: item,
    ed.Organization: reference_only,
    ed.Warehouse: reference_only,
    ed.Deletion: deletion,
}
"""Incoming format type → its handler. A type that is not here is kept raw (``RawObject``), never guessed at."""

RECEIVES: tuple[str, ...] = tuple(
    sorted(
        cast(str, kind.wire_name)  # type: ignore[attr-defined]
        for kind, handler in HANDLERS.items()
        if kind is not ed.Deletion and handler is not reference_only
    )
)
"""What we advertise as received (``AvailableObjectTypes``, ``GetIBParameters``): exactly the types a handler
applies (issue 9 §5). Организации/Склады the app sends are only its copies of ours: accepted, never listed."""


def apply(ctx: Context, obj: object) -> None:
    """Apply one object of the Body: its handler, or raw storage for what has none."""
    handler = HANDLERS.get(type(obj))
    if handler is not None:
        _run(ctx, handler, obj)
    elif isinstance(obj, ed.UnknownObject | ed.InvalidObject):
        reason = getattr(obj, "reason", "") or "unknown object type"
        ctx.keep_raw(obj.type_name, obj.ref, obj.raw, reason)
        ctx.warnings.append(f"{obj.type_name} {obj.ref or ''}: {reason}".strip())
    else:
        wire = getattr(type(obj), "wire_name", type(obj).__name__)
        ctx.keep_raw(wire, str(getattr(obj, "ref", "") or ""), ctx.describe(obj), "kept, not interpreted")


def prepare(ctx: Context, objects: Sequence[object]) -> None:
    """Before a batch of the Body is applied: look up what its receipts name — the receipts themselves, their goods,
    characteristics, cards and terminals — with one query a kind, into the message's memo, instead of one a line.
    The answers are those each look-up would get: within the message's transaction they change only through the
    handlers, which remember what they add."""
    refs: dict[Any, set[uuid.UUID]] = {
        Product: set(),
        Characteristic: set(),
        DiscountCard: set(),
        AcquiringTerminal: set(),
    }
    receipts: set[uuid.UUID] = set()
    for obj in objects:
        if type(obj) is not ed.Receipt or obj.ref is None:
            continue
        receipts.add(obj.ref)
        rows: list[ed.ReceiptGoodsRow | ed.ReceiptReturnRow | ed.ReceiptServiceRow] = [
            *obj.sales,
            *obj.returns,
            *obj.services,
        ]
        for goods_row in rows:
            goods = goods_row.goods
            if goods is None:
                continue
            if goods.item is not None and goods.item.ref is not None:
                refs[Product].add(goods.item.ref)
            if goods.characteristic is not None and goods.characteristic.ref is not None:
                refs[Characteristic].add(goods.characteristic.ref)
        if obj.loyalty_card is not None and obj.loyalty_card.ref is not None:
            refs[DiscountCard].add(obj.loyalty_card.ref)
        for card_row in obj.card_payments:
            if card_row.terminal is not None and card_row.terminal.ref is not None:
                refs[AcquiringTerminal].add(card_row.terminal.ref)
    for model, wanted in refs.items():
        missing = sorted(ref for ref in wanted if (model, ref) not in ctx.rows)
        if not missing:
            continue
        for found in ctx.session.scalars(_by_refs(model), {"infobase": ctx.infobase.id, "refs": missing}):
            ctx.rows.setdefault((model, found.ref), found)
        for ref in missing:
            ctx.rows.setdefault((model, ref), None)
    missing = sorted(ref for ref in receipts if ref not in ctx.receipts)
    if missing:
        for found in ctx.session.scalars(_RECEIPTS_BY_REF, {"infobase": ctx.infobase.id, "refs": missing}):
            ctx.receipts.setdefault(found.ref, found)
        for ref in missing:
            ctx.receipts.setdefault(ref, None)


def settle(ctx: Context) -> None:
    """The end of a batch of the Body: write the lines, payments and marks of its receipts and move their stock,
    together (one flush, a statement a table, one lock), then forget them, so a big message does not hold all its
    rows. ``apply`` alone leaves a receipt's rows waiting for this (``finish`` calls it)."""
    pending = list(ctx.receipt_rows.pending.values())
    if pending:
        ctx.session.flush()  # the receipts get their ids
        resent = sorted(rows.receipt.id for rows in pending if rows.stored_before)
        if resent:  # a receipt sent again: its new rows replace the old ones
            for _, drop in _RECEIPT_CHILDREN.values():
                ctx.session.execute(drop, {"receipts": resent})
        for name, (add, _) in _RECEIPT_CHILDREN.items():
            values = [{**value, "receipt_id": rows.receipt.id} for rows in pending for value in getattr(rows, name)]
            if values:
                ctx.session.execute(add, values)
    retail.apply_moves(ctx.session, ctx.infobase, list(ctx.stock.pending.values()), ctx.balances)
    ctx.receipt_rows.pending.clear()
    ctx.stock.pending.clear()
    ctx.receipts.clear()


@dataclass
class _ReceiptRows:
    receipt: Receipt
    stored_before: bool
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    marks: list[dict[str, Any]]


def _children(table: Any) -> tuple[Any, Any]:
    """The INSERT of a receipt's child rows and the DELETE of those of some receipts, built once."""
    return insert(table), delete(table).where(table.c.receipt_id.in_(bindparam("receipts", expanding=True)))


_RECEIPT_CHILDREN: dict[str, tuple[Any, Any]] = {
    "lines": _children(ReceiptLine.__table__),
    "payments": _children(ReceiptPayment.__table__),
    "marks": _children(MarkingCode.__table__),
}


def finish(ctx: Context) -> None:
    """The Body has ended: apply what waited for an order of the same message, link receipts to orders, move the
    stock of the last batch."""
    ctx.finishing = True
    deferred, ctx.deferred = ctx.deferred, []
    for handler, obj in deferred:
        _run(ctx, handler, obj)
    if ctx.order_links:
        ctx.session.flush()  # orders made by this message get their ids
    for receipt_row, order_ref, is_return in ctx.order_links:
        order = ctx.order_by_ref(order_ref)
        if order is None:
            continue
        receipt_row.order_id = order.id
        if not is_return:
            order.paid = True
    ctx.order_links.clear()
    settle(ctx)


_BY_REFS: dict[Any, Any] = {}


def _by_refs(model: Any) -> Any:
    """The statement that finds ``model``'s rows of an infobase by a list of refs, built once per model."""
    if model not in _BY_REFS:
        _BY_REFS[model] = select(model).where(
            model.infobase_id == bindparam("infobase"), model.ref.in_(bindparam("refs", expanding=True))
        )
    return _BY_REFS[model]


_RECEIPTS_BY_REF = select(Receipt).where(
    Receipt.infobase_id == bindparam("infobase"), Receipt.ref.in_(bindparam("refs", expanding=True))
)


def _run(ctx: Context, handler: Handler, obj: Any) -> None:
    try:
        with ctx.session.no_autoflush:  # a half-built row must not be flushed by a look-up
            handler(ctx, obj)  # handlers raise ObjectRejected before they change anything
    except ObjectRejected as exc:  # one object refused: the rest of the message is applied, the refusal journaled
        log.warning("node %s: %s", ctx.node.code, exc)
        ctx.warnings.append(str(exc))
        ctx.keep_raw(exc.object_type, str(exc.ref or ""), ctx.describe(obj), f"rejected: {exc.reason}")


def _cashier(operation: ed.CashOperationData | None) -> str:
    if operation is None or operation.cashier is None:
        return ""
    return (operation.cashier.name or "")[:150]


def _raw_text(*parts: bytes | None) -> str:
    return "".join(part.decode("utf-8") for part in parts if part)
