"""The errors the use cases raise; every face translates them (the CLI to exit 1, the web to a form error, the API to
a 4xx with ``field`` and ``reason``).

    KassaError
    ├── ValidationError(field, reason)   an input value is invalid; nothing was written
    ├── NotFoundError                    an infobase, user, product, device, … named by the caller does not exist
    ├── AlreadyExistsError               something the caller wants to create exists already
    └── CatalogImportError(line, reason) a goods CSV row is invalid; nothing of the file was imported

They are defined in ``kassa_server.errors`` (the exchange layer raises ``NotFoundError`` too) and re-exported here, so
a face imports the use cases and their errors from one package.
"""

from __future__ import annotations

from kassa_server.errors import AlreadyExistsError, CatalogImportError, KassaError, NotFoundError, ValidationError

__all__ = ["AlreadyExistsError", "CatalogImportError", "KassaError", "NotFoundError", "ValidationError"]
