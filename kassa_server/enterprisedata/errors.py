"""Errors of the EnterpriseData format library.

FormatError (kassa_server.errors.KassaError)
├── UnsafeXml                       the document uses a feature we never parse
│   ├── DtdForbidden                a <!DOCTYPE> declaration
│   ├── EntitiesForbidden           an entity declaration or an undefined entity reference
│   ├── ExternalReferenceForbidden  a DOCTYPE with SYSTEM/PUBLIC identifiers (XXE)
│   └── NestingTooDeep              more element levels than the limit
├── XmlSyntax                       not well-formed XML (line)
├── EnvelopeError                   Message/Header/Body are missing or misplaced
├── UnsupportedVersion              a format version we have no schema for
├── SourceError                     a message file that cannot be opened (missing, broken ZIP)
├── SchemaViolation                 an object does not satisfy its version's XSD (object type, Ссылка, violation)
└── MissingProperty                 the writer was given an object without a property its version requires
"""

from __future__ import annotations

from kassa_server.errors import KassaError


class FormatError(KassaError):
    """An EnterpriseData message is unsafe, malformed or invalid."""


class UnsafeXml(FormatError):
    """The document uses an XML feature that is never parsed (DTD, entities, external references, deep nesting)."""


class DtdForbidden(UnsafeXml):
    """The document has a DOCTYPE declaration."""


class EntitiesForbidden(UnsafeXml):
    """The document declares or references entities."""


class ExternalReferenceForbidden(UnsafeXml):
    """The document refers to an external resource (SYSTEM/PUBLIC identifier)."""


class NestingTooDeep(UnsafeXml):
    """The document nests elements deeper than the limit."""

    def __init__(self, limit: int, line: int | None = None) -> None:
        super().__init__(f"element nesting deeper than {limit} levels" + (f" at line {line}" if line else ""))
        self.limit = limit
        self.line = line


class XmlSyntax(FormatError):
    """The document is not well-formed."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


class EnvelopeError(FormatError):
    """The message envelope (Message, msg:Header, Body) is not as the format requires."""


class UnsupportedVersion(FormatError):
    """A format version (or namespace) that has no schema here."""

    def __init__(self, version: str) -> None:
        super().__init__(f"unsupported EnterpriseData version {version!r}")
        self.version = version


class SchemaViolation(FormatError):
    """An object of the Body does not satisfy the XSD of its version."""

    def __init__(self, object_type: str, ref: str | None, violation: str, line: int | None = None) -> None:
        where = f"{object_type} (Ссылка {ref})" if ref else object_type
        super().__init__(f"{where}: {violation}")
        self.object_type = object_type
        self.ref = ref
        self.violation = violation
        self.line = line


class MissingProperty(FormatError):
    """An object lacks a property that its target version requires."""

    def __init__(self, object_type: str, path: str, version: str) -> None:
        super().__init__(f"{object_type}: required property {path} has no value (version {version})")
        self.object_type = object_type
        self.path = path
        self.version = version


class SourceError(FormatError):
    """The message cannot be opened: a missing file, an empty or broken ZIP."""
