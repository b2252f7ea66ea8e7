"""The device → server message (1C calls this ``DownloadData`` / ``PutData``), applied atomically and idempotently.

The protocol steps live here (header checks, node identity, numbering, acknowledgement); each object of the Body goes
to ``from_format.apply``, which maps it to rows. One message is one transaction: the caller commits only when the
whole Body was applied, so a bad message leaves nothing behind. The same ``Ссылка`` again updates its row; the same
message twice is a duplicate by number and changes nothing (enterprisedata.md §4.2). Rejections are typed
``MessageRejected`` subclasses; their 1C texts are in services/faults.py.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from kassa_server import enterprisedata as ed
from kassa_server.exchange import from_format
from kassa_server.exchange.clock import Clock, utc_now, zone
from kassa_server.exchange.errors import (
    BodyUnreadable,
    MessageRejected,
    MissingBody,
    MissingConfirmation,
    UnknownSender,
    UnreadableMessage,
    UnsupportedFormatVersion,
    WrongRecipient,
)
from kassa_server.exchange.numbering import DUPLICATE_WARNING, Disposition, decide
from kassa_server.models import ExchangeNode, Infobase, NodeMessage
from kassa_server.models.tracking import ORIGIN_NODE
from kassa_server.settings import ProtocolOptions

log = logging.getLogger(__name__)

FLUSH_EVERY = 500
"""Objects applied in one batch. The rows of a big message (a till that was offline for days) go to the database
in batches, so they are not all held as pending objects until the end; the message still commits once. What a
batch's receipts name is looked up together before it (``from_format.prepare``) and their stock moves together
after it (``from_format.settle``)."""


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
    clock: Clock = utc_now,
) -> InboundResult:
    """Read ``message`` and apply it for ``node``; raises a ``MessageRejected`` subclass naming what is wrong."""
    try:
        reader = ed.read_message(message, strict=options.strict_format)
        header = reader.header
    except ed.UnsupportedVersion as exc:
        raise UnsupportedFormatVersion(exc.version) from exc
    except ed.FormatError as exc:
        raise UnreadableMessage(str(exc)) from exc
    result = InboundResult(header.message_no, header.format_version)
    if header.format_version is None:  # SSL checks no identity and reads no Body in a settings-only message
        _remember_peer(node, header, options, plan)
        log.info("settings-only message from node %s: versions %s", node.code, header.available_versions)
        return result
    if header.format_version not in options.supported_format_versions:
        raise UnsupportedFormatVersion(header.format_version)
    _check_identity(infobase, node, header, options, result, plan)
    _remember_peer(node, header, options, plan)
    if not header.has_confirmation:
        raise MissingConfirmation()
    if not reader.has_body:
        raise MissingBody()

    decision = decide(header.message_no, header.received_no, last_received=node.received_no, last_sent=node.sent_no)
    if decision.disposition is Disposition.DUPLICATE:
        result.warnings.append(DUPLICATE_WARNING)
        log.info("node %s: message %s was received before; skipped", node.code, header.message_no)
        return result
    if decision.clamped:
        # SSL31 ОбменДаннымиXDTOСервер.ОбработатьПолучениеПодтвержденияОтКорреспондента calls
        # ПланыОбмена.УдалитьРегистрациюИзменений(node, ReceivedNo): everything sent counts as delivered, changes
        # not yet sent stay registered, and nothing is reported. Clamping to sent_no does exactly that.
        log.info("node %s: ReceivedNo %s is beyond our last message %s", node.code, header.received_no, node.sent_no)
    if decision.acknowledged_no is not None and options.acknowledgement_mode == "message":
        acknowledge(session, node, decision.acknowledged_no)
    elif header.received_no is None and decision.disposition is Disposition.ACCEPT:
        log.info("node %s sent message %s without ReceivedNo", node.code, header.message_no)

    context = from_format.Context(
        session,
        infobase,
        node,
        header.format_version,
        clock,
        zone(options.format_timezone),
        applied=result.applied,
        warnings=result.warnings,
        strict=options.strict_node_identity,
    )
    declared = _peer_sends(header)
    undeclared: set[str] = set()
    session.info[ORIGIN_NODE] = node.id  # rows changed by this message do not echo back to the node
    try:
        objects = iter(reader)
        while batch := list(islice(objects, FLUSH_EVERY)):
            with session.no_autoflush:  # what the handlers add is in the message's memo, not looked up again
                from_format.prepare(context, batch)  # what the batch's receipts name, looked up together
            for obj in batch:
                _note_undeclared(node, obj, declared, undeclared)
                from_format.apply(context, obj)
            if len(batch) == FLUSH_EVERY:  # more may follow
                from_format.settle(context)  # the batch's stock moves, and its rows go to the database
                session.flush()  # still one transaction: a failure later rolls these rows back too
        from_format.finish(context)
        session.flush()  # the moved balances too, while ORIGIN_NODE still names the sender
    except ed.FormatError as exc:
        raise BodyUnreadable(str(exc)) from exc
    finally:
        session.info.pop(ORIGIN_NODE, None)
    if decision.disposition is Disposition.ACCEPT and header.message_no is not None:
        node.received_no = header.message_no
    node.last_exchange_at = clock()  # written with the caller's commit, in one UPDATE with what it sets on the node
    return result


def acknowledge(session: Session, node: ExchangeNode, message_no: int) -> None:
    """The device has our message ``message_no``: everything it covered is delivered (watermark moves)."""
    with session.no_autoflush:  # node messages are not changed through the session: nothing to flush first
        acked_seq = session.scalar(_LAST_ACKED, {"node": node.id, "message_no": message_no})
        if acked_seq is not None and acked_seq > node.acked_seq:
            node.acked_seq = acked_seq
        session.execute(_DROP_ACKED, {"node": node.id, "message_no": message_no})


_NODE_MESSAGES = cast(Table, NodeMessage.__table__)
_LAST_ACKED = (
    select(_NODE_MESSAGES.c.max_seq)
    .where(_NODE_MESSAGES.c.node_id == bindparam("node"), _NODE_MESSAGES.c.message_no <= bindparam("message_no"))
    .order_by(_NODE_MESSAGES.c.message_no.desc())
    .limit(1)
)
"""The watermark of the last message the device has (plain columns: no row object to build)."""
_DROP_ACKED = delete(_NODE_MESSAGES).where(
    _NODE_MESSAGES.c.node_id == bindparam("node"), _NODE_MESSAGES.c.message_no < bindparam("message_no")
)
"""The messages before it are delivered (a plain statement: no session objects to synchronize)."""


def _check_identity(
    infobase: Infobase,
    node: ExchangeNode,
    header: ed.Header,
    options: ProtocolOptions,
    result: InboundResult,
    plan: str,
) -> None:
    """``To`` must be our node code and ``From`` (or ``NewFrom``) the calling node, as SSL checks them (SSL31
    ``ОбменДаннымиXDTOСервер.ОткрытьФайлЗагрузки``): the message is rejected whole. With
    ``strict_node_identity`` off, a mismatch is only journaled. An empty ``To`` is journaled, never rejected [I]."""
    to_code = (header.to_code or "").strip()
    from_code = (header.from_code or "").strip()
    new_from = (header.new_from or "").strip()
    problems: list[MessageRejected] = []
    if to_code and to_code != infobase.node_code:
        problems.append(
            WrongRecipient(
                to_code=header.to_code, from_code=header.from_code, node_code=node.code, own_code=infobase.node_code
            )
        )
    elif not to_code:
        log.warning("node %s: message %s has no To", node.code, header.message_no)
    if node.code not in {from_code, new_from}:
        problems.append(
            UnknownSender(plan=plan, to_code=header.to_code, from_code=header.from_code, node_code=node.code)
        )
    for problem in problems:
        log.warning("node %s: %s", node.code, problem.reason)
        if options.strict_node_identity:
            raise problem
        result.warnings.append(problem.reason)


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


def _note_undeclared(node: ExchangeNode, obj: object, declared: set[str] | None, seen: set[str]) -> None:
    """Objects of types the device did not declare in ``Sending`` are imported anyway, and logged once (§7 [I])."""
    wire_name = getattr(type(obj), "wire_name", None)
    if declared is None or not wire_name or wire_name in declared or wire_name == "УдалениеОбъекта":
        return
    if wire_name not in seen:
        seen.add(wire_name)
        log.info("node %s sent %s, which its AvailableObjectTypes does not declare", node.code, wire_name)


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
