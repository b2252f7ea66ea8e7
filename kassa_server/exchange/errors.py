"""Protocol conditions of the exchange, raised where they are found and translated once, in services/faults.py.

    ExchangeError
    ├── UnknownExchangePlan         the plan name is not one the infobase allows
    ├── NodeNotFound                no node with that code in the plan
    │   └── NodeMarkedForDeletion   the node exists but is marked for deletion
    ├── FileNotFound                no stored file with that id (already taken, expired or never there)
    ├── PartNotFound                a part of a transfer is missing
    ├── TransferNotFound            no part at all of an incoming transfer
    ├── InvalidPartNumber           a part number below 1 (nil and 0 mean 1 before this is checked)
    ├── TransferQuotaExceeded       the parts of one transfer, or of all an infobase's transfers, are over the quota
    ├── MissingFileId               an upload names no file
    ├── InvalidIdentifier           a UUID argument is not a UUID
    ├── ArchiveError                the payload is not a usable ZIP
    │   ├── EmptyArchive            the ZIP has no entry
    │   └── ArchiveTooLarge         the first entry inflates past the limits (size or ratio)
    ├── MessageRejected             the message was refused and nothing of it applied; ``reason`` is an English detail
    │   ├── UnreadableMessage       the header or the XML cannot be read (``detail``)
    │   ├── UnsupportedFormatVersion  the message's format version is not ours (``version``)
    │   ├── MissingConfirmation     a data message without ``Confirmation``
    │   ├── MissingBody             a data message without ``Body`` after the header
    │   ├── BodyUnreadable          an object of the Body cannot be read (``detail``)
    │   ├── NodeIdentityMismatch    ``To``/``From`` do not name us / the caller (``to_code``, ``from_code``, ...)
    │   │   ├── WrongRecipient      ``To`` is not our node code (SSL's error 178)
    │   │   └── UnknownSender       ``From`` (or ``NewFrom``) is not the calling node
    │   ├── ObjectWithoutRef        a document that needs a ``Ссылка`` has none (``object_type``)
    │   ├── UnknownCashRegister     a till document names no known register and the node has none (``object_type``,
    │   │                           ``ref``)
    │   ├── MissingNodeCode         CreateExchange's settings name no node
    │   └── MessageNumberReused     a number already received comes again with a different content
    ├── ObjectRejected              one object of the Body is refused, the rest is applied; journaled (``object_type``,
    │   │                           ``ref``)
    │   ├── ForeignCashRegister     a till document names a register that is not the calling device's (``named``)
    │   ├── ForeignOrganization     ... or an organization that is not its register's (``named``)
    │   └── ForeignReceipt          the ``Ссылка`` is a receipt another register already sent (``owner``)
    ├── SyncAlreadyRunning          another exchange of the same node and direction is running
    ├── SyncDisabled                «Синхронизация данных» is off for the infobase (``infobase``)
    └── OperationNotSupported       the operation exists in the contract but the emulator does not implement it

English names and fields only: the Russian wire texts live in services/faults.py.
"""

from __future__ import annotations

from kassa_server.errors import KassaError


class ExchangeError(KassaError):
    """A protocol condition; its fields say what and where."""


class UnknownExchangePlan(ExchangeError):
    def __init__(self, plan: str) -> None:
        super().__init__(f"exchange plan {plan!r} is not allowed here")
        self.plan = plan


class NodeNotFound(ExchangeError):
    def __init__(self, plan: str, node_code: str) -> None:
        super().__init__(f"no node {node_code!r} in exchange plan {plan!r}")
        self.plan = plan
        self.node_code = node_code


class NodeMarkedForDeletion(NodeNotFound):
    pass


class FileNotFound(ExchangeError):
    def __init__(self, file_id: str) -> None:
        super().__init__(f"no stored file {file_id!r}")
        self.file_id = file_id


class PartNotFound(ExchangeError):
    def __init__(self, transfer_id: str, part_no: int) -> None:
        super().__init__(f"no part {part_no} of transfer {transfer_id!r}")
        self.transfer_id = transfer_id
        self.part_no = part_no


class TransferNotFound(ExchangeError):
    def __init__(self, transfer_id: str) -> None:
        super().__init__(f"no part of transfer {transfer_id!r}")
        self.transfer_id = transfer_id


class InvalidPartNumber(ExchangeError):
    def __init__(self, transfer_id: str, part_no: int) -> None:
        super().__init__(f"part number {part_no} of transfer {transfer_id!r} is not 1 or more")
        self.transfer_id = transfer_id
        self.part_no = part_no


class TransferQuotaExceeded(ExchangeError):
    """``scope`` is ``transfer`` (one transfer's parts) or ``infobase`` (all incoming parts of the infobase)."""

    def __init__(self, transfer_id: str, scope: str, limit: int) -> None:
        super().__init__(f"transfer {transfer_id!r}: the {scope} quota of {limit} bytes is exceeded")
        self.transfer_id = transfer_id
        self.scope = scope
        self.limit = limit


class MissingFileId(ExchangeError):
    def __init__(self) -> None:
        super().__init__("no file id given")


class InvalidIdentifier(ExchangeError):
    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not a UUID")
        self.value = value


