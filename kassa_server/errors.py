"""The root of every error kassa-server raises on purpose.

    KassaError
    ├── ConfigError                 a setting or CLI argument is wrong (names the variable or option)
    ├── ValidationError             a value the user gave is invalid: ``field`` and ``reason``
    ├── NotFoundError               an infobase, user, device, … named by the caller does not exist
    ├── AlreadyExistsError          something the caller wants to create exists already
    ├── CatalogImportError          a CSV row is invalid (line number and reason); nothing of the file is imported
    ├── DatabaseUnavailable         the database cannot be reached (wraps SQLAlchemy's OperationalError)
    ├── FormatError                 (kassa_server.enterprisedata.errors) an EnterpriseData message is unsafe or invalid
    └── ExchangeError               (kassa_server.exchange.errors) a protocol condition: unknown node, missing part, …

Each subsystem defines its own subtree in its own ``errors`` module; only the CLI and the SOAP services translate
them (to an exit code, or to a SOAP Fault or soft error).
"""

from __future__ import annotations


class KassaError(Exception):
    """Base of all deliberate errors; ``str(err)`` is one line fit for a user."""


class ConfigError(KassaError):
    """A setting has a wrong value."""


class ValidationError(KassaError):
    """A value the user gave is invalid. ``field`` names the input (a form field, a JSON key, a CLI option's
    destination) so a face can point at it; ``reason`` is the one-line sentence shown to the user."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class NotFoundError(KassaError):
    """Something the caller named does not exist."""


class AlreadyExistsError(KassaError):
    """Something the caller wants to create exists already."""


class CatalogImportError(KassaError):
    """A catalogue import file is invalid; the message names the line and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


class DatabaseUnavailable(KassaError):
    """The database cannot be reached."""
