"""One simulated 1С:Мобильная касса: catalogue, orders, shifts, receipts, numbering, and its sync cycle.

Behaviour follows mobile-kassa.md §1: sync at start, every N seconds and at shift close; download organisation data,
goods and orders; upload receipts. A sync is "receive first, then send" (soap-services.md §10.1); the upload always
goes out, even with an empty Body, because it carries the acknowledgement of the download (enterprisedata.md §4.2).
"""

from __future__ import annotations

import base64
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .connection import ConnectionParams
from .documents import (
    OrderState,
    Receipt,
    ReceiptLine,
    ShiftClosing,
    ShiftOpening,
    UploadDocument,
    Vat,
    document_from_json,
    document_to_json,
)
from .flows import ExchangeFlow, make_flow
from .payload import PayloadError, unzip_message, zip_message
from .reader import IncomingMessage, MessageFormatError, read_message
from .soap import CallRecorder, SimulatorError
from .state import DeviceState, OutboxEntry, load_state, save_state
from .versions import SUPPORTED_VERSIONS, negotiate
from .writer import OutgoingHeader, write_message

__all__ = ["Device", "DeviceConfig", "SyncResult"]

logger = logging.getLogger(__name__)

# Order states in which the app may take payment (mobile-kassa.md §6: Согласован, Собран, В пути).
PAYABLE_ORDER_STATES = frozenset({"Подтвержден", "ГотовКВыдаче", "ПереданВДоставку", "Комплектуется"})
FINAL_ORDER_STATES = frozenset({"Выполнен", "Отменен"})
REFUSED = frozenset({"fault", "operation_failed"})
IMPORT_OPERATIONS = frozenset({"DownloadData", "PutData", "PutDataActionResult", "GetContinuousOperationStatus"})
"""A refusal in these calls means the server read our message and will refuse the same bytes again."""


@dataclass
class DeviceConfig:
    params: ConnectionParams
    service: str = "ede"  # ede | exchange
    state_path: Path | None = None  # None: keep the state in memory only
    receipts_per_cycle: int = 3
    shift_cycles: int = 5  # close the shift (and sync) after this many cycles
    card_share: float = 0.4
    return_share: float = 0.15
    order_payment_share: float = 0.5
    cashier: str = "Кассир"
    part_kb: int = 1024
    poll_interval: float = 3.0
    timeout: float = 600.0
    seed: int | None = None
    variant_share: float = 0.2
    """How often a sale includes a product with characteristics (sizes), when the catalogue has one."""
    discount_card_share: float = 0.3
    """How often a receipt names one of the downloaded discount cards."""
    bom: bool = True
    name: str = ""
    engine: str = "zeep"  # zeep | template (engine.py: envelopes from templates over a pooled client)

    @property
    def factory_number(self) -> str:
        return self.params.application_id


@dataclass
class SyncResult:
    message_no: int | None  # the server's message we imported (None: nothing new)
    received_objects: int
    sent_message_no: int
    sent_documents: int
    confirmed_receipts: int
    version: str | None
    skipped_types: dict[str, int] = field(default_factory=dict)


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%dT%H:%M:%S")