class ArchiveError(ExchangeError):
    """The payload is not a ZIP archive (``reason`` is the ZIP library's text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EmptyArchive(ArchiveError):
    def __init__(self) -> None:
        super().__init__("the archive has no entries")


class ArchiveTooLarge(ArchiveError):
    """The first entry inflates past ``limit`` bytes (``size`` is what its header claims or what came out so far),
    or, when ``ratio`` is set, its compression ratio is over that ratio."""

    def __init__(self, limit: int, size: int, *, ratio: int | None = None) -> None:
        if ratio is None:
            super().__init__(f"the message inflates to {size} bytes or more, over {limit}")
        else:
            super().__init__(f"the message's compression ratio is over {ratio}:1")
        self.limit = limit
        self.size = size
        self.ratio = ratio


class MessageRejected(ExchangeError):
    """The exchange logic refused a message and applied nothing of it (enterprisedata.md §6).

    The subclasses say why with English fields; ``services/faults.py`` gives each its 1C text. ``reason`` is an
    English detail (a bare ``MessageRejected(reason)`` is passed through as is, for fakes in tests).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnreadableMessage(MessageRejected):
    def __init__(self, detail: str) -> None:
        super().__init__(f"cannot read the exchange message: {detail}")
        self.detail = detail


class UnsupportedFormatVersion(MessageRejected):
    def __init__(self, version: str) -> None:
        super().__init__(f"format version {version} is not supported")
        self.version = version


class MissingConfirmation(MessageRejected):
    def __init__(self) -> None:
        super().__init__("the header has no Confirmation")


class MissingBody(MessageRejected):
    def __init__(self) -> None:
        super().__init__("no Body after the header")


class BodyUnreadable(MessageRejected):
    def __init__(self, detail: str) -> None:
        super().__init__(f"cannot read the Body: {detail}")
        self.detail = detail


class NodeIdentityMismatch(MessageRejected):
    """``To`` is not our node code or ``From`` is not the calling node (``problems`` lists what, in English)."""

    def __init__(
        self, problems: tuple[str, ...], *, to_code: str | None, from_code: str | None, node_code: str
    ) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.to_code = to_code
        self.from_code = from_code
        self.node_code = node_code


class WrongRecipient(NodeIdentityMismatch):
    """``To`` names another infobase (SSL31 ``ОбменДаннымиXDTOСервер.ОткрытьФайлЗагрузки``, error 178)."""

    def __init__(self, *, to_code: str | None, from_code: str | None, node_code: str, own_code: str) -> None:
        super().__init__(
            (f"To {to_code!r} is not this infobase's node code {own_code!r}",),
            to_code=to_code,
            from_code=from_code,
            node_code=node_code,
        )
        self.own_code = own_code


class UnknownSender(NodeIdentityMismatch):
    """``From`` (then ``NewFrom``) does not resolve to the calling node (SSL31 ``ОткрытьФайлЗагрузки``)."""

    def __init__(self, *, plan: str, to_code: str | None, from_code: str | None, node_code: str) -> None:
        super().__init__(
            (f"From {from_code!r} is not the calling node {node_code!r}",),
            to_code=to_code,
            from_code=from_code,
            node_code=node_code,
        )
        self.plan = plan


class ObjectWithoutRef(MessageRejected):
    def __init__(self, object_type: str) -> None:
        super().__init__(f"{object_type} without Ссылка")
        self.object_type = object_type


class UnknownCashRegister(MessageRejected):
    def __init__(self, object_type: str, ref: object) -> None:
        super().__init__(f"{object_type} {ref}: unknown КассаККМ and the node has no register")
        self.object_type = object_type
        self.ref = ref


class MissingNodeCode(MessageRejected):
    def __init__(self) -> None:
        super().__init__("the exchange settings name no node code")


class MessageNumberReused(MessageRejected):
    """A message number already received comes again with a different content: answering it as a duplicate would
    drop what is new in it. ``reason`` is set by the translation table in services/faults.py."""

    def __init__(self, node_code: str, message_no: int) -> None:
        super().__init__(f"message {message_no} of node {node_code!r} was received before with another content")
        self.node_code = node_code
        self.message_no = message_no


class SyncAlreadyRunning(ExchangeError):
    def __init__(self, node_code: str) -> None:
        super().__init__(f"an exchange with node {node_code!r} is already running")
        self.node_code = node_code


class SyncDisabled(ExchangeError):
    """The administrator switched «Синхронизация данных» off: 1C's functional option ``ИспользоватьСинхронизацию
    Данных`` is false, and its exchange operations refuse before doing anything (soap-services.md §3.1)."""

    def __init__(self, infobase: str) -> None:
        super().__init__(f"data synchronization is switched off in infobase {infobase!r}")
        self.infobase = infobase


class OperationNotSupported(ExchangeError):
    def __init__(self, operation: str) -> None:
        super().__init__(f"operation {operation} is not supported")
        self.operation = operation


class ObjectRejected(ExchangeError):
    """One object of the Body is refused; the rest of the message is applied and the refusal journaled."""

    def __init__(self, object_type: str, ref: object, reason: str) -> None:
        super().__init__(f"{object_type} {ref}: {reason}")
        self.object_type = object_type
        self.ref = ref
        self.reason = reason


class ForeignCashRegister(ObjectRejected):
    def __init__(self, object_type: str, ref: object, named: str) -> None:
        super().__init__(object_type, ref, f"names register {named!r}, which is not the calling device's")
        self.named = named


class ForeignOrganization(ObjectRejected):
    def __init__(self, object_type: str, ref: object, named: str) -> None:
        super().__init__(object_type, ref, f"names organization {named!r}, which is not the calling device's")
        self.named = named


class ForeignReceipt(ObjectRejected):
    def __init__(self, object_type: str, ref: object, owner: str) -> None:
        super().__init__(object_type, ref, f"belongs to register {owner!r}, which sent it first")
        self.owner = owner
