"""The EnterpriseData exchange-message format as a library (no database, no HTTP).

Public API (everything below is re-exported here):

* Objects (``objects.py``): version-independent dataclasses with English names — catalogues ``Organization``,
  ``Warehouse``, ``CashRegister``, ``Unit``, ``ItemGroup``, ``Item``, ``Barcode`` (+ ``BarcodeRecord``),
  ``PriceType``, ``Counterparty``, ``Person``, ``AcquiringTerminal``, ``DiscountCard``, ``StockSnapshot``,
  ``OrderState``, ``OrderPaymentState``, ``OrderShipmentState``; documents ``PriceList``, ``CustomerOrder``,
  ``ShiftOpening``, ``Receipt`` (sales and returns), ``ShiftClosing``, ``RetailReport``, ``CashDeposit``,
  ``CashWithdrawal``; ``Deletion(target_type, ref)`` for ``УдалениеОбъекта``; helper blocks ``Currency``, ``User``,
  ``VatRate``, ``GoodsData``, ``CashOperationData`` and the row classes. A field typed with another object is a
  reference: the target's key block is written inline. ``OBJECT_TYPES`` / ``BY_WIRE_NAME`` list the classes.
  ``additional_info`` / ``additional_attributes`` hold the raw XML (``RawXml`` bytes) of ``msg:AdditionalInfo`` and
  ``ДополнительныеРеквизиты`` as read, and are written back verbatim when set.
* ``Header`` / ``ObjectTypeSupport``: ``msg:Header``; ``format_version=None`` = settings-only message.
* ``write_message(target, header, objects) -> int`` (target: binary stream or path; objects: any iterable,
  e.g. a generator) and ``MessageWriter(stream, header)`` (context manager with ``.write(obj)``).
* ``read_message(source, strict=True) -> MessageReader``: ``.header`` is read at once, ``.version`` is the Body's
  version (None for a settings-only message, ``.has_body`` False); iterating yields objects, ``Deletion``,
  ``UnknownObject`` or ``InvalidObject`` (type_name, ref, raw XML bytes, reason). Strict mode raises
  ``SchemaViolation`` on the first invalid object instead.
* ``object_xml(obj, version)``: one object as the XML element of that version (for raw storage).
* ``negotiate_version(ours, theirs)``, ``SUPPORTED_VERSIONS``, ``namespace(version)``.
* Errors: ``FormatError`` and its subclasses (``errors.py``).

Offline tools (``kassa-server ed``), imported from their modules: ``validation.validate`` (every error, streaming),
``checks.assert_valid_enterprisedata``, ``inspection.overview`` / ``find_object``, ``diff.diff_messages``,
``conversion.convert_message``, ``schema.schema_files``; ``sources.open_message`` opens XML or a ZIP and
``scanning.Walk`` streams the top-level elements they share.
"""

from __future__ import annotations

from .binding import FormatObject, RawXml
from .errors import (
    DtdForbidden,
    EntitiesForbidden,
    EnvelopeError,
    ExternalReferenceForbidden,
    FormatError,
    MissingProperty,
    NestingTooDeep,
    SchemaViolation,
    SourceError,
    UnsafeXml,
    UnsupportedVersion,
    XmlSyntax,
)
from .header import Header, ObjectTypeSupport
from .objects import *  # noqa: F403
from .objects import BY_WIRE_NAME, OBJECT_TYPES, Deletion
from .reader import InvalidObject, MessageReader, UnknownObject, read_message
from .versions import SUPPORTED_VERSIONS, namespace, negotiate_version
from .writer import MessageWriter, object_xml, write_message

__all__ = [
    "BY_WIRE_NAME", "OBJECT_TYPES", "SUPPORTED_VERSIONS", "Deletion", "DtdForbidden", "EntitiesForbidden",
    "EnvelopeError", "ExternalReferenceForbidden", "FormatError", "FormatObject", "Header", "InvalidObject",
    "MessageReader", "MessageWriter", "MissingProperty", "NestingTooDeep", "ObjectTypeSupport", "RawXml",
    "SchemaViolation", "SourceError", "UnknownObject", "UnsafeXml", "UnsupportedVersion", "XmlSyntax", "namespace",
    "negotiate_version", "object_xml", "read_message", "write_message",
]  # fmt: skip
