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
    ├── MessageRejected             the message was read but refused (format, version, node …); ``reason`` says why
    │   └── MessageNumberReused     a number already received comes again with a different content
    ├── SyncAlreadyRunning          another exchange of the same node and direction is running
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
    """The exchange logic refused a message; ``reason`` is the text the client sees (enterprisedata.md §6)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


class OperationNotSupported(ExchangeError):
    def __init__(self, operation: str) -> None:
        super().__init__(f"operation {operation} is not supported")
        self.operation = operation