class Device:
    """The app on one phone. Not thread-safe: one thread drives one device."""

    def __init__(
        self,
        config: DeviceConfig,
        recorder: CallRecorder | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.config = config
        self.recorder = recorder or CallRecorder()
        self.stop = stop or threading.Event()
        self.random = random.Random(config.seed if config.seed is not None else config.factory_number)
        if config.state_path is not None:
            self.state = load_state(config.state_path, config.factory_number)
        else:
            self.state = DeviceState(factory_number=config.factory_number)
        self.resumed = self.state.syncs > 0
        self._flow: ExchangeFlow | None = None

    # -- plumbing -----------------------------------------------------------------------------------------------

    @property
    def flow(self) -> ExchangeFlow:
        if self._flow is None:
            self._flow = make_flow(
                self.config.service,
                self.config.params,
                self.recorder,
                part_kb=self.config.part_kb,
                poll_interval=self.config.poll_interval,
                timeout=self.config.timeout,
                stop=self.stop,
                engine=self.config.engine,
            )
        return self._flow

    def save(self) -> None:
        if self.config.state_path is not None:
            save_state(self.config.state_path, self.state)

    def close(self) -> None:
        if self._flow is not None:
            self._flow.close()
            self._flow = None

    # -- the sync -----------------------------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Check the connection, receive and import the server's message, then upload ours."""
        self.flow.check()
        incoming = self.receive()
        sent_no, sent_documents = self.send()
        self.state.syncs += 1
        self.save()
        return SyncResult(
            message_no=incoming.header.message_no,
            received_objects=incoming.object_count,
            sent_message_no=sent_no,
            sent_documents=sent_documents,
            confirmed_receipts=self.state.receipts_confirmed,
            version=self.state.version,
            skipped_types=dict(incoming.skipped),
        )

    def receive(self) -> IncomingMessage:
        payload = self.flow.receive()
        try:
            message = read_message(unzip_message(payload))
        except (PayloadError, MessageFormatError) as exc:
            raise SimulatorError("message", f"{self.flow.service}.receive", str(exc)) from exc
        self.apply(message)
        self.save()
        return message

    def send(self) -> tuple[int, int]:
        """Upload our message: first the one built before and never confirmed delivered, if any (the same number and
        the same bytes), then, when documents wait that no message carries yet, a new numbered message with every
        unacknowledged document (possibly none: the upload carries the acknowledgement of the download)."""
        pending = self.state.pending
        if pending is not None:
            self._deliver(pending)
            if all(entry.first_sent_in is not None for entry in self.state.outbox):
                return int(pending["message_no"]), int(pending["documents"])
        built = self._build()
        self._deliver(built)
        return int(built["message_no"]), int(built["documents"])

    def _build(self) -> dict[str, Any]:
        """Write, number and zip the next message, as SSL does (enterprisedata.md §4.1): the number is taken once,
        when the message is built, and the message is kept until it is delivered, so a retry after a failure (a
        server that crashed after committing it, say) resends exactly this message and never re-uses its number for
        other documents."""
        version = self.state.version or "1.8"
        message_no = self.state.sent_no + 1
        documents = [document_from_json(entry.document) for entry in self.state.outbox]
        header = OutgoingHeader(
            version=version,
            exchange_plan=self.config.params.exchange_plan,
            sender=self.config.factory_number,
            recipient=self.state.server_node,
            message_no=message_no,
            received_no=self.state.received_no,
        )
        data = write_message(header, documents, bom=self.config.bom)
        entry_name = "data.xml" if self.config.service.lower().startswith("ede") else self._exchange_entry_name()
        payload = zip_message(data, entry_name)
        self.state.sent_no = message_no
        for entry in self.state.outbox:
            if entry.first_sent_in is None:
                entry.first_sent_in = message_no
                if entry.document["kind"] == "receipt":
                    self.state.receipts_sent += 1
        self.state.pending = {
            "message_no": message_no,
            "documents": len(documents),
            "payload": base64.b64encode(payload).decode("ascii"),
        }
        self.save()
        return self.state.pending

    def _deliver(self, pending: dict[str, Any]) -> None:
        try:
            self.flow.send(base64.b64decode(pending["payload"]))
        except SimulatorError as exc:
            if exc.kind in REFUSED and exc.operation.rsplit(".", 1)[-1] in IMPORT_OPERATIONS:
                # the server read the message and refused it: resending the same bytes would fail again. Its
                # documents stay unacknowledged and travel in the next numbered message.
                logger.warning("%s: message %s refused: %s", self.config.factory_number, pending["message_no"], exc)
                self.state.pending = None
                self.save()
            raise
        self.state.pending = None
        self.save()

    def _exchange_entry_name(self) -> str:
        return f"Message_{self.config.factory_number}_{self.state.server_node or ''}.xml"

    # -- importing the server's message ---------------------------------------------------------------------------

    def apply(self, message: IncomingMessage) -> None:
        """Receiver side of enterprisedata.md §4.2, then an idempotent import of the Body."""
        header = message.header
        state = self.state
        if header.available_versions:
            state.server_versions = list(header.available_versions)
        chosen = negotiate(SUPPORTED_VERSIONS, state.server_versions)
        if chosen is None and header.version in SUPPORTED_VERSIONS:
            chosen = header.version
        if chosen is None:
            raise SimulatorError(
                "message", "negotiate", f"no common EnterpriseData version with {list(state.server_versions)}"
            )
        state.version = chosen
        if header.sender:
            state.server_node = header.sender
        if header.version is None:  # settings-only: no numbering, no Body
            return
        message_no = header.message_no or 0
        if message_no > 0 and message_no <= state.received_no:
            logger.info("%s: message %s was already received; skipped", self.config.factory_number, message_no)
            return
        if header.received_no is not None:
            self._acknowledged(min(header.received_no, state.sent_no))
        self._import(message)
        if message_no > 0:
            state.received_no = message_no

    def _acknowledged(self, received_no: int) -> None:
        remaining = []
        for entry in self.state.outbox:
            if entry.first_sent_in is not None and entry.first_sent_in <= received_no:
                self.state.documents_confirmed += 1
                if entry.document["kind"] == "receipt":
                    self.state.receipts_confirmed += 1
            else:
                remaining.append(entry)
        self.state.outbox = remaining

    def _import(self, message: IncomingMessage) -> None:
        state = self.state
        for organisation in message.organisations:
            ref = organisation.get("Ссылка")
            if isinstance(ref, str) and ref:
                state.organisations[ref] = organisation
        for register in message.registers:
            number = register.get("РегистрационныйНомер")
            if number == self.config.factory_number or (state.register is None and len(message.registers) == 1):
                state.register = register
        for item in message.items:
            known = state.items.get(item.ref, {})
            state.items[item.ref] = {
                "key": item.key,
                "type": item.item_type,
                "vat": _vat_json(item.vat),
                "price": known.get("price"),
                "barcodes": known.get("barcodes", []),
                "characteristics": known.get("characteristics", []),
            }
        for barcode, item_ref in message.barcodes:
            target = state.items.get(item_ref)
            if target is not None and barcode not in target["barcodes"]:
                target["barcodes"].append(barcode)
        for price in message.prices:
            target = state.items.get(price.item_ref)
            if target is not None:
                target["price"] = str(price.price)
        for order in message.orders:
            known = state.orders.get(order.ref, {})
            state.orders[order.ref] = {
                "key": order.key,
                "amount": str(order.amount) if order.amount is not None else None,
                "lines": [
                    {
                        "item": line.item,
                        "quantity": str(line.quantity),
                        "price": str(line.price),
                        "amount": str(line.amount),
                        "vat": _vat_json(line.vat),
                    }
                    for line in order.lines
                ],
                "state": known.get("state"),
                "paid": known.get("paid", False),
            }
        for order_ref, order_state in message.order_states:
            if order_ref in state.orders:
                state.orders[order_ref]["state"] = order_state
        for terminal in message.terminals:
            if isinstance(terminal.get("Ссылка"), str):
                state.terminals[terminal["Ссылка"]] = terminal
        for card in message.discount_cards:
            if isinstance(card.get("Ссылка"), str):
                state.discount_cards[card["Ссылка"]] = card
        for item_ref, variant in message.characteristics:
            target = state.items.get(item_ref)
            if target is not None and isinstance(variant.get("Ссылка"), str):
                others = [v for v in target.get("characteristics", []) if v.get("Ссылка") != variant["Ссылка"]]
                target["characteristics"] = [*others, variant]
        if message.stock:  # a snapshot is the store's whole stock
            state.stock = {f"{r.item_ref}/{r.characteristic_ref or ''}": str(r.quantity) for r in message.stock}
        for deletion in message.deletions:
            if deletion.ref_type == "ЭквайринговыеТерминалыСсылка":
                state.terminals.pop(deletion.ref, None)
            elif deletion.ref_type == "ДисконтныеКартыСсылка":
                state.discount_cards.pop(deletion.ref, None)
            elif deletion.ref_type == "ХарактеристикиНоменклатурыСсылка":
                for target in state.items.values():
                    variants = target.get("characteristics") or []
                    target["characteristics"] = [v for v in variants if v.get("Ссылка") != deletion.ref]
            if deletion.ref_type == "НоменклатураСсылка":
                state.items.pop(deletion.ref, None)
            elif deletion.ref_type == "ЗаказКлиентаСсылка":
                state.orders.pop(deletion.ref, None)

    # -- the till -----------------------------------------------------------------------------------------------

    def register_block(self) -> dict[str, Any] | None:
        """Our КассыККМ key block; without one from the server, a minimal block over the first organisation."""
        if self.state.register is not None:
            return self.state.register
        if not self.state.organisations:
            return None
        organisation = next(iter(self.state.organisations.values()))
        return {
            "Наименование": self.config.name or self.config.factory_number,
            "Организация": organisation,
            "РегистрационныйНомер": self.config.factory_number,
        }

    def sellable_items(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (ref, item) for ref, item in self.state.items.items() if item.get("price") and Decimal(item["price"]) > 0
        ]

    def _queue(self, document: UploadDocument) -> None:
        self.state.outbox.append(OutboxEntry(document=document_to_json(document)))

    def _next_document_number(self) -> int:
        self.state.document_counter += 1
        return self.state.document_counter

    def open_shift(self) -> ShiftOpening:
        register = self.register_block()
        if register is None:
            raise SimulatorError("message", "open_shift", "the server sent no cash register and no organisation")
        state = self.state
        state.shift_number += 1
        opening = ShiftOpening(
            ref=str(uuid.uuid4()),
            date=_now(),
            shift_number=state.shift_number,
            register=register,
            number_in_app=self._next_document_number(),
            cashier=self.config.cashier,
        )
        state.shift_open = True
        state.shift_ref = opening.ref
        state.shift_opened_at = opening.date
        state.shift_takings = "0"
        state.shift_sales = []
        state.cycles_in_shift = 0
        self._queue(opening)
        return opening

    def close_shift(self) -> ShiftClosing:
        state = self.state
        register = self.register_block()
        if not state.shift_open or register is None:
            raise RuntimeError("no open shift to close")
        closing = ShiftClosing(
            ref=str(uuid.uuid4()),
            date=_now(),
            shift_number=state.shift_number,
            register=register,
            number_in_app=self._next_document_number(),
            cashier=self.config.cashier,
            amount=Decimal(state.shift_takings),
        )
        state.shift_open = False
        state.shift_sales = []
        self._queue(closing)
        return closing

    def _receipt(self, lines: list[ReceiptLine], *, card: bool, **extra: Any) -> Receipt:
        register = self.register_block()
        if register is None or not self.state.shift_open:
            raise RuntimeError("a receipt needs an open shift")
        self.state.fiscal_counter += 1
        receipt = Receipt(
            ref=str(uuid.uuid4()),
            date=_now(),
            shift_number=self.state.shift_number,
            register=register,
            number_in_app=self._next_document_number(),
            fiscal_number=self.state.fiscal_counter,
            cashier=self.config.cashier,
            lines=lines,
            **extra,
        )
        if card:
            receipt.card_amount = receipt.total
        sign = -1 if receipt.is_return else 1
        self.state.shift_takings = str(Decimal(self.state.shift_takings) + sign * receipt.total)
        self._queue(receipt)
        return receipt

    def sell(self, *, card: bool | None = None) -> Receipt | None:
        """A sale of 1–3 priced goods from the downloaded catalogue; None when nothing is priced."""
        items = self.sellable_items()
        if not items:
            return None
        lines = []
        chosen = self.random.sample(items, k=min(len(items), self.random.randint(1, 3)))
        sized = [entry for entry in items if entry[1].get("characteristics")]
        if sized and _none_chosen(chosen, sized) and self.random.random() < self.config.variant_share:
            chosen[0] = self.random.choice(sized)  # a product with sizes: the cashier picks one
        for _ref, item in chosen:
            quantity = Decimal(self.random.randint(1, 3))
            variants = item.get("characteristics") or []
            price = Decimal(item["price"])
            barcodes = item.get("barcodes") or []
            lines.append(
                ReceiptLine(
                    item=item["key"],
                    quantity=quantity,
                    price=price,
                    amount=(price * quantity).quantize(Decimal("0.01")),
                    barcode=barcodes[0] if barcodes and not variants else None,
                    vat=Vat(**item["vat"]) if item.get("vat") else None,
                    characteristic=self.random.choice(variants) if variants else None,
                )
            )
        paid_by_card = card if card is not None else self.random.random() < self.config.card_share
        extra: dict[str, Any] = {}
        if paid_by_card and self.state.terminals:
            extra["terminal"] = self.state.terminals[self.random.choice(sorted(self.state.terminals))]
        cards = sorted(ref for ref, c in self.state.discount_cards.items() if c.get("Статус") != "Аннулирована")
        if cards and self.random.random() < self.config.discount_card_share:
            extra["discount_card"] = self.state.discount_cards[self.random.choice(cards)]
        receipt = self._receipt(lines, card=paid_by_card, **extra)
        self.state.shift_sales.append(document_to_json(receipt))
        return receipt

    def return_sale(self) -> Receipt | None:
        """Return a sale of the current shift in full (ТоварыВозвратПродажи, Основание)."""
        if not self.state.shift_sales:
            return None
        sale = document_from_json(self.state.shift_sales.pop(self.random.randrange(len(self.state.shift_sales))))
        assert isinstance(sale, Receipt)
        return self._receipt(
            sale.lines,
            card=sale.card_amount > 0,
            is_return=True,
            base=sale.key_block(),
            terminal=sale.terminal,
            discount_card=sale.discount_card,
        )

    def payable_orders(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (ref, order)
            for ref, order in self.state.orders.items()
            if not order.get("paid") and order.get("lines") and (order.get("state") in PAYABLE_ORDER_STATES)
        ]

    def pay_order(self) -> Receipt | None:
        """Take payment for a received order: a receipt with ЗаказКлиента, then the order's state Выполнен."""
        orders = self.payable_orders()
        if not orders:
            return None
        _ref, order = orders[self.random.randrange(len(orders))]
        lines = [
            ReceiptLine(
                item=line["item"],
                quantity=Decimal(line["quantity"]),
                price=Decimal(line["price"]),
                amount=Decimal(line["amount"]),
                vat=Vat(**line["vat"]) if line.get("vat") else None,
            )
            for line in order["lines"]
        ]
        receipt = self._receipt(lines, card=self.random.random() < self.config.card_share, order=order["key"])
        order["paid"] = True
        order["state"] = "Выполнен"
        self._queue(
            OrderState(ref=str(uuid.uuid4()), order=order["key"], state="Выполнен", state_text="Выполнен", date=_now())
        )
        return receipt

    def trade(self) -> None:
        """One cycle's worth of till activity: open the shift, sell, sometimes return or take an order's payment,
        and close the shift after `shift_cycles` cycles."""
        if not self.sellable_items() and not self.payable_orders():
            return
        if not self.state.shift_open:
            self.open_shift()
        for _ in range(self.config.receipts_per_cycle):
            self.sell()
        if self.random.random() < self.config.return_share:
            self.return_sale()
        if self.random.random() < self.config.order_payment_share:
            self.pay_order()
        self.state.cycles_in_shift += 1
        if self.state.cycles_in_shift >= self.config.shift_cycles:
            self.close_shift()

    def run_cycle(self) -> SyncResult:
        """Trade, then sync (the sync right after a shift close is the «sync at shift close»). Timed as `cycle`;
        every failure is recorded with its kind and re-raised as a SimulatorError."""
        started = time.perf_counter()
        try:
            self.trade()
            result = self.sync()
        except SimulatorError as error:
            self.recorder.record_error(error.kind, error.operation)
            self.save()
            raise
        except Exception as exc:  # a bug or an unexpected server answer: count it, do not kill the fleet
            logger.exception("%s: cycle failed", self.config.factory_number)
            self.recorder.record_error("client", type(exc).__name__)
            self.save()
            raise SimulatorError("client", "cycle", f"{type(exc).__name__}: {exc}") from exc
        self.recorder.record_latency("cycle", time.perf_counter() - started)
        return result


def _none_chosen(chosen: list[tuple[str, dict[str, Any]]], candidates: list[tuple[str, dict[str, Any]]]) -> bool:
    refs = {ref for ref, _ in chosen}
    return not any(ref in refs for ref, _ in candidates)


def _vat_json(vat: Vat | None) -> dict[str, Any] | None:
    if vat is None:
        return None
    return {"rate": vat.rate, "calculated": vat.calculated, "exempt": vat.exempt, "kind": vat.kind}
